import { defineConfig } from 'vite'
import { fileURLToPath } from 'node:url'
import { dirname, resolve } from 'node:path'

const here = dirname(fileURLToPath(import.meta.url))

/**
 * The capture page and the console, built into dist/web and served by shiren under /web/.
 * No module-preload polyfill: it would be an inline script, which the pages' CSP forbids.
 */
export default defineConfig({
  root: here,
  base: '/web/',
  logLevel: 'warn',
  build: {
    outDir: resolve(here, '../../dist/web'),
    emptyOutDir: true,
    target: 'es2020',
    modulePreload: { polyfill: false },
    // Human (tfjs inside) is one large chunk by nature, loaded only once the camera runs
    chunkSizeWarningLimit: 3000,
    assetsInlineLimit: 0,
    rollupOptions: {
      input: { capture: resolve(here, 'capture.html'), console: resolve(here, 'console.html') },
    },
  },
})
