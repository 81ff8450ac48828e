/**
 * `npm run bench:blobs`: peak memory of the blob stores on a large object, streamed and whole.
 * The folder store and the S3 store (against s3rver in a child process, so the server's own memory is
 * not counted here) each
 *  1. put + get a whole buffer the size of the default upload limit (20 MiB), as the services do today;
 *  2. putStream + getStream an object of BLOB_BENCH_MB (default 256) MiB, generated and hashed on the fly.
 * Memory is sampled every 2 ms (process.memoryUsage: rss and arrayBuffers, where Buffers live, garbage
 * not yet collected included) and every 25 ms after a full GC ("live": what the store really holds);
 * printed as the peak above the baseline of the same run, and live as a ratio to the object size.
 * Run as: npm run bench:blobs  (node --expose-gc through tsx)
 */
import { spawn } from 'node:child_process'
import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PersonalDataVault } from '../src/crypto/index.js'
import { LocalBlobStore, openS3BlobStore, type BlobStore } from '../src/media/index.js'

const MB = 1024 * 1024
const BIG = Number(process.env.BLOB_BENCH_MB ?? 256) * MB
const WHOLE = 20 * MB
const vault = new PersonalDataVault({ dataKey: randomBytes(32), indexKey: randomBytes(32) })
const gc = (globalThis as { gc?: () => void }).gc

function* pieces(total: number, piece = 256 * 1024): Generator<Buffer> {
  const ctr = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16))
  for (let sent = 0; sent < total; sent += piece) yield ctr.update(Buffer.alloc(Math.min(piece, total - sent)))
}

async function peak(label: string, size: number, fn: () => Promise<void>): Promise<void> {
  gc?.()
  await new Promise((r) => setTimeout(r, 50))
  gc?.()
  const base = process.memoryUsage()
  let rss = base.rss
  let ab = base.arrayBuffers
  let live = base.arrayBuffers
  const timer = setInterval(() => {
    const m = process.memoryUsage()
    rss = Math.max(rss, m.rss)
    ab = Math.max(ab, m.arrayBuffers)
  }, 2)
  // what is still reachable: a full GC every 25 ms, then the buffers left
  const liveTimer = gc
    ? setInterval(() => {
        gc()
        live = Math.max(live, process.memoryUsage().arrayBuffers)
      }, 25)
    : null
  const t0 = performance.now()
  await fn()
  const s = (performance.now() - t0) / 1000
  clearInterval(timer)
  if (liveTimer) clearInterval(liveTimer)
  const m = process.memoryUsage()
  rss = Math.max(rss, m.rss)
  ab = Math.max(ab, m.arrayBuffers)
  const dRss = (rss - base.rss) / MB
  const dAb = (ab - base.arrayBuffers) / MB
  console.log(
    `${label.padEnd(34)} ${(size / MB).toFixed(0).padStart(5)} MiB  ${s.toFixed(2).padStart(6)} s  ` +
      `peak rss +${dRss.toFixed(1).padStart(6)} MiB  peak buffers +${dAb.toFixed(1).padStart(6)} MiB  ` +
      `live after GC +${((live - base.arrayBuffers) / MB).toFixed(1).padStart(6)} MiB ` +
      `(live / size ${((live - base.arrayBuffers) / size).toFixed(3)})`,
  )
}

async function run(name: string, store: BlobStore): Promise<void> {
  const whole = Buffer.concat([...pieces(WHOLE)])
  await peak(`${name}: put whole`, WHOLE, () => store.put('bench/whole.webm', whole))
  await peak(`${name}: get whole`, WHOLE, async () => {
    const b = await store.get('bench/whole.webm')
    if (b.length !== WHOLE) throw new Error('short read')
  })
  await peak(`${name}: putStream`, BIG, () => store.putStream('bench/big.webm', pieces(BIG)))
  const want = createHash('sha256')
  for (const p of pieces(BIG)) want.update(p)
  const expected = want.digest('hex')
  await peak(`${name}: getStream`, BIG, async () => {
    const h = createHash('sha256')
    for await (const c of await store.getStream('bench/big.webm')) h.update(c)
    if (h.digest('hex') !== expected) throw new Error('the streamed object came back different')
  })
  await store.delete('bench/big.webm')
  await store.delete('bench/whole.webm')
}

async function startS3rver(dir: string): Promise<{ port: number; stop(): void }> {
  const code = `import S3rver from 's3rver'
const s = new S3rver({ address: '127.0.0.1', port: 0, directory: ${JSON.stringify(dir)}, silent: true, configureBuckets: [{ name: 'bench' }] })
const { port } = await s.run(); console.log(port)`
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())))
    child.once('exit', (c) => reject(new Error(`s3rver exited ${c}`)))
  })
  return { port, stop: () => child.kill() }
}

const dir = mkdtempSync(join(tmpdir(), 'shiren-bench-blobs-'))
try {
  if (!gc) console.warn('no --expose-gc: baselines are noisier')
  console.log(`blob stores, ${new Date().toISOString()}, node ${process.version}, sealed records of 1 MiB`)
  await run('folder', new LocalBlobStore(join(dir, 'media'), vault))
  const s3 = await startS3rver(join(dir, 's3'))
  try {
    const store = await openS3BlobStore(
      {
        bucket: 'bench',
        forcePathStyle: true,
        timeoutMs: 60_000,
        client: {
          endpoint: `http://127.0.0.1:${s3.port}`,
          region: 'us-east-1',
          credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        },
      },
      vault,
    )
    await run('s3 (s3rver, part 5 MiB × 2)', store)
    store.close?.()
  } finally {
    s3.stop()
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
