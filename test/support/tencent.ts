import { createRequire } from 'node:module'
import { createHash, createHmac } from 'node:crypto'

const require = createRequire(import.meta.url)
// the official SDK, exactly as a caller installs it; only the endpoint and protocol change
const {
  Client: FaceidClient,
} = require('tencentcloud-sdk-nodejs/tencentcloud/services/faceid/v20180301/faceid_client.js')

export interface FaceidSdk {
  DetectAuth(req: Record<string, unknown>): Promise<any>
  GetDetectInfoEnhanced(req: Record<string, unknown>): Promise<any>
  GetDetectInfo(req: Record<string, unknown>): Promise<any>
  GetFaceIdToken(req: Record<string, unknown>): Promise<any>
  GetFaceIdResult(req: Record<string, unknown>): Promise<any>
  GetLiveCode(req: Record<string, unknown>): Promise<any>
}

export function faceidClient(url: string, secretId: string, secretKey: string): FaceidSdk {
  const endpoint = url.replace(/^https?:\/\//, '')
  return new FaceidClient({
    credential: { secretId, secretKey },
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint, protocol: 'http://', reqTimeout: 30 } },
  })
}

/** A hand-made TC3 request, for inputs no SDK would send (malformed JSON, wrong types, huge bodies). */
export async function rawTc3(
  url: string,
  secretId: string,
  secretKey: string,
  action: string,
  body: string | Buffer,
  opts: { timestamp?: number; version?: string } = {},
) {
  const host = new URL(url).host
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000)
  const date = new Date(ts * 1000).toISOString().slice(0, 10)
  const ct = 'application/json; charset=utf-8'
  const payloadHash = createHash('sha256').update(body).digest('hex')
  const canonical = ['POST', '/', '', `content-type:${ct}\nhost:${host}\n`, 'content-type;host', payloadHash].join('\n')
  const scope = `${date}/faceid/tc3_request`
  const sts = ['TC3-HMAC-SHA256', String(ts), scope, createHash('sha256').update(canonical).digest('hex')].join('\n')
  const h = (k: string | Buffer, m: string) => createHmac('sha256', k).update(m).digest()
  const sig = createHmac('sha256', h(h(h(`TC3${secretKey}`, date), 'faceid'), 'tc3_request'))
    .update(sts)
    .digest('hex')
  const res = await fetch(url + '/', {
    method: 'POST',
    headers: {
      'content-type': ct,
      'x-tc-action': action,
      'x-tc-version': opts.version ?? '2018-03-01',
      'x-tc-timestamp': String(ts),
      authorization: `TC3-HMAC-SHA256 Credential=${secretId}/${scope}, SignedHeaders=content-type;host, Signature=${sig}`,
    },
    // a Uint8Array is a body under both Node's and the DOM's fetch types (the browser tests type-check with the DOM)
    body: typeof body === 'string' ? body : new Uint8Array(body),
  })
  return { status: res.status, json: (await res.json()) as any }
}
