import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './index.js'

describe('blob store settings', () => {
  it('default to the folder; s3 needs a valid bucket, a clean prefix and 0/1 for path style', () => {
    expect(loadConfig({}).blobStore).toBe('folder')
    const s3 = loadConfig({
      SHIREN_BLOB_STORE: 's3',
      SHIREN_S3_BUCKET: 'shiren-media',
      SHIREN_S3_PREFIX: 'shiren/prod/',
      SHIREN_S3_PATH_STYLE: '1',
    })
    expect(s3).toMatchObject({ blobStore: 's3', s3Bucket: 'shiren-media', s3Prefix: 'shiren/prod/', s3PathStyle: true })
    for (const env of [
      { SHIREN_BLOB_STORE: 'nfs' },
      { SHIREN_BLOB_STORE: 's3' },
      { SHIREN_BLOB_STORE: 's3', SHIREN_S3_BUCKET: 'Bad_Bucket' },
      { SHIREN_BLOB_STORE: 's3', SHIREN_S3_BUCKET: 'ok-bucket', SHIREN_S3_PREFIX: 'a/../b' },
      { SHIREN_BLOB_STORE: 's3', SHIREN_S3_BUCKET: 'ok-bucket', SHIREN_S3_PATH_STYLE: 'yes' },
    ])
      expect(() => loadConfig(env), JSON.stringify(env)).toThrow(ConfigError)
  })
})
