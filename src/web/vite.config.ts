import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The web app, built into dist/web: the Worker serves it as Workers Static Assets on every
 * host (wrangler.toml [assets]). `npm run build:web` builds it once, `npm run dev` rebuilds it
 * on change beside `wrangler dev`.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
});
