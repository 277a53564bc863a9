// Vite build of the web UI: `npx vite build --config web/vite.config.ts` writes web/dist/
// (index.html plus hashed files under assets/), which the backend serves. Build with NODE_ENV
// unset or `production` (vitest sets `test`, which would give Vue's development build).
// `vite --config web/vite.config.ts` runs a dev server that proxies /api to a backend
// (KBT_BACKEND_URL, default http://127.0.0.1:8080).
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [vue()],
  // Composition API only; no devtools or hydration details in the production bundle.
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  // No .env files or public/ directory: everything the UI needs is in src/.
  envDir: false,
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/api': process.env['KBT_BACKEND_URL'] ?? 'http://127.0.0.1:8080' },
  },
});
