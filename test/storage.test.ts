import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ulid } from 'ulid'
import { KyselyStore, migrateToLatest, openDatabase, type Db, type Store } from '../src/storage/index.js'
import { PersonalDataVault } from '../src/crypto/index.js'
import { randomBytes } from 'node:crypto'
import { databaseUrl, dialects, tempDir, PG_URL, type DialectName } from './support/env.js'
import { startTestServer } from './support/server.js'
import { RegistryFaces } from '../src/registry/index.js'
import { faceidClient } from './support/tencent.js'

const DIALECTS = await dialects()
const iso = (ms = 0) => new Date(Date.now() + ms).toISOString()

// One test body, every dialect: the same repositories on SQLite and on PostgreSQL.
describe.each(DIALECTS)('storage on %s', (dialect: DialectName) => {
  let db: Db
  let store: Store
  let drop: () => Promise<void>
  const vault = new PersonalDataVault({ dataKey: randomBytes(32), indexKey: randomBytes(32) })

  beforeAll(async () => {
    const target = await databaseUrl(dialect, tempDir())
    drop = target.drop
    db = openDatabase(target.url)
    await migrateToLatest(db)
    expect(await migrateToLatest(db)).toEqual([])
    store = new KyselyStore(db.kysely)
    await store.apps.insert({
      appId: 'IDATEST1',
      name: 't',
      secretSealed: vault.seal('s'),
      services: ['h5', 'sdk', 'silent'],
      validUntil: null,
      dailyLimitPerPerson: 0,
      concurrencyLimit: 0,
    })
    await store.rules.insert({
      ruleId: 'R1',
      appId: 'IDATEST1',
      name: 'r',
      liveness: 'silent',
      compareSource: 'none',
      threshold: 70,
      maxAttempts: 2,
      tokenTtlS: 600,
      actionCount: 2,
      idcardStep: 'none',
      duplicateAction: 'flag',
    })
  })
  afterAll(async () => {
    await db?.close()
    await drop?.()
  })

  const newVerification = async (orderNo: string | null = null) => {
    const id = `ver_${ulid().toLowerCase()}`
    await store.verifications.insert({
      id,
      appId: 'IDATEST1',
      ruleId: 'R1',
      ruleVersion: 1,
      family: 'sdk',
      token: `tok_${id}`,
      orderNo,
      requestKey: null,
      userId: 'u',
      nameSealed: vault.seal('张三'),
      idNumberSealed: vault.seal('11010519491231002X'),
      idHash: vault.blindIndex('id', '11010519491231002X'),
      referenceBlob: null,
      referenceOrigin: null,
      identityOrigin: 'request',
      redirectUrl: null,
      extra: null,
      maxAttempts: 2,
      expiresAt: iso(600_000),
      purgeAfter: iso(3_600_000),
    })
    return id
  }

  it('round-trips apps and rules with typed values', async () => {
    const app = await store.apps.get('IDATEST1')
    expect(app).toMatchObject({
      services: ['h5', 'sdk', 'silent'],
      enabled: true,
      dailyLimitPerPerson: 0,
      secretVersion: 1,
    })
    expect(await store.apps.rotateSecret('IDATEST1', vault.seal('s2'))).toBe(2)
    expect(await store.rules.get('R1')).toMatchObject({
      threshold: 70,
      maxAttempts: 2,
      enabled: true,
      idcardStep: 'none',
      duplicateAction: 'flag',
    })
    await store.rules.insert({
      ruleId: 'R2',
      appId: 'IDATEST1',
      name: 'card',
      liveness: 'silent',
      compareSource: 'none',
      threshold: 70,
      maxAttempts: 2,
      tokenTtlS: 600,
      actionCount: 2,
      idcardStep: 'both',
      duplicateAction: 'flag',
    })
    expect((await store.rules.get('R2'))?.idcardStep).toBe('both')
  })

  it('ID-card sides: a retake replaces its side, the purge deletes them; a card identity is adopted only where none was declared', async () => {
    const id = await newVerification()
    const side = {
      verificationId: id,
      side: 'front' as const,
      imageBlob: `${id}/idcard-front.jpeg`,
      portraitBlob: null,
      fieldsSealed: vault.seal('{"name":"张三"}'),
      reason: 'OCR_FAILED',
      readAt: iso(),
    }
    await store.idcards.put(side)
    await store.idcards.put({ ...side, portraitBlob: `${id}/idcard-portrait.jpg`, reason: 'PASS' })
    await store.idcards.put({ ...side, side: 'back', imageBlob: `${id}/idcard-back.png`, reason: 'IDCARD_EXPIRED' })
    const rows = await store.idcards.listFor(id)
    expect(rows.map((r) => [r.side, r.reason])).toEqual([
      ['back', 'IDCARD_EXPIRED'],
      ['front', 'PASS'],
    ])
    expect(vault.open(rows[1]!.fieldsSealed!)).toBe('{"name":"张三"}')
    expect((await store.idcards.blobsFor(id)).sort()).toEqual([
      `${id}/idcard-back.png`,
      `${id}/idcard-front.jpeg`,
      `${id}/idcard-portrait.jpg`,
    ])
    // this verification has a declared identity: the card's does not replace it
    expect(
      await store.verifications.adoptIdentity(id, {
        nameSealed: vault.seal('李四'),
        idNumberSealed: vault.seal('x'),
        idHash: 'h',
      }),
    ).toBe(false)
    expect((await store.verifications.getById(id))?.identityOrigin).toBe('request')

    const due = await store.verifications.listExpired(iso(7_200_000), 1000)
    expect(due.map((d) => d.id)).toContain(id)
    await store.verifications.purge(id)
    expect(await store.idcards.listFor(id)).toEqual([])

    const bare = `ver_${ulid().toLowerCase()}`
    await store.verifications.insert({
      id: bare,
      appId: 'IDATEST1',
      ruleId: 'R1',
      ruleVersion: 1,
      family: 'h5',
      token: `tok_${bare}`,
      orderNo: null,
      requestKey: null,
      userId: null,
      nameSealed: null,
      idNumberSealed: null,
      idHash: null,
      referenceBlob: null,
      referenceOrigin: null,
      identityOrigin: null,
      redirectUrl: null,
      extra: null,
      maxAttempts: 2,
      expiresAt: iso(600_000),
      purgeAfter: iso(3_600_000),
    })
    expect((await store.verifications.getById(bare))?.identityOrigin).toBeNull()
    expect(
      await store.verifications.adoptIdentity(bare, {
        nameSealed: vault.seal('李四'),
        idNumberSealed: vault.seal('x'),
        idHash: 'h',
      }),
    ).toBe(true)
    expect(await store.verifications.getById(bare)).toMatchObject({
      identityOrigin: 'idcard',
      idHash: 'h',
      hasIdentity: true,
    })
  })

  it('registry faces: two processes agree through the revision counter; rows stay sealed; a deletion reaches both', async () => {
    const unit = (seed: number) => {
      const v = new Float32Array(512)
      let x = seed
      for (let i = 0; i < 512; i++) v[i] = Math.sin((x = (x * 16807) % 2147483647))
      const n = Math.hypot(...v)
      return v.map((e) => e / n)
    }
    // two instances over the same database stand for two server processes
    const a = new RegistryFaces(store, vault, 'm1')
    const b = new RegistryFaces(store, vault, 'm1')
    const start = await store.registry.faceRevision()
    await a.put('per_a', unit(1))
    await a.put('per_b', unit(2))
    expect((await b.search(unit(2), 1))[0]).toMatchObject({ personId: 'per_b' })
    expect((await b.search(unit(2), 1))[0]!.cosine).toBeGreaterThan(0.99)
    // concurrent writers get distinct revisions (the counter row is updated in the row's transaction)
    const revs = await Promise.all([1, 2, 3, 4].map((i) => store.registry.putFace(`per_c${i}`, null)))
    expect(new Set(revs).size).toBe(4)
    expect(await store.registry.faceRevision()).toBe(start + 6)
    await b.remove('per_b')
    expect((await a.search(unit(2), 5)).map((h) => h.personId)).not.toContain('per_b')
    // a row of another face model is not searched: it waits for a reindex
    await store.registry.putFace('per_old', { embeddingSealed: vault.seal('x'), model: 'm0' })
    await a.sync()
    expect(a.staleCount).toBe(1)
    const rows = await store.registry.facesSince(start, 100)
    expect(rows.map((r) => r.revision)).toEqual([...rows.map((r) => r.revision)].sort((x, y) => x - y))
    for (const r of rows) if (r.embeddingSealed) expect(r.embeddingSealed).toMatch(/^v1:/)
    // the rows of the candidates a search re-ranks: one query, persons without a row left out
    const of = await store.registry.facesOf(['per_a', 'per_b', 'per_none'])
    expect(of.map((r) => r.personId).sort()).toEqual(['per_a', 'per_b'])
    expect(of.find((r) => r.personId === 'per_b')!.embeddingSealed).toBeNull()
    expect(await store.registry.facesOf([])).toEqual([])
    // a search answers the exact float cosine of the stored embedding (re-ranked), not the 8-bit one
    const hit = (await a.search(unit(1), 1))[0]!
    expect(hit.personId).toBe('per_a')
    expect(hit.cosine).toBeCloseTo(1, 6)
  })

  it('state transitions are compare-and-set: only one of two concurrent claims wins', async () => {
    const id = await newVerification()
    const results = await Promise.all([
      store.verifications.transition(id, ['created', 'capturing'], 'analysing', { attemptsUsed: 1 }),
      store.verifications.transition(id, ['created', 'capturing'], 'analysing', { attemptsUsed: 1 }),
    ])
    expect(results.filter(Boolean)).toHaveLength(1)
    expect((await store.verifications.getById(id))?.state).toBe('analysing')
  })

  it('an order number is unique per app', async () => {
    await newVerification('dup-order')
    await expect(newVerification('dup-order')).rejects.toThrow()
  })

  it('finishing an attempt writes exactly one ledger row, also when repeated, and a failed transaction writes none', async () => {
    const id = await newVerification()
    const attemptId = `att_${ulid().toLowerCase()}`
    await store.attempts.insert({
      id: attemptId,
      verificationId: id,
      seq: 1,
      mediaBlob: `${id}/a.webm`,
      mediaKind: 'video',
      mediaHash: 'h1',
      createdAt: iso(),
    })
    const finish = () =>
      store.transaction(async (tx) => {
        if (
          !(await tx.attempts.finish(attemptId, {
            reason: 'PASS',
            code: 0,
            billable: true,
            similarity: 88.5,
            signals: { a: 1 },
            bestFrameBlob: null,
            finishedAt: iso(),
          }))
        )
          return
        await tx.ledger.record({
          attemptId,
          verificationId: id,
          appId: 'IDATEST1',
          ruleId: 'R1',
          family: 'sdk',
          code: 0,
          reason: 'PASS',
          billable: true,
          at: iso(),
        })
      })
    await finish()
    await finish()
    expect(await store.ledger.countForAttempt(attemptId)).toBe(1)
    const other = `att_${ulid().toLowerCase()}`
    await store.attempts.insert({
      id: other,
      verificationId: id,
      seq: 2,
      mediaBlob: null,
      mediaKind: null,
      mediaHash: null,
      createdAt: iso(),
    })
    await expect(
      store.transaction(async (tx) => {
        await tx.attempts.finish(other, {
          reason: 'NO_FACE',
          code: 66660038,
          billable: false,
          similarity: null,
          signals: {},
          bestFrameBlob: null,
          finishedAt: iso(),
        })
        await tx.ledger.record({
          attemptId: other,
          verificationId: id,
          appId: 'IDATEST1',
          ruleId: 'R1',
          family: 'sdk',
          code: 66660038,
          reason: 'NO_FACE',
          billable: false,
          at: iso(),
        })
        throw new Error('crash between the writes')
      }),
    ).rejects.toThrow('crash')
    expect((await store.attempts.get(other))?.state).toBe('queued')
    expect(await store.ledger.countForAttempt(other)).toBe(0)
    expect((await store.attempts.get(attemptId))?.signals).toEqual({ a: 1 })
  })

  it('usage groups the ledger by app, day and code with billable and free counts', async () => {
    const day = iso().slice(0, 10)
    const u = await store.ledger.usage({ from: day, to: day, appId: 'IDATEST1' })
    expect(u).toContainEqual({ appId: 'IDATEST1', day, family: 'sdk', code: 0, billable: 1, free: 0 })
    expect(await store.ledger.countForPerson('IDATEST1', vault.blindIndex('id', '11010519491231002X'), day)).toBe(1)
  })

  it('a NONCE ticket is consumed once, even by concurrent callers', async () => {
    await store.tickets.insert({
      valueHash: 'n1',
      valueSealed: vault.seal('nonce'),
      kind: 'nonce',
      appId: 'IDATEST1',
      userId: 'u',
      parentHash: 'p',
      secretVersion: 2,
      expiresAt: iso(120_000),
      createdAt: iso(),
    })
    const r = await Promise.all([
      store.tickets.consume('n1', iso()),
      store.tickets.consume('n1', iso()),
      store.tickets.consume('n1', iso()),
    ])
    expect(r.filter(Boolean)).toHaveLength(1)
  })

  it('a guard slot is taken once until it expires', async () => {
    const now = new Date()
    const later = new Date(now.getTime() + 2000).toISOString()
    expect(await store.guards.claim('nonce', 'IDATEST1|u', now.toISOString(), later)).toBe(true)
    expect(await store.guards.claim('nonce', 'IDATEST1|u', now.toISOString(), later)).toBe(false)
    expect(
      await store.guards.claim(
        'nonce',
        'IDATEST1|u',
        new Date(now.getTime() + 2500).toISOString(),
        new Date(now.getTime() + 4500).toISOString(),
      ),
    ).toBe(true)
  })

  it('jobs: a key is queued once, a claim is exclusive, and a dead worker’s job is taken over', async () => {
    expect(
      await store.jobs.enqueue({ id: 'j1', kind: 'analyse', jobKey: 'analyse:x', payload: '{}', now: iso() }),
    ).toBe(true)
    expect(
      await store.jobs.enqueue({ id: 'j2', kind: 'analyse', jobKey: 'analyse:x', payload: '{}', now: iso() }),
    ).toBe(false)
    const [a, b] = await Promise.all([store.jobs.claim(iso(), iso(60_000)), store.jobs.claim(iso(), iso(60_000))])
    expect([a, b].filter((j) => j !== null)).toHaveLength(1)
    expect(await store.jobs.claim(iso(), iso(60_000))).toBeNull()
    // the lock ran out (its process died): another worker takes the job over
    const taken = await store.jobs.claim(iso(120_000), iso(180_000))
    expect(taken).toMatchObject({ id: 'j1', tries: 2 })
    await store.jobs.complete('j1', null, iso())
    expect((await store.jobs.counts()).done).toBe(1)
  })

  it('the registry finds a person by the keyed hash of the ID number only', async () => {
    const idHash = vault.blindIndex('id', '440524198001010013')
    expect(
      await store.registry.upsert(
        {
          id: 'per_1',
          idHash,
          nameHash: vault.blindIndex('name', '李四'),
          idNumberSealed: vault.seal('440524198001010013'),
          nameSealed: vault.seal('李四'),
          photoBlob: null,
        },
        iso(),
      ),
    ).toBe('created')
    expect(
      await store.registry.upsert(
        {
          id: 'per_1',
          idHash,
          nameHash: vault.blindIndex('name', '李四'),
          idNumberSealed: vault.seal('440524198001010013'),
          nameSealed: vault.seal('李四'),
          photoBlob: 'registry/per_1.jpg',
        },
        iso(),
      ),
    ).toBe('updated')
    expect((await store.registry.getByIdHash(idHash))?.photoBlob).toBe('registry/per_1.jpg')
    expect(await store.registry.count()).toBe(1)
  })

  it('retention removes personal data and media references, and keeps the verdict and the ledger', async () => {
    const id = await newVerification()
    await store.verifications.finish(id, {
      state: 'finished',
      reason: 'PASS',
      code: 0,
      billable: true,
      similarity: 90,
      bestFrameBlob: `${id}/b.jpg`,
      videoBlob: `${id}/v.webm`,
      finishedAt: iso(),
      purgeAfter: iso(-1000),
    })
    const due = await store.verifications.listExpired(iso(), 100)
    expect(due.map((d) => d.id)).toContain(id)
    await store.verifications.purge(id)
    expect(await store.verifications.sealedIdentity(id)).toEqual({ nameSealed: null, idNumberSealed: null })
    expect((await store.verifications.getById(id))?.finalCode).toBe(0)
    expect((await store.verifications.listExpired(iso(), 100)).map((d) => d.id)).not.toContain(id)
  })
})

