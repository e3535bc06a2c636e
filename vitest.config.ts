import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';
import { readFileSync } from 'node:fs';

/** The PyTorch job's files are text modules, as esbuild's text loader bundles them (scripts/build-main.mjs). */
const jobFilesAsText = {
  name: 'job-files-as-text',
  enforce: 'pre' as const,
  load(id: string) {
    if (/[\\/]src-main[\\/]export[\\/]job[\\/][^\\/]+\.(py|sh|sbatch|txt|md)$/.test(id)) return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
    return null;
  },
};

export default defineConfig({
  plugins: [vue(), jobFilesAsText],
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    // Renderer tests opt into a DOM with `// @vitest-environment jsdom` at the top of the file.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
