import { ReasonError } from '../codes/index.js'
import type { PersonalDataVault } from '../crypto/index.js'
import type { Clock } from '../clock/index.js'
import type { AuditBy, AuditLog } from '../audit/index.js'
import { BlobNotFoundError, type BlobStore } from '../media/index.js'
import { checkRetentionDays, type App, type AppService } from '../apps/index.js'
import { openEmbedding, type RegistryService } from '../registry/index.js'
import type { RegistryPerson, Store } from '../storage/index.js'
import type { Verification, VerificationService } from '../verifications/index.js'

/** Whom an erasure or an export is about: a registry person, or an ID number (registered or not). */
export type PersonRef = { personId: string } | { idNumber: string }

/** One media object held: its key in the blob store, its size, and (on request) its bytes. */
export interface HeldMedia {
  key: string
  /** null: the key is recorded but the object is gone from the store */
  bytes: number | null
  base64?: string
}

export interface PersonExport {
  exportedAt: string
  registry: {
    personId: string
    name: string
    idNumber: string
    createdAt: string
    photo: HeldMedia | null
    /** the face embedding kept for 1:N search (the vector itself only with media) */
    face: { model: string | null; embedding?: number[] } | null
  } | null
  verifications: Array<{
    id: string
    appId: string
    ruleId: string
    family: string
    orderNo: string | null
    userId: string | null
    state: string
    createdAt: string
    finishedAt: string | null
    /** when its media and personal data are deleted (retention) */
    keptUntil: string
    reason: string | null
    code: number | null
    similarity: number | null
    name: string | null
    idNumber: string | null
    identityOrigin: string | null
    extra: string | null
    media: { reference: HeldMedia | null; bestFrame: HeldMedia | null; video: HeldMedia | null }
    attempts: Array<{
      seq: number
      state: string
      reason: string | null
      code: number | null
      createdAt: string
      finishedAt: string | null
      media: HeldMedia | null
      bestFrame: HeldMedia | null
      signals: Record<string, unknown> | null
    }>
    idCard: Array<{
      side: string
      reason: string
      readAt: string
      fields: Record<string, unknown> | null
      image: HeldMedia | null
      portrait: HeldMedia | null
    }>
  }>
  /** what is held but not listed, and why */
  notes: string[]
}

export interface ErasureReport {
  personId: string | null
  /** the registry entry (row, face row, face-index entry, photo) was deleted */
  registry: boolean
  /** verifications, of any app, whose media and personal fields were deleted */
  verifications: number
  /** media objects deleted from the blob store (photo, references, videos, frames, card images) */
  mediaObjects: number
  /** other people's attempts whose duplicate-identity evidence named this person */
  evidenceScrubbed: number
}

/**
 * The data-subject rights and retention controls: per-app retention, erasure of one person
 * everywhere, and the export of what is held about them. Erasure deletes rather than hides: rows
 * and blobs are removed, and on SQLite (secure_delete on) the file no longer holds the bytes.
 */
export class PrivacyService {
  constructor(
    private readonly store: Store,
    private readonly vault: PersonalDataVault,
    private readonly blobs: BlobStore,
    private readonly apps: Pick<AppService, 'getApp' | 'updateApp'>,
    private readonly registry: Pick<RegistryService, 'find' | 'eraseEntry' | 'idHash'>,
    private readonly verifications: Pick<
      VerificationService,
      'applyRetention' | 'purgeOne' | 'byIdHash' | 'attempts' | 'identity'
    >,
    private readonly clock: Clock,
    private readonly audit: Pick<AuditLog, 'record'>,
  ) {}

  /** Sets an app's retention (days, 0–365; null: the server default) and reschedules its verifications. */
  async setRetention(
    appId: string,
    days: number | null,
    by: AuditBy = { actor: 'system' },
  ): Promise<{ app: App; rescheduled: number }> {
    checkRetentionDays(days)
    // the app's update is audited there (app.update with its retentionDays)
    const app = await this.apps.updateApp(appId, { retentionDays: days }, by)
    const rescheduled = await this.verifications.applyRetention(app)
    return { app, rescheduled }
  }

  /** Who the reference names: the registry person (if any) and the blind index of the ID number. */
  private async resolve(ref: PersonRef): Promise<{ person: RegistryPerson | null; idHash: string | null }> {
    if ('personId' in ref) {
      const person = await this.registry.find(ref)
      return { person, idHash: person?.idHash ?? null }
    }
    const idNumber = ref.idNumber.trim()
    if (!idNumber || idNumber.length > 32)
      throw new ReasonError('INVALID_PARAMETER', 'idNumber must be 1-32 characters')
    return { person: await this.registry.find({ idNumber }), idHash: this.registry.idHash(idNumber) }
  }

