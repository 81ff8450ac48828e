import { isReason, isReasonError, type Reason } from '../codes/index.js'
import {
  BlobNotFoundError,
  BlobTimeoutError,
  openPrivateTemp,
  type BlobStore,
  type PrivateTemp,
} from '../media/index.js'
import type { Store } from '../storage/index.js'
import type { JobResult } from '../queue/index.js'
import type { Attempt, Challenge, Verification } from './types.js'
import type { Rule } from '../apps/index.js'
import { duplicatesIn, evidenceOf, judgeAttempt } from '../verdict/index.js'
import type { AnalyseRequest, AnalyseResult, AnalysisEngine } from '../analysis/index.js'
import type { VerificationService } from './service.js'
import type { RegistryService } from '../registry/index.js'

/**
 * What the analysis needs of the attempt analyser (src/analysis, the worker pool): one call, plain
 * data. A type-only import: the lifecycle never loads models, workers or frames itself.
 */
export type Analyser = Pick<AnalysisEngine, 'analyse'>
export type { AnalyseRequest, AnalyseResult }

/** What the analyser found for one attempt (`result`), or the verdict reached without it (`result` null). */
export interface Judged {
  reason: Reason
  signals: Record<string, unknown>
  result: AnalyseResult | null
}

/** Errors of the engine that mean "this capability is not available here", never a verdict. */
const UNAVAILABLE = new Set(['ModelMissingError', 'CapabilityNotSupportedError', 'VisionUnavailableError'])

/**
 * Runs one attempt through the engine and records the verdict. Media are decrypted into private
 * temporary files for the workers (they read files, not buffers): nameless on Linux, so that no
 * plaintext is ever left on disk, even by a crash (see openPrivateTemp in src/media).
 */
export class AttemptAnalysis {
  constructor(
    private readonly store: Store,
    private readonly blobs: BlobStore,
    private readonly verifications: VerificationService,
    private readonly analyser: Analyser | null,
    private readonly tmpDir: string,
    /** a media read that takes longer is a stuck store (a hung network mount), not a slow one */
    private readonly readTimeoutMs = 30_000,
    /** the registry's face search: a passed face enrolled under another ID number is flagged */
    private readonly registry: Pick<RegistryService, 'duplicatesOfPhoto'> | null = null,
  ) {}

  async run(attemptId: string, recording?: { durationMs: number; mimeType: string }): Promise<JobResult> {
    const attempt = await this.store.attempts.get(attemptId)
    if (!attempt || attempt.state === 'finished') return 'success'
    const v = await this.store.verifications.getById(attempt.verificationId)
    // judged by the rule's settings at the version the verification was created under, not today's
    const rule = v ? await this.store.rules.getVersion(v.ruleId, v.ruleVersion) : null
    if (!v || !rule || !attempt.mediaBlob || !attempt.mediaKind) return 'success'
    await this.store.attempts.setState(attemptId, 'analysing')

    const judged = await this.judge(v, attempt, rule, v.challenge, recording)
    if (!judged.result) return this.verdict(attemptId, judged.reason, judged.signals)
    const result = judged.result
    let bestFrameBlob: string | null = null
    if (result.bestFrame) {
      bestFrameBlob = `${v.id}/${attemptId}-best.jpg`
      try {
        await this.blobs.put(bestFrameBlob, result.bestFrame)
      } catch {
        return this.verdict(attemptId, 'BLOB_WRITE_FAILED', { bestFrame: 'not stored' })
      }
    }
    const signals: Record<string, unknown> = { ...result.signals, ms: result.ms }
    // duplicate identity: the passed face is in the registry under another ID number
    if (result.reason === 'PASS' && result.bestFrame && v.idHash && this.registry) {
      try {
        const dup = await this.registry.duplicatesOfPhoto(result.bestFrame, v.idHash)
        if (dup.length) signals.duplicateOf = dup
      } catch (err) {
        // a search that cannot run does not undo a verdict; it is recorded instead
        signals.duplicateCheck = `failed: ${String((err as Error)?.message ?? err).slice(0, 120)}`
      }
    }
    // the rule's part of the verdict (threshold, duplicate policy): the same pure function as the replay
    const reason = judgeAttempt(evidenceOf(result.reason, result.similarity, duplicatesIn(signals)), rule)
    await this.verifications.finishAttempt(attemptId, {
      reason,
      similarity: result.similarity,
      signals,
      bestFrameBlob,
    })
    return 'success'
  }

