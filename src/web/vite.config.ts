import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The web app, built into dist/web: the Worker serves it as Workers Static Assets on every
 * host (wrangler.toml [assets]). `npm run build:web` builds it once, `npm run dev` rebuilds it
 * on change beside `wrangler dev`.
 */
export default defineConfig(({ command }) => ({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  // A build is the production app whatever NODE_ENV the builder runs under: Vite takes an
  // ambient NODE_ENV (vitest sets "test") as the mode React is bundled and JSX compiled for, and
  // React's development build is larger and slower (and runs StrictMode's double effects).
  ...(command === 'build' ? { define: { 'process.env.NODE_ENV': JSON.stringify('production') }, oxc: { jsx: { development: false } } } : {}),
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
}));
