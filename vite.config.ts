/**
 * Builds the renderer (src-renderer → dist/renderer). `base: './'` makes every asset path
 * relative, so the same build loads from file:// in Electron and from `cvb serve` over HTTP.
 */
import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';

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

export default defineConfig({
  root: 'src-renderer',
  base: './',
  plugins: [vue(), devStylePolicy()],
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
  },
  server: {
    // `cvb serve` owns the WebSocket; during `vite` dev, point it there with CVB_SERVE=http://host:port.
    proxy: process.env.CVB_SERVE ? { '/api': { target: process.env.CVB_SERVE, ws: true } } : undefined,
  },
});