  /**
   * Reads an attempt's media and reference and runs the analyser on them under the given settings:
   * the analyser's result, or the verdict reached without one (media unreadable, engine unavailable).
   * Writes nothing but a private temporary file for the workers (they read files, not buffers),
   * removed before it returns: the live path records what it returns, the what-if replay only shows it.
   */
  async judge(
    v: Verification,
    attempt: Pick<Attempt, 'mediaBlob' | 'mediaKind'>,
    rule: Pick<Rule, 'liveness' | 'compareSource' | 'threshold'>,
    challenge: Challenge | null,
    recording?: { durationMs: number; mimeType: string },
  ): Promise<Judged> {
    const none = (reason: Reason, signals: Record<string, unknown> = {}): Judged => ({ reason, signals, result: null })
    if (!attempt.mediaBlob || !attempt.mediaKind) return none('VIDEO_FETCH_FAILED', { media: 'absent' })
    const temps: PrivateTemp[] = []
    try {
      // the pipeline's order is the verdict's order: fetch the media, then judge it
      // the digits mode has its own code for a recording that cannot be fetched (1105)
      const media = await this.read(
        attempt.mediaBlob,
        rule.liveness === 'digital' ? 'DIGITS_VIDEO_READ_FAILED' : 'VIDEO_FETCH_FAILED',
      )
      if (typeof media === 'string') return none(media)
      if (!this.analyser) return none('VISION_ENGINE_UNAVAILABLE', { engine: 'not configured' })
      const analyser = this.analyser
      const mediaFile = await openPrivateTemp(this.tmpDir, media)
      temps.push(mediaFile)
      let reference: { path: string } | null = null
      // an `idcard` rule compares with the portrait cut from the card the person showed before
      const referenceBlob =
        rule.compareSource === 'idcard'
          ? ((await this.store.idcards.listFor(v.id)).find((r) => r.side === 'front' && r.reason === 'PASS')
              ?.portraitBlob ?? null)
          : v.referenceBlob
      if (rule.compareSource !== 'none' || referenceBlob) {
        if (!referenceBlob) return none('COMPARE_FAILED', { reference: 'absent' })
        const ref = await this.read(
          referenceBlob,
          v.referenceOrigin === 'registry' ? 'REGISTRY_PHOTO_READ_FAILED' : 'IMAGE_FETCH_FAILED',
        )
        if (typeof ref === 'string') return none(ref)
        const refFile = await openPrivateTemp(this.tmpDir, ref)
        temps.push(refFile)
        reference = { path: refFile.path }
      }
      try {
        const result = await analyser.analyse({
          media: { path: mediaFile.path, kind: attempt.mediaKind },
          liveness: rule.liveness,
          ...(challenge?.mode === 'action' && { actions: challenge.actions }),
          ...(challenge?.mode === 'digital' && { digits: challenge.digits }),
          reference,
          threshold: rule.threshold,
          ...(recording && { recording }),
        })
        return { reason: result.reason, signals: result.signals, result }
      } catch (err) {
        const name = (err as Error)?.name ?? ''
        if (UNAVAILABLE.has(name)) return none('VISION_ENGINE_UNAVAILABLE', { error: (err as Error).message })
        if (name === 'AbortError' || name === 'TimeoutError') return none('ANALYSIS_TIMEOUT')
        if (isReasonError(err)) return none(err.reason)
        // an error that crossed the worker boundary arrives as a plain Error with its fields copied
        if (isReason((err as { reason?: unknown })?.reason)) return none((err as { reason: Reason }).reason)
        // an engine crash on one input is that attempt's verdict, not a reason to retry forever
        return none('LIVENESS_ENGINE_ERROR', { error: String((err as Error)?.message ?? err).slice(0, 200) })
      }
    } finally {
      await Promise.all(temps.map((t) => t.close()))
    }
  }

  /**
   * The analysis job failed for the last time. It turns every engine failure into a verdict itself,
   * so what is left is storage that kept failing: the attempt ends as DB_UPDATE_FAILED.
   */
  async giveUp(attemptId: string): Promise<void> {
    await this.verifications.finishAttempt(attemptId, {
      reason: 'DB_UPDATE_FAILED',
      similarity: null,
      signals: { gaveUp: true },
      bestFrameBlob: null,
    })
  }

  private async read(key: string, missing: Reason): Promise<Buffer | Reason> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<Reason>((resolve) => {
      timer = setTimeout(() => resolve('BLOB_TIMEOUT'), this.readTimeoutMs)
    })
    try {
      return await Promise.race([this.blobs.get(key), timeout])
    } catch (err) {
      if (err instanceof BlobNotFoundError) return missing
      // the store's own deadline (an S3 endpoint that stays silent) is a timeout too, not a read error
      if (err instanceof BlobTimeoutError) return 'BLOB_TIMEOUT'
      return 'BLOB_READ_FAILED'
    } finally {
      clearTimeout(timer)
    }
  }

  private async verdict(attemptId: string, reason: Reason, signals: Record<string, unknown> = {}): Promise<JobResult> {
    await this.verifications.finishAttempt(attemptId, { reason, similarity: null, signals, bestFrameBlob: null })
    return 'success'
  }
}

export type { Verification }
