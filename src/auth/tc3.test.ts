import { describe, expect, it } from 'vitest'
import { tc3Signature, parseAuthorization } from './tc3.js'
import { createHash } from 'node:crypto'

// Vectors from the vendor's signature documentation, recomputed in ../shared/spec (section 2.1)
const body = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
const base = {
  method: 'POST',
  path: '/',
  query: '',
  payloadHash: createHash('sha256').update(body).digest('hex'),
  timestamp: '1551113065',
  date: '2019-02-25',
  service: 'cvm',
}
const key = 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE'

describe('TC3-HMAC-SHA256', () => {
  it('hashes the documented body', () => {
    expect(base.payloadHash).toBe('35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064')
  })
  it('matches the documented signature with content-type;host', () => {
    const sig = tc3Signature(key, {
      ...base,
      canonicalHeaders: 'content-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n',
      signedHeaders: 'content-type;host',
    })
    expect(sig).toBe('72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168')
  })
  it('matches the documented signature with x-tc-action signed', () => {
    const sig = tc3Signature(key, {
      ...base,
      canonicalHeaders:
        'content-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\nx-tc-action:describeinstances\n',
      signedHeaders: 'content-type;host;x-tc-action',
    })
    expect(sig).toBe('644be983de9a8a3f00db8eadaba61467c3b429e2215758ba897b738ca469fd26')
  })
  it('parses an Authorization header and rejects malformed ones', () => {
    const a = parseAuthorization(
      'TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=' +
        'a'.repeat(64),
    )
    expect(a).toMatchObject({
      secretId: 'AKID',
      date: '2019-02-25',
      service: 'cvm',
      signedHeaders: ['content-type', 'host'],
    })
    expect(parseAuthorization('TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request')).toBeNull()
    expect(parseAuthorization('Bearer x')).toBeNull()
  })
})
