import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { parseAuthorization, verifyTc3 } from '../auth/index.js'
import { isReasonError, toCode, type Reason, type ReasonError } from '../codes/index.js'
import type { App, AppService } from '../apps/index.js'
import type { Clock } from '../clock/index.js'
import type { Config } from '../config/index.js'
import type { Attempt, CardData, IdCardStepService, Verification, VerificationService } from '../verifications/index.js'
import { decodeBase64Strict, paramChecker } from './params.js'
import { absoluteHttpUrl, captureUrl } from './urls.js'
import { decodeUtf8, findUnsafe, guardInput } from './edge.js'

/**
 * API family h5: Tencent Cloud API 3.0, service faceid, version 2018-03-01. Unmodified official
 * SDKs work against it: JSON POST to "/", TC3-HMAC-SHA256, and every answer is HTTP 200 with either
 * the action's fields or an Error object, as those SDKs expect.
 */
export const API_VERSION = '2018-03-01'

/** What the h5 family uses, and nothing more. */
export interface CloudApiDeps {
  config: Pick<Config, 'bodyLimit' | 'clockSkewS' | 'publicUrl'>
  clock: Clock
  apps: Pick<AppService, 'secretOf' | 'getRule' | 'getRuleVersion' | 'listRules'>
  verifications: Pick<
    VerificationService,
    'create' | 'byToken' | 'currentReason' | 'attempts' | 'identity' | 'blob' | 'duplicateOf' | 'resultFetched'
  >
  idcards: Pick<IdCardStepService, 'data'>
}

class PlatformError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

const SUPPORTED = ['DetectAuth', 'GetDetectInfoEnhanced', 'GetDetectInfo', 'GetFaceIdToken', 'GetFaceIdResult'] as const
/** Actions of the vendor's API that shiren knows of but does not offer: a clear UnsupportedOperation. */
const KNOWN_UNSUPPORTED = new Set([
  'LivenessCompare',
  'LivenessRecognition',
  'Liveness',
  'GetLiveCode',
  'GetActionSequence',
  'ImageRecognition',
  'ImageRecognitionV2',
  'IdCardVerification',
  'IdCardOCRVerification',
  'CheckIdCardInformation',
  'CheckBankCardInformation',
  'BankCardVerification',
  'BankCard2EVerification',
  'BankCard4EVerification',
  'MobileNetworkTimeVerification',
  'MobileStatus',
  'PhoneVerification',
  'CheckPhoneAndName',
  'EncryptedPhoneVerification',
  'GetEidToken',
  'GetEidResult',
  'CheckEidTokenStatus',
  'DetectReflectLivenessAndCompare',
  'GetWeChatBillDetails',
  'ParseNfcData',
  'CheckIdNameDate',
  'MinorsVerification',
  'GetFaceIdTokenIntl',
  'GetFaceIdResultIntl',
])

const DetectAuthParams = Type.Object({
  RuleId: Type.String({ minLength: 1, maxLength: 32 }),
  TerminalType: Type.Optional(Type.String({ maxLength: 32 })),
  IdCard: Type.Optional(Type.String({ maxLength: 32 })),
  Name: Type.Optional(Type.String({ maxLength: 64 })),
  RedirectUrl: Type.Optional(Type.String({ maxLength: 1024 })),
  Extra: Type.Optional(Type.String({ maxLength: 1024 })),
  ImageBase64: Type.Optional(Type.String({ maxLength: 3 * 1024 * 1024 })),
  Encryption: Type.Optional(Type.Object({})),
  IntentionVerifyText: Type.Optional(Type.String()),
  IntentionQuestions: Type.Optional(Type.Array(Type.Unknown())),
  IntentionActions: Type.Optional(Type.Array(Type.Unknown())),
  Config: Type.Optional(Type.Object({})),
})

const InfoParams = Type.Object({
  BizToken: Type.String({ minLength: 1, maxLength: 64 }),
  RuleId: Type.String({ minLength: 1, maxLength: 32 }),
  InfoType: Type.Optional(Type.String({ pattern: '^[0-6]{0,7}$' })),
  BestFramesCount: Type.Optional(Type.Integer({ minimum: 0 })),
  IsCutIdCardImage: Type.Optional(Type.Boolean()),
  IsNeedIdCardAvatar: Type.Optional(Type.Boolean()),
  IsEncrypt: Type.Optional(Type.Boolean()),
  Encryption: Type.Optional(Type.Object({})),
  IsEncryptResponse: Type.Optional(Type.Boolean()),
  IsReturnAllVideo: Type.Optional(Type.Boolean()),
})

