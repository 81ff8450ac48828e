import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns'
import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import { checkAddress, type AddressPolicy } from './address.js'

export interface PostResult {
  statusCode: number | null
  /** a network error, a refused address or a timeout (never the response body) */
  error: string | null
  durationMs: number
}

class RefusedAddressError extends Error {
  readonly code = 'EADDRREFUSED'
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/**
 * The connection's own DNS lookup, filtered by the policy: the address checked is the address the
 * socket then connects to, so a name that resolves to a public address for a check and to a
 * private one a moment later (DNS rebinding) cannot get through. Exported for the tests.
 */
export function guardedLookup(policy: AddressPolicy) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '')
      const allowed = addresses.filter((a) => checkAddress(a.address, policy).ok)
      if (!allowed.length) {
        const first = addresses[0]
        const v = first ? checkAddress(first.address, policy) : null
        return callback(
          new RefusedAddressError(
            `refused target ${first?.address ?? hostname}${v && !v.ok ? ` (${v.range})` : ''}: set SHIREN_WEBHOOK_ALLOW_PRIVATE=1 or SHIREN_WEBHOOK_ALLOW to allow it`,
          ),
          '',
        )
      }
      if (options.all) return callback(null, allowed)
      return callback(null, allowed[0]!.address, allowed[0]!.family)
    })
  }
}

/**
 * One POST of a webhook body. Redirects are not followed (a 3xx is a failed delivery), no proxy
 * from the environment is used, each try opens its own connection (no pooled socket to an address
 * checked earlier), and the whole exchange is bounded by `timeoutMs`. Node's own http client: the
 * only thing we add is the address check.
 */
export function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  policy: AddressPolicy,
  timeoutMs: number,
): Promise<PostResult> {
  const started = performance.now()
  const done = (statusCode: number | null, error: string | null): PostResult => ({
    statusCode,
    error: error ? error.slice(0, 200) : null,
    durationMs: Math.round(performance.now() - started),
  })
  return new Promise((resolve) => {
    let u: URL
    try {
      u = new URL(url)
    } catch {
      return resolve(done(null, 'the URL is not valid'))
    }
    // an address literal is connected to without any lookup: it is checked here, as it is the address
    const host = u.hostname.replace(/^\[|\]$/g, '')
    if (isIP(host)) {
      const v = checkAddress(host, policy)
      if (!v.ok)
        return resolve(
          done(
            null,
            `refused target ${host} (${v.range}): set SHIREN_WEBHOOK_ALLOW_PRIVATE=1 or SHIREN_WEBHOOK_ALLOW to allow it`,
          ),
        )
    }
    const client = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null
    if (!client) return resolve(done(null, 'only http and https URLs are delivered to'))
    let settled = false
    const finish = (r: PostResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(r)
    }
    const req = client.request(
      u,
      {
        method: 'POST',
        agent: false,
        lookup: guardedLookup(policy) as never,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        // the body is read (so the connection closes cleanly) but never kept beyond 64 KiB nor logged
        let seen = 0
        res.on('data', (c: Buffer) => {
          seen += c.length
          if (seen > 65536) res.destroy()
        })
        res.on('end', () => finish(done(res.statusCode ?? null, null)))
        res.on('close', () => finish(done(res.statusCode ?? null, null)))
        res.on('error', () => finish(done(res.statusCode ?? null, null)))
      },
    )
    const timer = setTimeout(() => {
      req.destroy()
      finish(done(null, `no answer within ${timeoutMs} ms`))
    }, timeoutMs)
    req.on('error', (err: NodeJS.ErrnoException) => {
      finish(done(null, err instanceof RefusedAddressError ? err.message : `${err.code ?? 'ERROR'}: ${err.message}`))
    })
    req.end(body)
  })
}
