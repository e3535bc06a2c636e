/**
 * electron-builder configuration (`npm run dist`; electron-builder 26 loads a .ts config itself).
 * Installers land in release/. Production dependencies from package.json (zod, ws, the TF.js
 * backends, and the optional native tfjs-node builds where they installed) are added to the app
 * automatically; the renderer's libraries are devDependencies because Vite bundles them.
 */
import type { Configuration } from 'electron-builder';

const config: Configuration = {
  appId: 'org.cvbaselines.workbench',
  productName: 'CV Baselines Workbench',
  executableName: 'cv-baselines-workbench',
  copyright: 'Copyright © CV Baselines Workbench contributors',
  directories: { output: 'release' },
  files: ['dist/main/**', 'dist/renderer/**', 'package.json', '!**/*.map'],
  extraResources: [{ from: 'resources', to: 'resources', filter: ['**/*'] }],
  asar: true,
  // Native addons, their shared libraries and the wasm binaries are read by the OS loader or by
  // path, not through asar. sharp's JavaScript stays packed; its binaries live in @img/*.
  asarUnpack: [
    '**/*.node',
    'node_modules/@tensorflow/tfjs-node*/**',
    'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm',
    'node_modules/@img/**',
  ],
  // Rebuilding native modules against Electron's headers is not needed: the training worker that
  // loads them runs as plain Node (ELECTRON_RUN_AS_NODE), and tfjs-node ships N-API binaries.
  npmRebuild: false,
  electronFuses: {
    // Core forks training workers with child_process.fork, which needs ELECTRON_RUN_AS_NODE.
    runAsNode: true,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    // The renderer is served from app://, never file://.
    grantFileProtocolExtraPrivileges: false,
  },
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Science',
    synopsis: 'Train and compare classic image-classification networks',
    maintainer: 'CV Baselines Workbench contributors',
  },
  deb: { priority: 'optional' },
  mac: {
    target: ['dmg'],
    category: 'public.app-category.developer-tools',
    hardenedRuntime: true,
  },
  dmg: { writeUpdateInfo: false },
  win: { target: ['nsis'] },
  nsis: { oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true },
};

export default config;
