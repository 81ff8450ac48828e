import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  paginateListObjectsV2,
  type S3ClientConfig,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { Readable } from 'node:stream'
import {
  BlobNotFoundError,
  BlobStoreError,
  BlobTimeoutError,
  DEFAULT_MAX_WHOLE_BYTES,
  checkBlobKey,
  type BlobCipher,
  type BlobStore,
  type BlobStoreOptions,
} from './blob-store.js'
import {
  BlobTooLargeError,
  ONE_RECORD,
  SealedFormatError,
  collect,
  openSealedStream,
  sealStream,
} from './sealed-stream.js'

export interface S3BlobStoreOptions extends BlobStoreOptions {
  bucket: string
  /** prepended to every key ('' or ending in '/'), so one bucket can hold several installations */
  prefix?: string
  /**
   * Handed to the S3 client on top of what the AWS SDK reads itself: AWS_REGION, the default
   * credential chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, instance roles),
   * AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL for MinIO, Ceph RGW or R2, AWS_REQUEST_CHECKSUM_CALCULATION.
   */
  client?: S3ClientConfig
  /** path-style addressing (http://host/bucket/key), which MinIO and most self-hosted stores need */
  forcePathStyle?: boolean
  /** a request (connect, or a silent socket) that takes longer fails with BlobTimeoutError */
  timeoutMs?: number
  /** multipart part size: an upload holds about partSize × (queueSize + 1) bytes; S3's minimum is 5 MiB */
  partSize?: number
  queueSize?: number
}

/**
 * Media in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, R2), sealed exactly as in the folder:
 * the bucket only ever sees sealed-stream.ts records, never a face or a card.
 *
 * Memory: `putStream` uploads in multipart parts of `partSize` (5 MiB) with `queueSize` (2) in
 * flight, `getStream` opens the response one 1 MiB record at a time; `put` of up to one part is a
 * single PutObject. Failures never escape as SDK errors: an absent key is BlobNotFoundError, a slow
 * or silent endpoint BlobTimeoutError, anything else BlobStoreError with a code (ECONNREFUSED,
 * S3_AccessDenied, …), which the services turn into BLOB_WRITE_FAILED / BLOB_READ_FAILED /
 * BLOB_TIMEOUT exactly as they do for the folder's errno codes.
 */
export class S3BlobStore implements BlobStore {
  readonly bucket: string
  readonly prefix: string
  private readonly client: S3Client
  private readonly timeoutMs: number
  private readonly maxWhole: number
  private readonly partSize: number
  private readonly queueSize: number

  constructor(
    opts: S3BlobStoreOptions,
    private readonly cipher: BlobCipher,
  ) {
    this.bucket = opts.bucket
    this.prefix = normalisePrefix(opts.prefix ?? '')
    this.timeoutMs = opts.timeoutMs ?? 30_000
    this.maxWhole = opts.maxWholeBytes ?? DEFAULT_MAX_WHOLE_BYTES
    this.partSize = Math.max(opts.partSize ?? 5 * 1024 * 1024, 5 * 1024 * 1024)
    this.queueSize = opts.queueSize ?? 2
    this.client = new S3Client({
      forcePathStyle: opts.forcePathStyle ?? false,
      maxAttempts: 3,
      requestHandler: { connectionTimeout: Math.min(this.timeoutMs, 5_000), requestTimeout: this.timeoutMs },
      ...opts.client,
    })
  }

  private objectKey(key: string): string {
    return this.prefix + checkBlobKey(key)
  }

