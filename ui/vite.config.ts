import { defineConfig } from 'vite';

/**
 * The dashboard's build: Preact through Vite's own JSX transform (Oxc), no Babel. The output lands
 * in dist/ui beside the compiled server, which serves it at `/` (src/server/static-ui.ts). Relative
 * asset URLs keep it working behind a proxy that mounts slipway under a path.
 */
export default defineConfig({
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist/ui',
    emptyOutDir: true,
    target: 'es2022',
  },
});
