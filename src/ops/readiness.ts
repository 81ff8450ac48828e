/**
 * Readiness: the things a process needs before a load balancer may send it work. Each check runs
 * with a deadline, all at once; the answer names every check and what failed (never a stack trace).
 */
export type ReadinessCheck = () => Promise<void>

export interface ReadinessReport {
  ready: boolean
  /** check name → 'ok', or the failure in one line */
  checks: Record<string, string>
  failed: string[]
}

export async function runReadiness(checks: Record<string, ReadinessCheck>, timeoutMs = 2000): Promise<ReadinessReport> {
  const names = Object.keys(checks)
  const results = await Promise.all(
    names.map(async (name) => {
      let timer: NodeJS.Timeout | undefined
      try {
        await Promise.race([
          checks[name]!(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
          }),
        ])
        return 'ok'
      } catch (err) {
        return String((err as Error)?.message ?? err)
          .split('\n')[0]!
          .slice(0, 200)
      } finally {
        clearTimeout(timer)
      }
    }),
  )
  const out: Record<string, string> = {}
  names.forEach((n, i) => (out[n] = results[i]!))
  const failed = names.filter((n) => out[n] !== 'ok')
  return { ready: failed.length === 0, checks: out, failed }
}