const FaceIdTokenParams = Type.Object({
  CompareLib: Type.Union([Type.Literal('LOCAL'), Type.Literal('BUSINESS')]),
  IdCard: Type.Optional(Type.String({ maxLength: 32 })),
  Name: Type.Optional(Type.String({ maxLength: 64 })),
  ImageBase64: Type.Optional(Type.String({ maxLength: 8 * 1024 * 1024 })),
  Meta: Type.Optional(Type.String()),
  Extra: Type.Optional(Type.String({ maxLength: 1000 })),
  UseCos: Type.Optional(Type.Boolean()),
  Encryption: Type.Optional(Type.Object({})),
  RuleId: Type.Optional(Type.String({ maxLength: 32 })),
  MetaData: Type.Optional(Type.String()),
})

const FaceIdResultParams = Type.Object({
  FaceIdToken: Type.String({ minLength: 1, maxLength: 64 }),
  IsNeedVideo: Type.Optional(Type.Boolean()),
  IsNeedBestFrame: Type.Optional(Type.Boolean()),
  IsEncryptResponse: Type.Optional(Type.Boolean()),
  Encryption: Type.Optional(Type.Object({})),
})

const checkDetectAuth = paramChecker(DetectAuthParams)
const checkInfo = paramChecker(InfoParams)
const checkFaceIdToken = paramChecker(FaceIdTokenParams)
const checkFaceIdResult = paramChecker(FaceIdResultParams)

function validated<T>(r: { ok: true; value: T } | { ok: false; problem: { kind: string; message: string } }): T {
  if (r.ok) return r.value
  const code =
    r.problem.kind === 'missing'
      ? 'MissingParameter'
      : r.problem.kind === 'type'
        ? 'InvalidParameter'
        : 'InvalidParameterValue'
  throw new PlatformError(code, r.problem.message)
}

/** Domain reasons that surface as API errors (not as a verification's ErrCode) in this family. */
function platformErrorOf(err: ReasonError): PlatformError {
  const map: Partial<Record<Reason, string>> = {
    MISSING_PARAMETER: 'MissingParameter',
    INVALID_PARAMETER: 'InvalidParameterValue',
    SERVICE_NOT_ENABLED: 'UnauthorizedOperation.Nonactivated',
    APP_EXPIRED: 'UnauthorizedOperation.Nonactivated',
    CONCURRENCY_LIMIT: 'RequestLimitExceeded',
    IMAGE_SIZE_INVALID: 'FailedOperation.ImageSizeTooLarge',
    REFERENCE_DECODE_FAILED: 'FailedOperation.ImageDecodeFailed',
    BUSINESS_REQUEST_INVALID: 'FailedOperation',
    NOT_FOUND: 'InvalidParameterValue.RuleIdNotExist',
  }
  return new PlatformError(map[err.reason] ?? 'FailedOperation.UnKnown', err.message)
}

const TC_CODES_THAT_HIDE_DETAIL = new Set(['InternalError'])

function envelope(requestId: string, body: Record<string, unknown>) {
  return { Response: { ...body, RequestId: requestId } }
}

