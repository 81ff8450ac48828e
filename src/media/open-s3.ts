import type { BlobCipher, BlobStore } from './blob-store.js'
import type { S3BlobStoreOptions } from './s3-blob-store.js'

/**
 * The S3 store, loaded only when configured: the AWS SDK costs every process about 18 MB and most
 * of a second to import, which the default folder store (`npm start`) should not pay.
 */
export async function openS3BlobStore(opts: S3BlobStoreOptions, cipher: BlobCipher): Promise<BlobStore> {
  const { S3BlobStore } = await import('./s3-blob-store.js')
  return new S3BlobStore(opts, cipher)
}