  /**
   * Erases one person everywhere: their registry entry (row, face row, face-index entry, photo) and, found
   * by the blind index of their ID number in every app, their verifications' media and personal fields
   * (verdicts, times and ledger rows stay, holding no personal data). NOT_FOUND when nothing is held.
   */
  async erase(ref: PersonRef, by: AuditBy = { actor: 'system' }): Promise<ErasureReport> {
    const { person, idHash } = await this.resolve(ref)
    const held = idHash ? await this.verifications.byIdHash(idHash) : []
    if (!person && held.length === 0) throw new ReasonError('NOT_FOUND', 'nothing is held about this person')
    const report: ErasureReport = {
      personId: person?.id ?? null,
      registry: false,
      verifications: 0,
      mediaObjects: 0,
      evidenceScrubbed: 0,
    }
    const now = this.clock.now().toISOString()
    for (const v of held) {
      report.mediaObjects += await this.mediaCount(v)
      await this.verifications.purgeOne(v, { erase: true, expireAt: now < v.purgeAfter ? now : v.purgeAfter })
      // (purgeOne with `erase` also deletes its webhook events and delivery-log entries)
      report.verifications++
    }
    if (person) {
      const gone = await this.registry.eraseEntry(person.id)
      report.registry = gone !== null
      if (gone?.photoBlob) report.mediaObjects++
      report.evidenceScrubbed = await this.store.verifications.forgetPerson(person.id)
    }
    await this.store.scrub()
    // subject by id, never by the ID number (an erasure by number names no one)
    await this.audit.record({
      ...by,
      action: 'person.erase',
      subject: report.personId ? `person:${report.personId}` : 'person:by-id-number',
      details: { verifications: report.verifications, mediaObjects: report.mediaObjects, registry: report.registry },
    })
    return report
  }

  /** The media objects of a verification that exist in the store (counted before they are deleted). */
  private async mediaCount(v: Verification): Promise<number> {
    const keys = new Set(
      [
        v.bestFrameBlob,
        v.videoBlob,
        v.referenceBlob?.startsWith(`${v.id}/`) ? v.referenceBlob : null,
        ...(await this.store.attempts.blobsFor(v.id)),
        ...(await this.store.idcards.blobsFor(v.id)),
      ].filter((k): k is string => !!k),
    )
    let n = 0
    for (const k of keys) if ((await this.held(k, false))?.bytes != null) n++
    return n
  }

  private async held(key: string | null, withBytes: boolean): Promise<HeldMedia | null> {
    if (!key) return null
    try {
      const data = await this.blobs.get(key)
      return { key, bytes: data.length, ...(withBytes && { base64: data.toString('base64') }) }
    } catch (err) {
      if (err instanceof BlobNotFoundError) return { key, bytes: null }
      throw err
    }
  }

  /**
   * What is held about one person, decrypted for the operator answering an access request: the
   * registry entry and every verification (any app) found by the blind index of the ID number.
   * Media are listed (key and size); `includeMedia` adds their bytes (base64) and the face embedding.
   */
  async export(ref: PersonRef, opts: { includeMedia?: boolean } = {}): Promise<PersonExport> {
    const { person, idHash } = await this.resolve(ref)
    const held = idHash ? await this.verifications.byIdHash(idHash) : []
    if (!person && held.length === 0) throw new ReasonError('NOT_FOUND', 'nothing is held about this person')
    const media = !!opts.includeMedia
    let registry: PersonExport['registry'] = null
    if (person) {
      const face = await this.store.registry.getFace(person.id)
      registry = {
        personId: person.id,
        name: this.vault.open(person.nameSealed),
        idNumber: this.vault.open(person.idNumberSealed),
        createdAt: person.createdAt,
        photo: await this.held(person.photoBlob, media),
        face: face?.embeddingSealed
          ? {
              model: face.model,
              ...(media && { embedding: Array.from(openEmbedding(this.vault, face.embeddingSealed)) }),
            }
          : null,
      }
    }
    const verifications: PersonExport['verifications'] = []
    for (const v of held) {
      const id = await this.verifications.identity(v)
      const attempts = await this.verifications.attempts(v.id)
      const cards = await this.store.idcards.listFor(v.id)
      verifications.push({
        id: v.id,
        appId: v.appId,
        ruleId: v.ruleId,
        family: v.family,
        orderNo: v.orderNo,
        userId: v.userId,
        state: v.state,
        createdAt: v.createdAt,
        finishedAt: v.finishedAt,
        keptUntil: v.purgeAfter,
        reason: v.finalReason,
        code: v.finalCode,
        similarity: v.similarity,
        name: id.name,
        idNumber: id.idNumber,
        identityOrigin: v.identityOrigin,
        extra: v.extra,
        media: {
          // a registry reference is the registry's photo, listed there
          reference: v.referenceBlob?.startsWith(`${v.id}/`) ? await this.held(v.referenceBlob, media) : null,
          bestFrame: await this.held(v.bestFrameBlob, media),
          video: await this.held(v.videoBlob, media),
        },
        attempts: await Promise.all(
          attempts.map(async (a) => ({
            seq: a.seq,
            state: a.state,
            reason: a.reason,
            code: a.code,
            createdAt: a.createdAt,
            finishedAt: a.finishedAt,
            media: await this.held(a.mediaBlob, media),
            bestFrame: await this.held(a.bestFrameBlob, media),
            signals: a.signals,
          })),
        ),
        idCard: await Promise.all(
          cards.map(async (c) => ({
            side: c.side,
            reason: c.reason,
            readAt: c.readAt,
            fields: c.fieldsSealed ? (JSON.parse(this.vault.open(c.fieldsSealed)) as Record<string, unknown>) : null,
            image: await this.held(c.imageBlob, media),
            portrait: await this.held(c.portraitBlob, media),
          })),
        ),
      })
    }
    return {
      exportedAt: this.clock.now().toISOString(),
      registry,
      verifications,
      notes: [
        'Ledger (billing) rows hold the verification id, app, rule, code and time only: no personal data.',
        'Verifications whose retention period has ended no longer hold the ID number or its blind index and are not found here.',
      ],
    }
  }
}
