import { ulid } from 'ulid'
import { ReasonError } from '../codes/index.js'
import { toCode, type Reason } from '../codes/index.js'
import type { PersonalDataVault } from '../crypto/index.js'
import { maskIdNumber, maskName, validateName } from '../identity/index.js'
import { sniffImage, type BlobStore } from '../media/index.js'
import { judgeIdCard, type IdCardBack, type IdCardFront, type IdCardReading } from '../ocr/index.js'
import type { RegistryService } from '../registry/index.js'
import type { IdCardStep, Rule } from '../apps/index.js'
import type { IdCardSideRow, Store } from '../storage/index.js'
import type { Attempt, Verification } from './types.js'
import { cardStepStatus, sidesOf, type CardSide, type CardStepStatus } from './card-step-status.js'
import type { VerificationService } from './service.js'
import { claimAttempt } from './claim.js'
import type { Clock } from '../clock/index.js'

export type { CardSide, CardStepStatus }
export { sidesOf }

/** What the card step needs of an OCR engine; `src/ocr`'s worker pool implements it. */
export interface CardReader {
  read(image: Buffer): Promise<IdCardReading>
}

/** A photo of a card is a few hundred kB; a larger upload is a mistake or an attack on the decoder. */
export const MAX_CARD_BYTES = 8 * 1024 * 1024

export interface CardResult {
  side: CardSide
  reason: Reason
  code: number
  billable: boolean
  /** the attempt a rejected card used up; null when the card was accepted */
  attempt: Attempt | null
  /** what the page may show back to the person: masked, never the whole number */
  shown: { name: string | null; idNumber: string | null; validTo: string | null }
  step: CardStepStatus
}

export interface CardData {
  front: IdCardFront | null
  back: IdCardBack | null
  frontImage: string | null
  backImage: string | null
  portrait: string | null
}

/**
 * The ID-card step of a verification (h5 family only: the sdk family has no card codes). The person
 * photographs the front (and, for `both`, the back) before the face step; each photo is read by OCR,
 * judged against the declared number and today's date, and stored sealed. A rejected card is an
 * attempt like a failed face capture — 301/302/303 with its ledger row — so retakes are bounded by the
 * rule's attempts. An accepted front with no declared identity gives the verification its identity.
 */
export class IdCardStepService {
  constructor(
    private readonly store: Store,
    private readonly vault: PersonalDataVault,
    private readonly blobs: BlobStore,
    private readonly registry: RegistryService,
    private readonly verifications: VerificationService,
    /** null: this server reads no cards (SHIREN_OCR_WORKERS=0) */
    private readonly reader: CardReader | null,
    private readonly clock: Clock,
  ) {}

  /** How far the verification is through its rule's card step (what the capture page shows). */
  status(v: Pick<Verification, 'id'>, rule: Pick<Rule, 'idcardStep'>): Promise<CardStepStatus> {
    return cardStepStatus(this.store, v, rule)
  }

