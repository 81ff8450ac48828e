import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { testVault } from '../../test/support/fakes.js'
import { SEALED_MAGIC, SealedFormatError, collect, openSealedStream, sealStream } from './sealed-stream.js'

const vault = testVault()

async function seal(plain: Buffer, chunk: number, pieceSize = 7): Promise<Buffer[]> {
  const pieces: Buffer[] = []
  for (let i = 0; i < plain.length; i += pieceSize) pieces.push(plain.subarray(i, i + pieceSize))
  const out: Buffer[] = []
  for await (const b of sealStream(pieces, vault, chunk)) out.push(b)
  return out // [header, record 0, record 1, …]
}
const open = (parts: Buffer[], limit = 1 << 20) => collect(openSealedStream(parts, vault), limit, 'k')

describe('sealed records', () => {
  it('round-trips any plaintext, cut into any pieces, in records of at most one chunk', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 50 }),
        async (p, chunk, piece) => {
          const plain = Buffer.from(p)
          const parts = await seal(plain, chunk, piece)
          expect(parts.length).toBe(1 + Math.max(1, Math.ceil(plain.length / chunk)))
          expect((await open(parts)).equals(plain)).toBe(true)
          // however the stored bytes arrive (one byte at a time here), the same plaintext comes out
          const bytes = Buffer.concat(parts)
          expect((await open([...bytes].map((b) => Buffer.from([b])))).equals(plain)).toBe(true)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('refuses a dropped last record, swapped records, a record from another object, and bytes after the end', async () => {
    const plain = randomBytes(35)
    const [head, r0, r1, r2, r3] = await seal(plain, 10)
    expect(head!.subarray(0, 4).equals(SEALED_MAGIC)).toBe(true)
    await expect(open([head!, r0!, r1!, r2!])).rejects.toBeInstanceOf(SealedFormatError)
    await expect(open([head!, r0!, r2!, r1!, r3!])).rejects.toBeInstanceOf(SealedFormatError)
    const other = await seal(randomBytes(35), 10)
    await expect(open([head!, r0!, other[2]!, r2!, r3!])).rejects.toBeInstanceOf(SealedFormatError)
    await expect(open([head!, r0!, r1!, r2!, r3!, Buffer.from([0])])).rejects.toBeInstanceOf(SealedFormatError)
    expect((await open([head!, r0!, r1!, r2!, r3!])).equals(plain)).toBe(true)
  })

  it('reads the whole-file format written before it, and refuses bytes that are neither', async () => {
    const plain = randomBytes(100)
    expect((await open([vault.sealBytes(plain)])).equals(plain)).toBe(true)
    await expect(open([randomBytes(100)])).rejects.toBeInstanceOf(SealedFormatError)
    await expect(open([Buffer.concat([SEALED_MAGIC, randomBytes(60)])])).rejects.toBeInstanceOf(SealedFormatError)
    await expect(open([])).rejects.toBeInstanceOf(SealedFormatError)
  })
})