// Names and ID numbers never appear in plain text in the database, the media folder or the logs.
describe.each(DIALECTS)('personal data at rest on %s', (dialect: DialectName) => {
  it('a verification through the API leaves no name or ID number in plain text', async () => {
    const srv = await startTestServer({ dialect })
    try {
      const name = '欧阳明日'
      const idNumber = '320102198512041236'
      const { app, secret } = await srv.shiren.apps.createApp({ name: 'pii' })
      const rule = await srv.shiren.apps.createRule({ appId: app.appId, liveness: 'silent', compareSource: 'registry' })
      await srv.shiren.registry.enroll({
        name,
        idNumber,
        photo: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(`EXIF ${name}`)]),
      })
      const sdk = faceidClient(srv.url, app.appId, secret)
      const r = await sdk.DetectAuth({ RuleId: rule.ruleId, Name: name, IdCard: idNumber })
      const info = await sdk.GetDetectInfoEnhanced({ BizToken: r.BizToken, RuleId: rule.ruleId, InfoType: '1' })
      // the caller gets its own data back …
      expect(info.Text).toMatchObject({ Name: name, IdCard: idNumber })

      // … but nothing at rest holds it in the clear
      const needles = [name, idNumber, Buffer.from(name).toString('hex'), secret]
      let dump: string
      if (dialect === 'sqlite') {
        dump =
          readFileSync(join(srv.dataDir, 'shiren.db')).toString('latin1') +
          readFileSync(join(srv.dataDir, 'shiren.db-wal')).toString('latin1')
        dump += Buffer.from(dump, 'latin1').toString('utf8')
      } else {
        const schema = decodeURIComponent(srv.config.databaseUrl).match(/search_path=(\w+)/)![1]!
        dump = execFileSync('pg_dump', ['--data-only', '-n', schema, PG_URL.replace(/\?.*$/, '')], {
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        })
      }
      for (const n of needles)
        expect(dump.includes(n), `database holds ${n === secret ? 'the secret' : 'personal data'} in plain text`).toBe(
          false,
        )
      for (const f of walk(join(srv.dataDir, 'media'))) {
        const bytes = readFileSync(f)
        expect(bytes.includes(Buffer.from(name)), `${f} holds the name in plain text`).toBe(false)
      }
      const logs = srv.logs()
      expect(logs.length).toBeGreaterThan(0)
      for (const n of [name, idNumber, secret, r.BizToken])
        expect(logs.includes(n), 'logs hold personal data, a secret or a token').toBe(false)
    } finally {
      await srv.close()
    }
  })
})

function walk(dir: string): string[] {
  let out: string[] = []
  for (const e of readdirSync(dir)) {
    const p = join(dir, e)
    out = statSync(p).isDirectory() ? out.concat(walk(p)) : out.concat(p)
  }
  return out
}
