import { fileURLToPath } from 'node:url'

/**
 * The worker file `worker.js` beside the calling module in the built dist/, or `worker.ts` when the
 * TypeScript sources run (vitest, tsx) — then the worker thread needs tsx's loader too.
 * `callerUrl` is the caller's `import.meta.url`.
 */
export function workerFileBeside(callerUrl: string): { filename: string; execArgv: string[] } {
  if (callerUrl.endsWith('.ts'))
    return { filename: fileURLToPath(new URL('./worker.ts', callerUrl)), execArgv: ['--import', 'tsx'] }
  return { filename: fileURLToPath(new URL('./worker.js', callerUrl)), execArgv: [] }
}
