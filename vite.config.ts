/**
 * Builds the renderer (src-renderer → dist/renderer). `base: './'` makes every asset path
 * relative, so the same build loads from file:// in Electron and from `cvb serve` over HTTP.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';

const CJK_FONT = '@fontsource/noto-sans-sc';

/**
 * The dev server injects CSS as <style> elements (hot reload); allow that under `vite` only.
 * The build keeps index.html's strict policy untouched.
 */
function devStylePolicy(): Plugin {
  return {
    name: 'cvb-dev-style-policy',
    apply: 'serve',
    transformIndexHtml: (html) => html.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
  };
}

/**
 * The bundled CJK font (Noto Sans SC, weight 400, in ~100 unicode-range subsets the browser loads
 * only as characters need them): Chromium and Electron read woff2, so the woff fallback of each
 * face is dropped before Vite copies the files (2.4 MB shipped instead of 5.5 MB), and the font's
 * licence (SIL OFL 1.1, which asks for it to travel with the font) is written beside the build.
 */
function cjkFont(): Plugin {
  return {
    name: 'cvb-cjk-font',
    enforce: 'pre',
    transform(code, id) {
      if (!id.includes(`/${CJK_FONT}/`) || !id.endsWith('.css')) return null;
      return code.replace(/,\s*url\([^)]*\.woff\) format\('woff'\)/g, '');
    },
    generateBundle() {
      const licence = createRequire(import.meta.url).resolve(`${CJK_FONT}/LICENSE`);
      this.emitFile({ type: 'asset', fileName: 'licenses/noto-sans-sc-OFL.txt', source: readFileSync(licence) });
    },
  };
}

export default defineConfig({
  root: 'src-renderer',
  base: './',
  plugins: [vue(), devStylePolicy(), cjkFont()],
  define: {
    // vue-i18n: composition API only; messages compiled at runtime to an AST (no eval).
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    __INTLIFY_DROP_MESSAGE_COMPILER__: false,
    __VUE_OPTIONS_API__: false,
    __VUE_PROD_DEVTOOLS__: false,
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: false,
  },
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 800,
    // The CSP allows fonts from 'self' only, not data: URLs: never inline a font face, however small.
    assetsInlineLimit: (file) => (file.endsWith('.woff2') ? false : undefined),
  },
  server: {
    // `cvb serve` owns the WebSocket; during `vite` dev, point it there with CVB_SERVE=http://host:port.
    proxy: process.env.CVB_SERVE ? { '/api': { target: process.env.CVB_SERVE, ws: true } } : undefined,
  },
});
