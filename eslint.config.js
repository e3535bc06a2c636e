// Lint rules, including the import boundaries of shared/DESIGN.md: a wrong arrow fails `npm test`.
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';

const hostFolders = ['**/electron/**', '**/serve/**', '**/cli/**'];
const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'http', 'net', 'url', 'worker_threads'];

/**
 * One restricted-imports rule per folder: `groups` (gitignore-style) and `regex` list what that
 * folder must not import.
 */
function forbid(files, groups, message, regex) {
  const patterns = [{ group: groups, message }];
  if (regex) patterns.push({ regex, message });
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', { patterns }],
    },
  };
}

export default [
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.cvb-home/**'] },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, sourceType: 'module' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
    },
  },
  forbid(
    ['src-main/contract/**'],
    ['../*', 'electron', 'vue', ...nodeBuiltins],
    'contract/ is pure: it imports nothing of ours, no node:, no electron, no DOM libraries.',
  ),
  forbid(
    ['src-main/{zoo,engine,data,train,infer,store,core,export}/**'],
    ['electron', '../electron/*', '../serve/*', '../cli/*', '**/src-renderer/**', ...hostFolders],
    'zoo, engine, data, train, infer, store, export and core never import electron, serve, cli or the renderer.',
  ),
  forbid(
    ['src-main/{serve,cli}/**'],
    ['electron', '../electron/*', '**/src-renderer/**'],
    'only src-main/electron imports electron.',
  ),
  forbid(
    ['src-renderer/**'],
    ['electron', ...nodeBuiltins, '@tensorflow/*'],
    'the renderer imports contract types and nothing else from src-main.',
    'src-main/(?!contract(/|$))',
  ),
];