function errorEnvelope(requestId: string, code: string, message: string) {
  return {
    Response: {
      Error: {
        Code: code,
        Message: TC_CODES_THAT_HIDE_DETAIL.has(code) ? 'An internal error has occurred. Retry your request.' : message,
      },
      RequestId: requestId,
    },
  }
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

export async function cloudApi(app: FastifyInstance, opts: { deps: CloudApiDeps }) {
  const s = opts.deps

  // The raw bytes are what was signed: keep them, parse JSON only after the signature holds.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: s.config.bodyLimit }, (_req, body, done) =>
    done(null, body),
  )

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    const requestId = randomUUID()
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply
        .code(200)
        .send(
          errorEnvelope(
            requestId,
            'RequestSizeLimitExceeded',
            `The request body is larger than ${s.config.bodyLimit} bytes.`,
          ),
        )
    }
    if (err.statusCode && err.statusCode < 500) {
      return reply.code(200).send(errorEnvelope(requestId, 'InvalidParameter', 'The request could not be read.'))
    }
    req.log.error({ err }, 'cloud api failure')
    return reply.code(200).send(errorEnvelope(requestId, 'InternalError', ''))
  })

  // the body is checked after its signature (in handle); a query string or path here is checked now
  guardInput(app, (_req, reply, p) =>
    reply
      .code(200)
      .send(
        errorEnvelope(randomUUID(), p.kind === 'repeated' ? 'InvalidParameter' : 'InvalidParameterValue', p.message),
      ),
  )

  app.get('/', async (_req, reply) =>
    reply
      .code(200)
      .send(
        errorEnvelope(
          randomUUID(),
          'UnsupportedProtocol',
          'Use POST with Content-Type application/json and TC3-HMAC-SHA256.',
        ),
      ),
  )

  app.post('/', async (req: FastifyRequest<{ Body: Buffer }>, reply: FastifyReply) => {
    const requestId = randomUUID()
    try {
      const data = await handle(s, req)
      return reply.code(200).send(envelope(requestId, data))
    } catch (err) {
      if (err instanceof PlatformError) return reply.code(200).send(errorEnvelope(requestId, err.code, err.message))
      if (isReasonError(err)) {
        const pe = platformErrorOf(err)
        return reply.code(200).send(errorEnvelope(requestId, pe.code, pe.message))
      }
      req.log.error({ err }, 'cloud api action failed')
      return reply.code(200).send(errorEnvelope(requestId, 'InternalError', ''))
    }
  })
}

