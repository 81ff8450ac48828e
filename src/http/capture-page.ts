import type { FastifyInstance } from 'fastify'
import type { Shiren } from '../compose.js'

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * The capture page's address. The camera page itself (consent, guidance, recording) is a separate
 * module that is not built yet; until then this address says so plainly and shows the session's
 * state, and the capture API under /capture/api/ accepts recordings from any client.
 */
export async function capturePage(app: FastifyInstance, opts: { shiren: Shiren }) {
  const s = opts.shiren
  app.get('/capture', async (req, reply) => {
    const token = String((req.query as Record<string, unknown>).token ?? '')
    const v = token ? await s.verifications.byToken(token) : null
    const reason = v ? s.verifications.currentReason(v) : null
    const status = !v ? 'unknown link' : reason ? `finished (${reason})` : `waiting for capture, ${v.maxAttempts - v.attemptsUsed} attempt(s) left`
    return reply
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .type('text/html; charset=utf-8')
      .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>shiren</title></head>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem">
<h1 style="font-size:1.3rem">shiren · 实人认证</h1>
<p>Verification: ${esc(status)}.</p>
<p>The in-browser camera page is not available in this build (not supported yet). Recordings can be sent to <code>POST /capture/api/upload?token=…</code> after <code>POST /capture/api/challenge?token=…</code>.</p>
</body></html>`)
  })
}
