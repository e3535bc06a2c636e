// Lint rules that hold the shape of shared/DESIGN.md: the layers only point down, no file imports
// itself back through another, only electron/ imports electron, contract/ is pure, and a promise
// is never dropped. `npm test` runs them; test/unit/lint proves each one fires.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

/** Every Node built-in, bare (`fs`), with its `node:` prefix, and its subpaths (`fs/promises`). */
const nodeBuiltins = ['node:*', ...builtinModules.flatMap((name) => [name, `${name}/*`])];

/**
 * DESIGN.md's layers, top to bottom. A folder imports only folders of a lower layer; folders of
 * one layer do not import each other, except for the pairs in SIBLING_IMPORTS.
 */
const LAYERS = [
  ['electron', 'serve', 'cli'],
  ['core'],
  ['experiments', 'export', 'infer'],
  ['train'],
  ['zoo', 'engine', 'data', 'store'],
  ['contract'],
];

/** Imports within a layer, each with its reason; no-cycle keeps them one-way. */
const SIBLING_IMPORTS = {
  // `cvb serve` starts the browser-mode server; the desktop app serves its files with the same types.
  cli: ['serve'],
  electron: ['serve'],
  // A model export carries the preprocessing that data/ computes for training.
  store: ['data'],
};

/**
 * Process entries (bundled by scripts/build-main.mjs): each composes its own process from the
 * layers below Core (the training worker trains, then evaluates the best checkpoint), the way a
 * host composes Core. Nothing imports an entry: importing one runs it.
 */
const PROCESS_ENTRIES = [
  'src-main/cli/main.ts',
  'src-main/train/worker.ts',
  'src-main/data/batch-worker.ts',
  'src-main/infer/worker.ts',
  'src-main/infer/eval-process.ts',
  'src-main/engine/probe-process.ts',
  'src-main/electron/main.ts',
  'src-main/electron/preload.ts',
];

const layerOf = (folder) => LAYERS.findIndex((layer) => layer.includes(folder));

/** One zone per folder: the folders it must not import (its own layer and every layer above). */
const layerZones = LAYERS.flat().map((folder) => ({
  target: `./src-main/${folder}`,
  from: LAYERS.flat()
    .filter((other) => other !== folder && layerOf(other) <= layerOf(folder) && !(SIBLING_IMPORTS[folder] ?? []).includes(other))
    .map((other) => `./src-main/${other}`),
  message: `layers point down (${LAYERS.map((layer) => layer.join(' · ')).join(' → ')}): src-main/${folder} may not import this folder.`,
}));

const entryZones = [
  ...PROCESS_ENTRIES.map((entry) => ({
    target: './src-main',
    from: `./${entry}`,
    message: 'a process entry runs on import: move what you need out of it into a module both can import.',
  })),
  { target: './src-main', from: './src-renderer', message: 'src-main never imports the renderer.' },
];

/** One restricted-imports rule per folder: `groups` (gitignore-style) lists what it must not import. */
function forbid(files, groups, message, regex) {
  const patterns = [{ group: groups, message }];
  if (regex) patterns.push({ regex, message });
  return { files, rules: { 'no-restricted-imports': ['error', { patterns }] } };
}

const typeAwareFiles = ['src-main/**/*.ts', 'src-renderer/**/*.ts', 'src-renderer/**/*.vue', 'test/**/*.ts', 'bench/**/*.ts'];

export default [
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.cvb-home/**', 'test/unit/lint/fixtures/**'] },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, sourceType: 'module', extraFileExtensions: ['.vue'] } },
  },
  {
    files: typeAwareFiles,
    languageOptions: { parserOptions: { project: ['./tsconfig.node.json', './tsconfig.web.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
    },
  },
  {
    files: ['src-main/**/*.ts', 'src-renderer/**/*.ts', 'src-renderer/**/*.vue'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.vue', '.js', '.mjs', '.json'] })],
      // Without these, no-cycle cannot read a .ts dependency and sees no cycle at all. Components
      // are left out: no module imports a .vue file back.
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    files: ['src-main/**/*.ts'],
    rules: { 'import-x/no-restricted-paths': ['error', { zones: [...layerZones, ...entryZones] }] },
  },
  {
    files: PROCESS_ENTRIES.filter((entry) => !/\/(cli|electron)\//.test(entry)),
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: PROCESS_ENTRIES.map((entry) => `./${entry}`),
              from: LAYERS.slice(0, 2).flat().map((folder) => `./src-main/${folder}`),
              message: 'a worker process entry composes the layers below Core; it never imports Core or a host.',
            },
            ...entryZones,
          ],
        },
      ],
    },
  },
  forbid(
    ['src-main/contract/**'],
    ['../*', 'electron', 'vue', ...nodeBuiltins],
    'contract/ is pure: it imports nothing of ours, no node:, no electron, no DOM libraries.',
  ),
  forbid(
    ['src-main/{core,experiments,export,infer,train,zoo,engine,data,store}/**'],
    ['electron'],
    'only src-main/electron imports electron.',
  ),
  forbid(['src-main/{serve,cli}/**'], ['electron', '**/src-renderer/**'], 'only src-main/electron imports electron.'),
  forbid(
    ['src-renderer/**'],
    ['electron', ...nodeBuiltins, '@tensorflow/*'],
    'the renderer imports contract types and nothing else from src-main.',
    'src-main/(?!contract(/|$))',
  ),
];