async function handle(s: CloudApiDeps, req: FastifyRequest<{ Body: Buffer }>): Promise<Record<string, unknown>> {
  const action = header(req, 'x-tc-action')
  const version = header(req, 'x-tc-version')
  const auth = parseAuthorization(header(req, 'authorization'))
  if (!auth)
    throw new PlatformError(
      'AuthFailure.InvalidAuthorization',
      'The Authorization header is missing or is not a TC3-HMAC-SHA256 signature.',
    )
  if (!action) throw new PlatformError('MissingParameter', 'The X-TC-Action header is required.')
  if (!version) throw new PlatformError('MissingParameter', 'The X-TC-Version header is required.')

  const found = await s.apps.secretOf(auth.secretId)
  if (!found || !found.app.enabled)
    throw new PlatformError(
      'AuthFailure.SecretIdNotFound',
      'The SecretId is not found, please ensure that your SecretId is correct.',
    )
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
  const url = new URL(req.url, 'http://x')
  const failure = verifyTc3(
    { method: req.method, path: url.pathname, query: url.search.slice(1), headers: req.headers, body },
    auth,
    found.secret,
    Math.floor(s.clock.now().getTime() / 1000),
    s.config.clockSkewS,
  )
  if (failure) throw new PlatformError(failure.error, failure.message)
  if (version !== API_VERSION)
    throw new PlatformError('NoSuchVersion', `The API version ${version} does not exist; use ${API_VERSION}.`)

  const app = found.app
  if (app.validUntil && app.validUntil <= s.clock.now().toISOString())
    throw new PlatformError('UnauthorizedOperation.Nonactivated', 'The app is past its validity period.')
  if (!app.services.includes('h5'))
    throw new PlatformError('UnauthorizedOperation.Nonactivated', 'The app has not enabled the h5 (API 3.0) service.')

  let params: unknown
  const text = decodeUtf8(body)
  if (text === null) throw new PlatformError('InvalidParameter', 'The request body is not valid UTF-8.')
  try {
    params = text.length ? JSON.parse(text) : {}
  } catch {
    throw new PlatformError('InvalidParameter', 'The request body is not valid JSON.')
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    throw new PlatformError('InvalidParameter', 'The request body must be a JSON object.')
  // the edge check of this family: only now is the body known to come from the app that signed it
  const unsafe = findUnsafe(params, '', { arrays: true })
  if (unsafe) throw new PlatformError('InvalidParameterValue', unsafe.message)

  switch (action as (typeof SUPPORTED)[number]) {
    // a signature covers the body and the second it was made: a repeat (an SDK retry, a replay) is the same request
    case 'DetectAuth':
      return detectAuth(s, req, app, validated(checkDetectAuth(params)), auth.signature)
    case 'GetDetectInfoEnhanced':
      return getDetectInfoEnhanced(s, app, validated(checkInfo(params)))
    case 'GetDetectInfo':
      return getDetectInfo(s, app, validated(checkInfo(params)))
    case 'GetFaceIdToken':
      return getFaceIdToken(s, req, app, validated(checkFaceIdToken(params)), auth.signature)
    case 'GetFaceIdResult':
      return getFaceIdResult(s, app, validated(checkFaceIdResult(params)))
  }
  if (KNOWN_UNSUPPORTED.has(action))
    throw new PlatformError('UnsupportedOperation', `The action ${action} is not supported by shiren.`)
  throw new PlatformError('InvalidAction', `The action ${action} does not exist.`)
}

function decodePhoto(b64: string | undefined): Buffer | null {
  if (b64 === undefined || b64 === '') return null
  const buf = decodeBase64Strict(b64)
  if (!buf)
    throw new PlatformError('InvalidParameterValue', 'ImageBase64 is not valid base64 (RFC 4648, with padding).')
  return buf
}

async function ruleOf(s: CloudApiDeps, app: App, ruleId: string) {
  const rule = await s.apps.getRule(ruleId)
  if (!rule || rule.appId !== app.appId)
    throw new PlatformError(
      'InvalidParameterValue.RuleIdNotExist',
      'RuleId does not exist; create it with `shiren rule create`.',
    )
  if (!rule.enabled) throw new PlatformError('InvalidParameterValue.RuleIdDisabled', 'RuleId is disabled.')
  return rule
}

function checkRedirect(url: string | undefined): string | null {
  if (!url) return null
  const ok = absoluteHttpUrl(url)
  if (!ok) throw new PlatformError('InvalidParameterValue', 'RedirectUrl must be an absolute http(s) URL.')
  return ok
}

async function detectAuth(s: CloudApiDeps, req: FastifyRequest, app: App, p: Record<string, any>, requestKey: string) {
  if (p.Encryption)
    throw new PlatformError(
      'InvalidParameter.UnsupportEncryptField',
      'Encrypted inputs are not supported by shiren; send Name and IdCard over TLS.',
    )
  if (p.IntentionVerifyText || p.IntentionQuestions || p.IntentionActions)
    throw new PlatformError('UnsupportedOperation', 'Intention verification (意愿核身) is not supported by shiren.')
  const rule = await ruleOf(s, app, p.RuleId)
  const photo = decodePhoto(p.ImageBase64)
  const { verification } = await s.verifications.create({
    app,
    rule,
    family: 'h5',
    name: p.Name ?? null,
    idNumber: p.IdCard ?? null,
    photo,
    redirectUrl: checkRedirect(p.RedirectUrl),
    extra: p.Extra ?? null,
    tokenStyle: 'biz',
    requestKey,
  })
  return { Url: captureUrl(s.config, req, verification.token), BizToken: verification.token }
}

async function ownVerification(s: CloudApiDeps, app: App, token: string): Promise<Verification> {
  const v = await s.verifications.byToken(token)
  if (!v || v.appId !== app.appId || v.family !== 'h5') throw new PlatformError('InvalidParameter', '非法BizToken。')
  // past the app's retention (or erased) nothing of the verification is kept: the family's "expired" error
  if (v.purgeAfter <= s.clock.now().toISOString())
    throw new PlatformError(
      'InvalidParameterValue.BizTokenExpired',
      "The results of this BizToken are no longer kept (the app's retention period has ended).",
    )
  return v
}

// 4 is the API's "flash (action+light)": the nearest of its numbers for the light-reflection mode
const LIVENESS_MODE_NUMBER = { digital: 1, action: 2, silent: 3, light: 4 } as const
const ACTION_NUMBER = { mouth: '1', blink: '2', left: '4', right: '4' } as const

async function detectText(
  s: CloudApiDeps,
  v: Verification,
  ruleLiveness: keyof typeof LIVENESS_MODE_NUMBER | null,
  card: CardData | null,
  known?: Attempt[],
) {
  const reason = s.verifications.currentReason(v)
  const code = reason ? toCode('h5', reason) : null
  const attempts = known ?? (await s.verifications.attempts(v.id))
  const { name, idNumber } = await s.verifications.identity(v)
  // the code's stage says which half failed: a comparison failure means liveness itself passed
  const liveCode = !code
    ? null
    : code.code === 0 || code.stage === 'compare'
      ? 0
      : code.stage === 'identity'
        ? null
        : code.code
  const compareCode = !code
    ? null
    : code.code === 0
      ? 0
      : code.stage === 'compare' || code.stage === 'identity'
        ? code.code
        : null
  const compareLib = v.referenceOrigin ? '业务方自有库' : null
  return {
    ErrCode: code?.code ?? null,
    ErrMsg: code?.messageZh ?? null,
    IdCard: idNumber ?? '',
    UseIDType: 0,
    Name: name ?? '',
    ...ocrText(card),
    IdInfoFrom: v.identityOrigin === 'idcard' ? 'OCR' : '其他',
    LiveStatus: liveCode,
    LiveMsg: liveCode === null ? null : liveCode === 0 ? '成功' : code!.messageZh,
    Comparestatus: compareCode,
    Comparemsg: compareCode === null ? null : compareCode === 0 ? '成功' : code!.messageZh,
    Sim: v.similarity === null ? null : v.similarity.toFixed(2),
    Location: null,
    Extra: v.extra ?? '',
    LivenessDetail: attempts
      .filter((a) => a.state === 'finished')
      .map((a) => ({
        ReqTime: String(Date.parse(a.createdAt)),
        Seq: a.id,
        Idcard: idNumber ?? '',
        Name: name ?? '',
        Sim: a.similarity === null ? null : a.similarity.toFixed(2),
        IsNeedCharge: a.billable ?? false,
        Errcode: a.code,
        Errmsg: a.reason ? toCode('h5', a.reason).messageZh : null,
        Livestatus: a.reason === null ? null : toCode('h5', a.reason).stage === 'compare' ? 0 : a.code,
        Livemsg: a.reason ? toCode('h5', a.reason).messageZh : null,
        Comparestatus:
          a.reason && ['compare', 'identity'].includes(toCode('h5', a.reason).stage) ? a.code : a.code === 0 ? 0 : null,
        Comparemsg: a.reason ? toCode('h5', a.reason).messageZh : null,
        CompareLibType: compareLib,
        LivenessMode: ruleLiveness ? LIVENESS_MODE_NUMBER[ruleLiveness] : 0,
      })),
    LivenessInfoTag: null,
    Mobile: '',
    CompareLibType: compareLib,
    LivenessMode: ruleLiveness ? LIVENESS_MODE_NUMBER[ruleLiveness] : 0,
    NFCRequestIds: [],
    NFCBillingCounts: 0,
    PassNo: null,
    VisaNum: null,
    LivenessActionSequence:
      v.challenge?.mode === 'action' ? v.challenge.actions.map((a) => ACTION_NUMBER[a]).join(',') : null,
  }
}

/** The card as read: the h5 result's Ocr* fields (null where the card was not read or the field not printed). */
function ocrText(card: CardData | null) {
  const f = card?.front ?? null
  const b = card?.back ?? null
  return {
    OcrNation: f?.nation ?? null,
    OcrAddress: f?.address ?? null,
    OcrBirth: f?.birth ?? null,
    OcrAuthority: b?.authority ?? null,
    OcrValidDate: b?.validFrom && b.validTo ? `${b.validFrom}-${b.validTo}` : null,
    OcrName: f?.name ?? null,
    OcrIdCard: f?.idNumber ?? null,
    OcrGender: f?.gender ?? null,
  }
}

/** A card image (sealed blob) as the results carry it: base64, or null when there is none. */
async function cardImage(s: CloudApiDeps, key: string | null | undefined): Promise<string | null> {
  return (await s.verifications.blob(key ?? null))?.toString('base64') ?? null
}

function wants(infoType: string | undefined, part: string): boolean {
  const t = infoType === undefined || infoType === '' ? '0' : infoType
  return t.includes('0') || t.includes(part)
}

async function getDetectInfoEnhanced(s: CloudApiDeps, app: App, p: Record<string, any>) {
  if (p.Encryption || p.IsEncryptResponse)
    throw new PlatformError(
      'InvalidParameter.UnsupportEncryptField',
      'Encrypted responses are not supported by shiren.',
    )
  const asked = await ruleOf(s, app, p.RuleId)
  const v = await ownVerification(s, app, p.BizToken)
  const rule = await s.apps.getRuleVersion(v.ruleId, v.ruleVersion)
  const bestFrame = wants(p.InfoType, '3') ? await s.verifications.blob(v.bestFrameBlob) : null
  const video = wants(p.InfoType, '4') ? await s.verifications.blob(v.videoBlob) : null
  const card = await s.idcards.data(v)
  const attempts = await s.verifications.attempts(v.id)
  const out = {
    Text: wants(p.InfoType, '1') ? await detectText(s, v, rule?.liveness ?? null, card, attempts) : null,
    // shiren neither cuts the card out of the photo (Processed*) nor runs card-forgery checks (WarnInfos)
    IdCardData: wants(p.InfoType, '2')
      ? {
          OcrFront: await cardImage(s, card?.frontImage),
          OcrBack: await cardImage(s, card?.backImage),
          Avatar: await cardImage(s, card?.portrait),
          ProcessedFrontImage: null,
          ProcessedBackImage: null,
          WarnInfos: null,
          BackWarnInfos: null,
        }
      : null,
    BestFrame: wants(p.InfoType, '3')
      ? { BestFrame: bestFrame ? bestFrame.toString('base64') : null, BestFrames: [] }
      : null,
    VideoData: wants(p.InfoType, '4')
      ? { LivenessVideo: video ? video.toString('base64') : null, LivenessVideos: null }
      : null,
    Encryption: null,
    IntentionVerifyData: null,
    IntentionQuestionResult: null,
    IntentionActionResult: null,
    EncryptedBody: '',
    IsVerifyIntention: false,
    IntentionVerifyType: '',
    // shiren's own fields (clients that do not know them ignore them): the face is enrolled under another
    // ID number; the version of the rule the verification was created under (and judged by)
    ShirenDuplicateOf: await s.verifications.duplicateOf(v, attempts),
    ShirenRuleVersion: v.ruleVersion,
  }
  await s.verifications.resultFetched(v)
  return out
}

async function getDetectInfo(s: CloudApiDeps, app: App, p: Record<string, any>) {
  await ruleOf(s, app, p.RuleId)
  const v = await ownVerification(s, app, p.BizToken)
  const rule = await s.apps.getRuleVersion(v.ruleId, v.ruleVersion)
  const card = await s.idcards.data(v)
  const t = await detectText(s, v, rule?.liveness ?? null, card)
  const info: Record<string, unknown> = {}
  if (wants(p.InfoType, '1')) {
    info.Text = {
      ErrCode: t.ErrCode,
      ErrMsg: t.ErrMsg,
      IdCard: t.IdCard,
      Name: t.Name,
      OcrNation: t.OcrNation,
      OcrAddress: t.OcrAddress,
      OcrBirth: t.OcrBirth,
      OcrAuthority: t.OcrAuthority,
      OcrValidDate: t.OcrValidDate,
      OcrName: t.OcrName,
      OcrIdCard: t.OcrIdCard,
      OcrGender: t.OcrGender,
      LiveStatus: t.LiveStatus,
      LiveMsg: t.LiveMsg,
      Comparestatus: t.Comparestatus,
      Comparemsg: t.Comparemsg,
      Sim: t.Sim,
      Location: null,
      Extra: t.Extra,
      Detail: {
        LivenessData: t.LivenessDetail.map((d) => ({
          ErrCode: d.Errcode,
          ErrMsg: d.Errmsg,
          ReqTime: d.ReqTime,
          IdCard: d.Idcard,
          Name: d.Name,
        })),
      },
    }
  }
  if (wants(p.InfoType, '2')) {
    info.IdCardData = { OcrFront: await cardImage(s, card?.frontImage), OcrBack: await cardImage(s, card?.backImage) }
  }
  if (wants(p.InfoType, '3'))
    info.BestFrame = { BestFrame: (await s.verifications.blob(v.bestFrameBlob))?.toString('base64') ?? null }
  if (wants(p.InfoType, '4'))
    info.VideoData = { LivenessVideo: (await s.verifications.blob(v.videoBlob))?.toString('base64') ?? null }
  // shiren's own field, as in GetDetectInfoEnhanced: the rule version the verification was judged by
  info.ShirenRuleVersion = v.ruleVersion
  await s.verifications.resultFetched(v)
  return { DetectInfo: JSON.stringify(info) }
}

/** The HuiYan-SDK flow: a one-use token valid 10 minutes, its result readable for 3 days. */
const FACE_ID_TOKEN_TTL_S = 600

async function getFaceIdToken(
  s: CloudApiDeps,
  req: FastifyRequest,
  app: App,
  p: Record<string, any>,
  requestKey: string,
) {
  if (p.Encryption)
    throw new PlatformError('InvalidParameter.UnsupportEncryptField', 'Encrypted inputs are not supported by shiren.')
  const rules = p.RuleId
    ? [await ruleOf(s, app, p.RuleId)]
    : (await s.apps.listRules(app.appId)).filter((r) => r.enabled)
  const base = rules[0]
  if (!base)
    throw new PlatformError(
      'InvalidParameterValue.RuleIdNotExist',
      'The app has no rule; create one with `shiren rule create`.',
    )
  const photo = decodePhoto(p.ImageBase64)
  if (p.CompareLib === 'LOCAL' && !photo)
    throw new PlatformError('MissingParameter', 'CompareLib LOCAL needs ImageBase64.')
  if (p.CompareLib === 'BUSINESS' && (!p.Name || !p.IdCard))
    throw new PlatformError('MissingParameter', 'CompareLib BUSINESS needs Name and IdCard.')
  const rule = {
    ...base,
    compareSource: p.CompareLib === 'LOCAL' ? ('photo' as const) : ('registry' as const),
    tokenTtlS: FACE_ID_TOKEN_TTL_S,
    maxAttempts: 1,
  }
  const { verification } = await s.verifications.create({
    app,
    rule,
    family: 'h5',
    name: p.Name ?? null,
    idNumber: p.IdCard ?? null,
    photo: p.CompareLib === 'LOCAL' ? photo : null,
    extra: p.Extra ?? null,
    tokenStyle: 'biz',
    requestKey,
  })
  return {
    FaceIdToken: verification.token,
    ClientConfig: JSON.stringify({ captureUrl: captureUrl(s.config, req, verification.token) }),
  }
}

async function getFaceIdResult(s: CloudApiDeps, app: App, p: Record<string, any>) {
  if (p.Encryption || p.IsEncryptResponse)
    throw new PlatformError(
      'InvalidParameter.UnsupportEncryptField',
      'Encrypted responses are not supported by shiren.',
    )
  const v = await s.verifications.byToken(p.FaceIdToken)
  if (!v || v.appId !== app.appId || v.family !== 'h5')
    throw new PlatformError('InvalidParameterValue.BizTokenIllegal', 'The FaceIdToken is not valid.')
  if (v.purgeAfter <= s.clock.now().toISOString())
    throw new PlatformError(
      'InvalidParameterValue.BizTokenExpired',
      "The results of this FaceIdToken are no longer kept (the app's retention period has ended).",
    )
  const reason = s.verifications.currentReason(v) ?? 'RESULT_NOT_FOUND'
  const code = toCode('h5', reason)
  const { name, idNumber } = await s.verifications.identity(v)
  const out = {
    IdCard: idNumber ?? '',
    Name: name ?? '',
    Result: String(code.code),
    Description: code.messageZh,
    Similarity: v.similarity ?? 0,
    VideoBase64: p.IsNeedVideo ? ((await s.verifications.blob(v.videoBlob))?.toString('base64') ?? null) : null,
    BestFrameBase64: p.IsNeedBestFrame
      ? ((await s.verifications.blob(v.bestFrameBlob))?.toString('base64') ?? null)
      : null,
    Extra: v.extra,
    DeviceInfoTag: null,
    RiskInfoTag: null,
    LivenessInfoTag: null,
    DeviceInfoLevel: null,
    ShirenDuplicateOf: await s.verifications.duplicateOf(v),
    ShirenRuleVersion: v.ruleVersion,
    Encryption: null,
    EncryptedBody: null,
    IdCardFrontBase64: (await cardImage(s, (await s.idcards.data(v))?.frontImage)) ?? '',
  }
  await s.verifications.resultFetched(v)
  return out
}
