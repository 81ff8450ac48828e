import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { rmSync } from 'node:fs'
import S3rver from 's3rver'
import { tempDir } from './env.js'

/**
 * A real S3-protocol server for the tests: s3rver (npm), started in this process on a random
 * loopback port with its objects in a temp folder. Chosen because it is plain JavaScript that npm
 * installs like any dev dependency and that runs on Node 20 without network access — MinIO and Ceph
 * are Go/C++ binaries npm does not carry, and in-memory mocks of the SDK would not speak the
 * protocol (signatures, multipart uploads, 404s, ListObjectsV2) that AWS S3, MinIO and R2 answer.
 * It checks signatures only loosely, so credentials are exercised by the SDK, not refused here.
 */
export interface TestS3 {
  endpoint: string
  bucket: string
  region: string
  /** the temp folder that holds its objects: close() removes it */
  directory: string
  credentials: { accessKeyId: string; secretAccessKey: string }
  /** what the AWS SDK reads from the environment, for a shiren configured the usual way */
  env: Record<string, string>
  /** a client of its own, to look at the raw objects behind the store's back */
  client: S3Client
  raw(key: string): Promise<Buffer>
  putRaw(key: string, body: Buffer): Promise<void>
  close(): Promise<void>
}

export async function startS3(bucket = 'shiren-test'): Promise<TestS3> {
  const directory = tempDir('shiren-s3-')
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: [{ name: bucket }],
  })
  const { port } = await server.run()
  const endpoint = `http://127.0.0.1:${port}`
  const region = 'us-east-1'
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }
  const client = new S3Client({ endpoint, region, credentials, forcePathStyle: true })
  let closed = false
  return {
    endpoint,
    bucket,
    region,
    directory,
    credentials,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    client,
    async raw(key) {
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      return Buffer.from(await r.Body!.transformToByteArray())
    },
    async putRaw(key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))
    },
    async close() {
      if (closed) return
      closed = true
      client.destroy()
      await server.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}
