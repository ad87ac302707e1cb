import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console is served by the gateway at /console/ (apps/gateway/src/console/console-routes.ts),
// same origin as the API. Workspace packages are bundled from their TypeScript sources.
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  plugins: [react()],
  resolve: { conditions: ['@canopy/source'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The gateway's Content-Security-Policy allows no inline script, style or data: script.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
});