  async put(key: string, data: Buffer): Promise<void> {
    if (data.length > this.maxWhole) throw new BlobTooLargeError(key, this.maxWhole)
    if (data.length > this.partSize) return this.putStream(key, [data])
    const Key = this.objectKey(key)
    const parts: Buffer[] = []
    for await (const b of sealStream([data], this.cipher)) parts.push(b)
    await this.call('put', key, (abortSignal) =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: Buffer.concat(parts) }), { abortSignal }),
    )
  }

  async putStream(key: string, data: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    const Key = this.objectKey(key)
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: Readable.from(sealStream(data, this.cipher), ONE_RECORD) },
      partSize: this.partSize,
      queueSize: this.queueSize,
      // a failed upload aborts its multipart upload: no half object, no orphaned parts
      leavePartsOnError: false,
    })
    try {
      await upload.done()
    } catch (err) {
      throw s3Error('put', key, err)
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await collect(await this.getStream(key), this.maxWhole, key)
    } catch (err) {
      throw s3Error('get', key, err)
    }
  }

  async getStream(key: string): Promise<Readable> {
    const Key = this.objectKey(key)
    // the deadline covers the answer's headers; the body is then guarded by the socket's requestTimeout
    const res = await this.call('get', key, (abortSignal) =>
      this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }), { abortSignal }),
    )
    const body = res.Body as Readable | undefined
    if (!body) throw new BlobStoreError(`s3 get ${key}: no body`, 'S3_EMPTY_BODY')
    const cipher = this.cipher
    // a connection lost mid-body is the store's failure too (BlobStoreError), not a raw socket error
    async function* opened(): AsyncGenerator<Buffer> {
      try {
        yield* openSealedStream(body!, cipher)
      } catch (err) {
        throw s3Error('get', key, err)
      }
    }
    return Readable.from(opened(), ONE_RECORD)
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key)
    await this.call('delete', key, (abortSignal) =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }), { abortSignal }),
    )
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = []
    try {
      for await (const page of paginateListObjectsV2(
        { client: this.client },
        { Bucket: this.bucket, Prefix: this.prefix + prefix },
      )) {
        for (const o of page.Contents ?? []) if (o.Key) out.push(o.Key.slice(this.prefix.length))
      }
    } catch (err) {
      throw s3Error('list', prefix, err)
    }
    return out.sort()
  }

  async check(): Promise<void> {
    await this.call('check', this.bucket, (abortSignal) =>
      this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal }),
    )
  }

  close(): void {
    this.client.destroy()
  }

  /** one request under the store's deadline (all retries included), its failure mapped */
  private async call<T>(op: string, key: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ac = new AbortController()
    const timer = setTimeout(() => ac.abort(), this.timeoutMs)
    try {
      return await fn(ac.signal)
    } catch (err) {
      throw s3Error(op, key, err, ac.signal.aborted)
    } finally {
      clearTimeout(timer)
    }
  }
}

/** An SDK failure as the blob errors the services know; ours pass through. */
function s3Error(op: string, key: string, err: unknown, deadline = false): Error {
  if (
    err instanceof BlobNotFoundError ||
    err instanceof BlobStoreError ||
    err instanceof BlobTooLargeError ||
    err instanceof SealedFormatError
  )
    return err
  const e = (err ?? {}) as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } }
  const name = e.name ?? 'Error'
  const status = e.$metadata?.httpStatusCode
  if (op !== 'check' && (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchBucket')))
    return new BlobNotFoundError(key)
  const what = `s3 ${op} ${key}: ${name}${status ? ` (HTTP ${status})` : ''}`
  if (
    deadline ||
    name === 'TimeoutError' ||
    name === 'RequestTimeout' ||
    e.code === 'ETIMEDOUT' ||
    e.code === 'ECONNABORTED' ||
    (name === 'AbortError' && deadline)
  )
    return new BlobTimeoutError(`${what}: no answer in time`, 'S3_TIMEOUT')
  const code = e.code && /^E[A-Z]+$/.test(e.code) ? e.code : `S3_${name}`
  return new BlobStoreError(`${what}: ${(e.message ?? '').slice(0, 200)}`, code)
}

function normalisePrefix(p: string): string {
  const t = p.replace(/^\/+/, '')
  if (t === '') return ''
  if (!/^[A-Za-z0-9_.\-/]+$/.test(t) || t.split('/').includes('..'))
    throw new Error(`invalid S3 key prefix: ${p} (letters, digits, _ . - /)`)
  return t.endsWith('/') ? t : `${t}/`
}
