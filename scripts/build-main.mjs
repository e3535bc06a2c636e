// Bundles the node-side entry points (CLI, workers, Electron main and preload) with esbuild.
// Dependencies stay external: they are loaded from node_modules at run time.
import { build } from 'esbuild';

const quiet = process.argv.includes('--quiet');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  packages: 'external',
  // The PyTorch job's files (src-main/export/job/) are bundled as text and written out by the export.
  loader: { '.py': 'text', '.sh': 'text', '.sbatch': 'text', '.txt': 'text', '.md': 'text' },
  logLevel: quiet ? 'warning' : 'info',
};

await Promise.all([
  build({
    ...common,
    format: 'esm',
    outdir: 'dist/main',
    entryPoints: {
      cli: 'src-main/cli/main.ts',
      'train-worker': 'src-main/train/worker.ts',
      'batch-worker': 'src-main/data/batch-worker.ts',
      'replica-worker': 'src-main/train/replica-worker.ts',
      'infer-worker': 'src-main/infer/worker.ts',
      'backend-probe': 'src-main/engine/probe-process.ts',
      'eval-process': 'src-main/infer/eval-process.ts',
    },
    outExtension: { '.js': '.js' },
    banner: { js: "import { createRequire as __cvbCreateRequire } from 'node:module'; const require = __cvbCreateRequire(import.meta.url);" },
  }),
  build({
    ...common,
    format: 'cjs',
    outdir: 'dist/main',
    entryPoints: {
      'electron-main': 'src-main/electron/main.ts',
      preload: 'src-main/electron/preload.ts',
    },
    outExtension: { '.js': '.cjs' },
    external: ['electron'],
    // import.meta.url means this bundle's own file here too, as in the ESM bundles.
    define: { 'import.meta.url': '__cvbImportMetaUrl' },
    banner: { js: "const __cvbImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  }),
]);
