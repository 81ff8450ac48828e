import { connect } from 'node:net'

/**
 * One request written byte for byte on a socket: for what fetch refuses to send (a content-length
 * that does not match the body, bytes that are not UTF-8 declared as text). Returns the first answer.
 */
export function rawRequest(
  base: string,
  head: string,
  body: Buffer = Buffer.alloc(0),
  timeoutMs = 5000,
): Promise<{ status: number; headers: string; body: string }> {
  const u = new URL(base)
  return new Promise((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname)
    let got = Buffer.alloc(0)
    const timer = setTimeout(() => {
      sock.destroy()
      reject(new Error('no answer in time'))
    }, timeoutMs)
    const finish = () => {
      const text = got.toString('latin1')
      const end = text.indexOf('\r\n\r\n')
      if (end < 0) return false
      const headers = text.slice(0, end)
      const status = Number(headers.split(' ')[1])
      const len = /content-length:\s*(\d+)/i.exec(headers)
      const rest = got.subarray(end + 4)
      if (len && rest.length < Number(len[1])) return false
      clearTimeout(timer)
      sock.destroy()
      resolve({
        status,
        headers,
        body: (len ? rest.subarray(0, Number(len[1])) : rest).toString('utf8'),
      })
      return true
    }
    sock.on('data', (d) => {
      got = Buffer.concat([got, d])
      finish()
    })
    sock.on('end', () => {
      if (!finish()) {
        clearTimeout(timer)
        reject(new Error('connection closed without an answer'))
      }
    })
    sock.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    sock.write(Buffer.concat([Buffer.from(head.replace(/\n/g, '\r\n') + '\r\n\r\n', 'latin1'), body]))
  })
}