  async submit(token: string, side: CardSide, image: Buffer): Promise<CardResult> {
    const { v, rule } = await this.verifications.usable(token)
    const needed = sidesOf(rule.idcardStep)
    if (!needed.length)
      throw new ReasonError('BUSINESS_REQUEST_INVALID', 'the rule of this verification has no ID-card step')
    if (!needed.includes(side))
      throw new ReasonError(
        'INVALID_PARAMETER',
        `this rule asks for the ${needed.join(' and ')} of the card, not the ${side}`,
      )
    if (v.state === 'analysing') throw new ReasonError('BUSINESS_REQUEST_INVALID', 'an attempt is being analysed')
    if (!this.reader)
      throw new ReasonError('SERVICE_NOT_ENABLED', 'this server reads no ID cards (SHIREN_OCR_WORKERS=0)')
    if (image.length > MAX_CARD_BYTES)
      throw new ReasonError('IMAGE_SIZE_INVALID', `the card photo is larger than ${MAX_CARD_BYTES} bytes`)
    const kind = sniffImage(image)
    if (!kind) throw new ReasonError('FILE_FORMAT_INVALID', 'the card photo is not a JPEG, PNG or WebP image')

    let reading: IdCardReading
    try {
      reading = await this.reader.read(image)
    } catch (err) {
      // the reader answers an undecodable image with side 'none' itself: what throws is the engine,
      // which is no verdict about the card and uses no attempt
      if ((err as Error)?.name === 'OcrBusyError')
        throw new ReasonError('SYSTEM_ERROR', 'the ID-card readers are busy; retry in a moment', { retry: true })
      throw new ReasonError(
        'SYSTEM_ERROR',
        `the ID-card reader failed: ${String((err as Error)?.message ?? err).slice(0, 120)}`,
        { retry: true },
      )
    }
    const front = side === 'front' ? reading.front : null
    const back = side === 'back' ? reading.back : null
    const declared = v.identityOrigin === 'request' ? (await this.verifications.identity(v)).idNumber : null
    let reason: Reason =
      !front && !back
        ? 'OCR_FAILED'
        : judgeIdCard({ ...reading, side, front, back }, { idNumber: declared }, this.clock.now())
    // the portrait is the reference of an `idcard` rule, and a card without a declared identity must
    // give a name as well as a number: without them the card was not read well enough to be used
    if (reason === 'PASS' && front && rule.compareSource === 'idcard' && !reading.portrait) reason = 'OCR_FAILED'
    if (reason === 'PASS' && front && v.identityOrigin !== 'request' && !(front.name && validateName(front.name).ok))
      reason = 'OCR_FAILED'

    const now = this.clock.now()
    const row: IdCardSideRow = {
      verificationId: v.id,
      side,
      imageBlob: `${v.id}/idcard-${side}.${kind}`,
      portraitBlob: front && reading.portrait ? `${v.id}/idcard-portrait.jpg` : null,
      fieldsSealed: front || back ? this.vault.seal(JSON.stringify(front ?? back)) : null,
      reason,
      readAt: now.toISOString(),
    }
    try {
      await this.blobs.put(row.imageBlob!, image)
      if (row.portraitBlob) await this.blobs.put(row.portraitBlob, reading.portrait!)
    } catch (err) {
      throw new ReasonError(
        'BLOB_WRITE_FAILED',
        `the card photo could not be stored: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      )
    }
    await this.store.idcards.put(row)

    let attempt: Attempt | null = null
    if (reason === 'PASS' && front && v.identityOrigin !== 'request') {
      await this.store.verifications.adoptIdentity(v.id, {
        nameSealed: this.vault.seal(front.name!),
        idNumberSealed: this.vault.seal(front.idNumber!),
        idHash: this.registry.idHash(front.idNumber!),
      })
    }
    if (reason !== 'PASS')
      attempt = await this.rejectedCardAttempt(v, reason, {
        idcardSide: side,
        rotation: reading.rotation,
        checksumValid: reading.checksumValid,
        ocrMs: Math.round(reading.ms),
      })

    const { code, billable } = toCode(v.family, reason)
    return {
      side,
      reason,
      code,
      billable,
      attempt,
      shown: {
        name: front?.name ? maskName(front.name) : null,
        idNumber: front?.idNumber ? maskIdNumber(front.idNumber) : null,
        validTo: back?.validTo ?? null,
      },
      step: await cardStepStatus(this.store, v, rule),
    }
  }

  /** A rejected card uses an attempt: claimed by compare-and-set, then finished like any attempt. */
  private async rejectedCardAttempt(
    v: Verification,
    reason: Reason,
    signals: Record<string, unknown>,
  ): Promise<Attempt> {
    const attemptId = `att_${ulid().toLowerCase()}`
    const { claimed } = await this.store.transaction((tx) =>
      claimAttempt(tx, v, {
        id: attemptId,
        mediaBlob: null,
        mediaKind: null,
        mediaHash: null,
        createdAt: this.clock.now().toISOString(),
      }),
    )
    if (!claimed)
      throw new ReasonError('BUSINESS_REQUEST_INVALID', 'another upload for this verification is in progress')
    return this.verifications.finishAttempt(attemptId, { reason, similarity: null, signals, bestFrameBlob: null })
  }

  /** The card as read, for the result calls (GetDetectInfoEnhanced's Ocr* fields and IdCardData). */
  async data(v: Pick<Verification, 'id'>): Promise<CardData | null> {
    const rows = await this.store.idcards.listFor(v.id)
    if (!rows.length) return null
    const open = <T>(r: IdCardSideRow | undefined): T | null =>
      r?.fieldsSealed ? (JSON.parse(this.vault.open(r.fieldsSealed)) as T) : null
    const f = rows.find((r) => r.side === 'front')
    const b = rows.find((r) => r.side === 'back')
    return {
      front: open<IdCardFront>(f),
      back: open<IdCardBack>(b),
      frontImage: f?.imageBlob ?? null,
      backImage: b?.imageBlob ?? null,
      portrait: f?.portraitBlob ?? null,
    }
  }
}
