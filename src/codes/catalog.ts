/**
 * The result-code catalog: one entry per row of the seed tables (h5 = WeChat H5 / mini-program,
 * sdk = the "其他返回码" table of the SDK, standalone H5 and PC H5), plus shiren's own sdk success row.
 *
 * Each row lists the reasons (see reasons.ts) that produce it; the reason → code map of a family is
 * read from these lists (index.ts), so a reason must appear in at most one row per family.
 * `billable` is exactly the seed's 是否收费. `messageZh` is the seed text (the newest seed wins);
 * `remedyZh` is the sdk 处理措施 column with `<br>` turned into newlines.
 * Checked against the seed files by catalog.test.ts; rendered to docs/codes.md by scripts/gen-codes-doc.ts.
 */
import type { Reason } from './reasons.js'

export type Family = 'h5' | 'sdk'
export const FAMILIES: readonly Family[] = ['h5', 'sdk']

export type Stage =
  | 'system'
  | 'auth'
  | 'rate_limit'
  | 'media'
  | 'ocr'
  | 'liveness'
  | 'liveness_digital'
  | 'liveness_action'
  | 'liveness_silent'
  | 'compare'
  | 'identity'

/** Where a row comes from: a seed table, or shiren itself (rows the seeds lack but callers need). */
export type Origin = 'seed' | 'shiren'

export interface CatalogEntry {
  readonly family: Family
  /** The code shiren returns for this row. */
  readonly code: number
  /** Other codes the seed lists in the same row (accepted by lookup, never returned). */
  readonly aliases: readonly number[]
  readonly billable: boolean
  readonly messageZh: string
  readonly messageEn: string
  readonly stage: Stage
  /** sdk rows only: the seed's 处理措施 (what the integrator or user should do). */
  readonly remedyZh?: string
  readonly remedyEn?: string
  /** The reasons that produce this code in this family. */
  readonly reasons: readonly Reason[]
  readonly origin: Origin
}

/**
 * Why 301/302/303 stay h5-only (checked against both seeds): the seeds' sdk table (其他返回码) has no
 * code meaning "card number differs from the declared one", "card expired" or "OCR failed". The
 * nearest rows mean something else: 66660010 / 66660015 / 66660024 are about the declared name and
 * number against the authority source, 66660002 is the service subscription's validity, and
 * 66660039 is a comparison source photo that cannot be decoded. Mapping onto them would tell the
 * caller a false cause, so the sdk family instead refuses a rule with an ID-card step when a flow
 * is started (SERVICE_NOT_ENABLED → 66660030 不支持此类型服务; VerificationService.create).
 */
const IDCARD_WHY = 'the seeds give the sdk family no ID-card codes, so the ticket flow refuses a rule with an ID-card step (66660030) and these reasons never reach it'

/**
 * Reasons that cannot occur for callers of one family, so they have a code only in the other.
 * The catalog test fails for any reason without a code in a family unless it is listed here.
 */
export const FAMILY_ONLY: Readonly<Partial<Record<Reason, { readonly family: Family; readonly why: string }>>> = {
  LOGIN_EXPIRED: { family: 'sdk', why: 'access tokens exist only in the sdk ticket flow; h5 calls are signed with TC3-HMAC-SHA256 per request' },
  TICKET_INVALID: { family: 'sdk', why: 'SIGN / NONCE tickets exist only in the sdk ticket flow' },
  VERSION_INVALID: { family: 'sdk', why: 'the version=1.0.0 parameter belongs to the sdk ticket flow; h5 calls carry the API version in the TC3 headers' },
  NONCE_TICKET_TOO_FREQUENT: { family: 'sdk', why: 'NONCE tickets exist only in the sdk ticket flow' },
  SESSION_NOT_FOUND: { family: 'sdk', why: 'faceId / h5faceId capture sessions belong to the sdk flow; h5 verifications are addressed by BizToken (TOKEN_EXPIRED, NOT_FOUND)' },
  IDCARD_NUMBER_MISMATCH: { family: 'h5', why: IDCARD_WHY },
  IDCARD_EXPIRED: { family: 'h5', why: IDCARD_WHY },
  OCR_FAILED: { family: 'h5', why: IDCARD_WHY },
  IMAGE_FETCH_FAILED: { family: 'h5', why: 'only h5 requests refer to images to fetch; sdk requests carry the photo inline (sourcePhotoStr) and the capture upload is a video (VIDEO_FETCH_FAILED)' },
}

export const CATALOG: readonly CatalogEntry[] = deepFreeze([
  // ── h5 · 系统返回码
  {
    family: 'h5', code: 0, aliases: [], billable: true, stage: 'system', origin: 'seed',
    messageZh: '成功',
    messageEn: 'Success',
    reasons: ['PASS'],
  },
  {
    family: 'h5', code: 1, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: '请求不合法，缺少参数',
    messageEn: 'Invalid request: a required parameter is missing',
    reasons: ['MISSING_PARAMETER'],
  },
  {
    family: 'h5', code: 2, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: '请求不合法，参数有误',
    messageEn: 'Invalid request: a parameter is wrong',
    reasons: ['INVALID_PARAMETER', 'SIGNATURE_INVALID', 'BODY_TOO_LARGE', 'APP_NOT_FOUND'],
  },
  {
    family: 'h5', code: 3, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: '业务请求不合法',
    messageEn: 'The request is not allowed for this verification',
    reasons: ['BUSINESS_REQUEST_INVALID', 'CONCURRENCY_LIMIT', 'APP_EXPIRED', 'SERVICE_NOT_ENABLED', 'DAILY_LIMIT_EXCEEDED', 'LIVE_CODE_EXPIRED'],
  },
  {
    family: 'h5', code: 4, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: '系统错误',
    messageEn: 'System error',
    reasons: ['SYSTEM_ERROR', 'ANALYSIS_TIMEOUT'],
  },
  {
    family: 'h5', code: 5, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: '未找到数据',
    messageEn: 'No data found',
    reasons: ['RESULT_NOT_FOUND', 'NOT_FOUND'],
  },
  {
    family: 'h5', code: 6, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: '数据插入异常',
    messageEn: 'Failed to insert data',
    reasons: ['DB_INSERT_FAILED'],
  },
  {
    family: 'h5', code: 7, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: '数据更新异常',
    messageEn: 'Failed to update data',
    reasons: ['DB_UPDATE_FAILED'],
  },
  {
    family: 'h5', code: 8, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: '文件存储失败，请稍后重试',
    messageEn: 'Failed to store the file; please try again later',
    reasons: ['BLOB_WRITE_FAILED'],
  },
  {
    family: 'h5', code: 9, aliases: [], billable: false, stage: 'media', origin: 'seed',
    messageZh: '文件格式错误，请确认后重试',
    messageEn: 'Wrong file format; please check it and try again',
    reasons: ['FILE_FORMAT_INVALID', 'VIDEO_FORMAT_INVALID', 'VIDEO_DECODE_FAILED', 'IMAGE_DECODE_FAILED', 'REFERENCE_DECODE_FAILED'],
  },
  {
    family: 'h5', code: 10, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: '文件系统错误，请稍后重试',
    messageEn: 'File system error; please try again later',
    reasons: ['BLOB_READ_FAILED'],
  },
  {
    family: 'h5', code: 11, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: '文件系统超时，请稍后重试',
    messageEn: 'File system timed out; please try again later',
    reasons: ['BLOB_TIMEOUT'],
  },
  {
    family: 'h5', code: 12, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: 'CKV 数据有误',
    messageEn: 'Cache (CKV) data is invalid',
    reasons: ['CACHE_DATA_INVALID'],
  },
  {
    family: 'h5', code: 13, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: 'CKV 服务出错',
    messageEn: 'Cache (CKV) service error',
    reasons: ['CACHE_UNAVAILABLE'],
  },
  {
    family: 'h5', code: 14, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: '本次校验已完成',
    messageEn: 'This verification has already been completed',
    reasons: ['ALREADY_COMPLETED', 'ATTEMPTS_EXHAUSTED'],
  },
  {
    family: 'h5', code: 15, aliases: [], billable: false, stage: 'auth', origin: 'seed',
    messageZh: 'token 过期，请重试',
    messageEn: 'Token expired; please try again',
    reasons: ['TOKEN_EXPIRED'],
  },
  // ── h5 · 微信相关返回码
  {
    family: 'h5', code: 201, aliases: [], billable: false, stage: 'media', origin: 'seed',
    messageZh: '从微信拉取图片失败',
    messageEn: 'Failed to fetch the image from WeChat',
    reasons: ['IMAGE_FETCH_FAILED'],
  },
  {
    family: 'h5', code: 202, aliases: [], billable: false, stage: 'media', origin: 'seed',
    messageZh: '视频获取失败',
    messageEn: 'Failed to get the video',
    reasons: ['VIDEO_FETCH_FAILED'],
  },
  {
    family: 'h5', code: 301, aliases: [], billable: false, stage: 'ocr', origin: 'seed',
    messageZh: '当前认证人身份证号码与上传证件号码不符，请重新上传',
    messageEn: 'The ID number of the person being verified differs from the number on the uploaded ID card; please upload again',
    reasons: ['IDCARD_NUMBER_MISMATCH'],
  },
  {
    family: 'h5', code: 302, aliases: [], billable: false, stage: 'ocr', origin: 'seed',
    messageZh: '证件已过期',
    messageEn: 'The ID card has expired',
    reasons: ['IDCARD_EXPIRED'],
  },
  {
    family: 'h5', code: 303, aliases: [], billable: false, stage: 'ocr', origin: 'seed',
    messageZh: 'OCR 识别失败',
    messageEn: 'ID card recognition (OCR) failed',
    reasons: ['OCR_FAILED'],
  },
  // ── h5 · 活体通用返回码
  {
    family: 'h5', code: 1001, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '调用活体引擎接口出错',
    messageEn: 'Error calling the liveness engine',
    reasons: ['VISION_ENGINE_UNAVAILABLE', 'LIVENESS_ENGINE_ERROR'],
  },
  {
    family: 'h5', code: 1002, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '疑似非真人录制',
    messageEn: 'Suspected of not being recorded by a live person',
    reasons: ['SUSPECTED_RECORDING', 'VIDEO_REPLAYED', 'SCREEN_REPLAY_DETECTED', 'VIDEO_TAMPERED'],
  },
  {
    family: 'h5', code: 1003, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '视频实人（真人）检测未通过',
    messageEn: 'The video real-person (liveness) check failed',
    reasons: ['STILL_IMAGE_VIDEO', 'VIDEO_LIVENESS_FAILED'],
  },
  {
    family: 'h5', code: 1004, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '人脸检测失败，无法提取比对照',
    messageEn: 'Face detection failed; no face image could be taken for comparison',
    reasons: ['NO_FACE', 'NO_FACE_IN_VIDEO', 'FACE_NOT_FRONTAL', 'FACE_BLURRED', 'BEST_FRAME_BLURRED'],
  },
  {
    family: 'h5', code: 1005, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '活体检测未通过',
    messageEn: 'Liveness check failed',
    reasons: ['SPOOF_DETECTED', 'LIVENESS_FAILED', 'RISK_CONTROL', 'EYES_CLOSED', 'NO_HEAD_TURN', 'ACTION_ORDER_WRONG'],
  },
  {
    family: 'h5', code: 1006, aliases: [], billable: false, stage: 'identity', origin: 'seed',
    messageZh: '证照库出错，请重试',
    messageEn: 'Identity photo library error; please try again',
    reasons: ['REGISTRY_ERROR'],
  },
  // ── h5 · 数字活体返回码
  {
    family: 'h5', code: 1101, aliases: [], billable: false, stage: 'liveness_digital', origin: 'seed',
    messageZh: '未检测到声音',
    messageEn: 'No sound detected',
    reasons: ['NO_AUDIO', 'SPEECH_NOT_DETECTED'],
  },
  {
    family: 'h5', code: 1102, aliases: [], billable: false, stage: 'liveness_digital', origin: 'seed',
    messageZh: '脸部未完整露出',
    messageEn: 'The face is not fully visible',
    reasons: ['FACE_INCOMPLETE_DURING_SPEECH'],
  },
  {
    family: 'h5', code: 1103, aliases: [], billable: false, stage: 'liveness_digital', origin: 'seed',
    messageZh: '声音识别失败',
    messageEn: 'Speech recognition failed',
    reasons: ['SPEECH_MISMATCH'],
  },
  {
    family: 'h5', code: 1104, aliases: [], billable: false, stage: 'liveness_digital', origin: 'seed',
    messageZh: '视频格式有误',
    messageEn: 'Wrong video format',
    reasons: ['DIGITS_VIDEO_FORMAT_INVALID'],
  },
  {
    family: 'h5', code: 1105, aliases: [], billable: false, stage: 'liveness_digital', origin: 'seed',
    messageZh: '视频拉取失败，请重试',
    messageEn: 'Failed to fetch the video; please try again',
    reasons: ['DIGITS_VIDEO_READ_FAILED'],
  },
  {
    family: 'h5', code: 1106, aliases: [], billable: false, stage: 'liveness_digital', origin: 'seed',
    messageZh: '视频声音太小',
    messageEn: 'The sound in the video is too quiet',
    reasons: ['AUDIO_TOO_QUIET'],
  },
  {
    family: 'h5', code: 1107, aliases: [], billable: false, stage: 'liveness_digital', origin: 'seed',
    messageZh: '视频为空，或大小不合适，请控制录制时长在6s左右',
    messageEn: 'The video is empty or its size is unsuitable; keep the recording to about 6 s',
    reasons: ['DIGITS_VIDEO_DURATION_INVALID', 'VIDEO_SIZE_INVALID', 'VIDEO_TOO_LONG'],
  },
  {
    family: 'h5', code: 1108, aliases: [], billable: false, stage: 'liveness_digital', origin: 'seed',
    messageZh: '视频像素太低',
    messageEn: 'The video resolution is too low',
    reasons: ['DIGITS_VIDEO_RESOLUTION_TOO_LOW'],
  },
  {
    family: 'h5', code: 1109, aliases: [], billable: false, stage: 'liveness_digital', origin: 'seed',
    messageZh: '嘴唇动作幅度过小',
    messageEn: 'The lip movement is too small',
    reasons: ['LIP_MOVEMENT_TOO_SMALL'],
  },
  // ── h5 · 动作活体返回码
  {
    family: 'h5', code: 1201, aliases: [], billable: false, stage: 'liveness_action', origin: 'seed',
    messageZh: '光线太暗',
    messageEn: 'The light is too dark',
    reasons: ['TOO_DARK'],
  },
  {
    family: 'h5', code: 1202, aliases: [], billable: false, stage: 'liveness_action', origin: 'seed',
    messageZh: '光线太强',
    messageEn: 'The light is too strong',
    reasons: ['TOO_BRIGHT'],
  },
  {
    family: 'h5', code: 1203, aliases: [], billable: false, stage: 'liveness_action', origin: 'seed',
    messageZh: '脸离屏幕太近',
    messageEn: 'The face is too close to the screen',
    reasons: ['FACE_TOO_CLOSE'],
  },
  {
    family: 'h5', code: 1204, aliases: [], billable: false, stage: 'liveness_action', origin: 'seed',
    messageZh: '脸离屏幕太右',
    messageEn: 'The face is too far to the right',
    reasons: ['FACE_TOO_RIGHT'],
  },
  {
    family: 'h5', code: 1205, aliases: [], billable: false, stage: 'liveness_action', origin: 'seed',
    messageZh: '脸离屏幕太远',
    messageEn: 'The face is too far from the screen',
    reasons: ['FACE_TOO_FAR'],
  },
  {
    family: 'h5', code: 1206, aliases: [], billable: false, stage: 'liveness_action', origin: 'seed',
    messageZh: '脸离屏幕太左',
    messageEn: 'The face is too far to the left',
    reasons: ['FACE_TOO_LEFT'],
  },
  {
    family: 'h5', code: 1207, aliases: [], billable: false, stage: 'liveness_action', origin: 'seed',
    messageZh: '未检测到闭眼动作',
    messageEn: 'No eye-closing (blink) action detected',
    reasons: ['NO_BLINK'],
  },
  {
    family: 'h5', code: 1208, aliases: [], billable: false, stage: 'liveness_action', origin: 'seed',
    messageZh: '未检测到第一个动作',
    messageEn: 'The first action was not detected',
    reasons: ['FIRST_ACTION_MISSING'],
  },
  {
    family: 'h5', code: 1209, aliases: [], billable: false, stage: 'liveness_action', origin: 'seed',
    messageZh: '未检测到张嘴动作',
    messageEn: 'No mouth-opening action detected',
    reasons: ['NO_MOUTH_OPEN'],
  },
  {
    family: 'h5', code: 1210, aliases: [], billable: false, stage: 'liveness_action', origin: 'seed',
    messageZh: '未能检测到完整人脸',
    messageEn: 'No complete face detected',
    reasons: ['FACE_INCOMPLETE', 'FACE_OCCLUDED', 'FACE_OCCLUDED_IN_VIDEO'],
  },
  // ── h5 · 静默活体返回码
  {
    family: 'h5', code: 1301, aliases: [], billable: false, stage: 'liveness_silent', origin: 'seed',
    messageZh: '实人检测失败',
    messageEn: 'The real-person check failed',
    reasons: ['SILENT_LIVENESS_FAILED'],
  },
  {
    family: 'h5', code: 1302, aliases: [], billable: false, stage: 'liveness_silent', origin: 'seed',
    messageZh: '实人检测未达到通过标准',
    messageEn: 'The real-person check did not reach the pass standard',
    reasons: ['SILENT_LIVENESS_BELOW_THRESHOLD'],
  },
  {
    family: 'h5', code: 1303, aliases: [], billable: false, stage: 'liveness_silent', origin: 'seed',
    messageZh: '视频录制时间过短，请录制2秒以上的视频',
    messageEn: 'The video is too short; please record for more than 2 seconds',
    reasons: ['VIDEO_TOO_SHORT'],
  },
  // ── h5 · 证件图像比对返回码
  {
    family: 'h5', code: 2001, aliases: [], billable: false, stage: 'compare', origin: 'seed',
    messageZh: '调用比对引擎接口出错',
    messageEn: 'Error calling the comparison engine',
    reasons: ['COMPARE_ENGINE_ERROR'],
  },
  {
    family: 'h5', code: 2002, aliases: [], billable: false, stage: 'identity', origin: 'seed',
    messageZh: '输入的姓名有误',
    messageEn: 'The name entered is wrong',
    reasons: ['NAME_INVALID'],
  },
  {
    family: 'h5', code: 2003, aliases: [], billable: false, stage: 'identity', origin: 'seed',
    messageZh: '输入的身份证号有误',
    messageEn: 'The ID number entered is wrong',
    reasons: ['ID_NUMBER_INVALID'],
  },
  {
    family: 'h5', code: 2004, aliases: [], billable: false, stage: 'media', origin: 'seed',
    messageZh: '传入图片过大或过小',
    messageEn: 'The image sent is too large or too small',
    reasons: ['IMAGE_SIZE_INVALID', 'REFERENCE_SIZE_INVALID'],
  },
  {
    family: 'h5', code: 2005, aliases: [], billable: false, stage: 'identity', origin: 'seed',
    messageZh: '库中无此号，请到户籍所在地进行核实',
    messageEn: 'This ID number is not in the registry; please check with the household registration office',
    reasons: ['REGISTRY_ID_NOT_FOUND'],
  },
  {
    family: 'h5', code: 2006, aliases: [], billable: true, stage: 'identity', origin: 'seed',
    messageZh: '姓名和身份证号不一致，请核实后重试',
    messageEn: 'The name and the ID number do not match; please check them and try again',
    reasons: ['NAME_ID_MISMATCH'],
  },
  {
    family: 'h5', code: 2007, aliases: [], billable: true, stage: 'identity', origin: 'seed',
    messageZh: '库中无此用户照片，请到户籍所在地进行核实',
    messageEn: 'The registry has no photo of this person; please check with the household registration office',
    reasons: ['REGISTRY_NO_PHOTO'],
  },
  {
    family: 'h5', code: 2008, aliases: [], billable: false, stage: 'identity', origin: 'seed',
    messageZh: '客户库自建库或认证中心返照失败，请稍后再试',
    messageEn: 'The customer\'s own library or the authentication centre failed to return the photo; please try again later',
    reasons: ['REGISTRY_PHOTO_READ_FAILED'],
  },
  {
    family: 'h5', code: 2009, aliases: [], billable: true, stage: 'compare', origin: 'seed',
    messageZh: '传入图片分辨率太低，请重新上传',
    messageEn: 'The image resolution is too low; please upload again',
    reasons: ['REFERENCE_RESOLUTION_TOO_LOW'],
  },
  {
    family: 'h5', code: 2010, aliases: [], billable: true, stage: 'compare', origin: 'seed',
    messageZh: '人脸检测失败，无法提取比对照',
    messageEn: 'Face detection failed; no face image could be taken for comparison',
    reasons: ['REFERENCE_NO_FACE'],
  },
  {
    family: 'h5', code: 2011, aliases: [], billable: true, stage: 'compare', origin: 'seed',
    messageZh: '实人比对未通过',
    messageEn: 'The real-person comparison failed',
    reasons: ['FACE_SWAPPED'],
  },
  {
    family: 'h5', code: 2012, aliases: [], billable: true, stage: 'compare', origin: 'seed',
    messageZh: '检测到多张人脸',
    messageEn: 'More than one face detected',
    reasons: ['MULTIPLE_FACES', 'TOO_MANY_FACES', 'REFERENCE_MULTIPLE_FACES'],
  },
  {
    family: 'h5', code: 2013, aliases: [], billable: true, stage: 'compare', origin: 'seed',
    messageZh: '未能检测到完整人脸',
    messageEn: 'No complete face detected',
    reasons: ['BEST_FRAME_OCCLUDED'],
  },
  {
    family: 'h5', code: 2014, aliases: [], billable: true, stage: 'compare', origin: 'seed',
    messageZh: '传入图片分辨率太低，请重新上传',
    messageEn: 'The image resolution is too low; please upload again',
    reasons: ['VIDEO_RESOLUTION_TOO_LOW'],
  },
  {
    family: 'h5', code: 2015, aliases: [], billable: true, stage: 'compare', origin: 'seed',
    messageZh: '比对失败',
    messageEn: 'Comparison failed',
    reasons: ['COMPARE_FAILED'],
  },
  {
    family: 'h5', code: 2016, aliases: [], billable: true, stage: 'compare', origin: 'seed',
    messageZh: '比对相似度未达到通过标准',
    messageEn: 'The comparison similarity did not reach the pass standard',
    reasons: ['SIMILARITY_BELOW_THRESHOLD'],
  },
  // ── sdk · 其他返回码
  {
    family: 'sdk', code: 0, aliases: [], billable: true, stage: 'system', origin: 'shiren',
    messageZh: '成功',
    messageEn: 'Success',
    reasons: ['PASS'],
  },
  {
    family: 'sdk', code: 400101, aliases: [], billable: false, stage: 'auth', origin: 'seed',
    messageZh: '不合法的请求',
    messageEn: 'Invalid request',
    remedyZh: '签名校验不通过',
    remedyEn: 'The signature did not verify.',
    reasons: ['SIGNATURE_INVALID'],
  },
  {
    family: 'sdk', code: 400102, aliases: [], billable: false, stage: 'auth', origin: 'seed',
    messageZh: '不合法的请求',
    messageEn: 'Invalid request',
    remedyZh: '登录态失效',
    remedyEn: 'The login state (access token) has expired.',
    reasons: ['LOGIN_EXPIRED'],
  },
  {
    family: 'sdk', code: 400103, aliases: [400104], billable: false, stage: 'auth', origin: 'seed',
    messageZh: '服务器拒绝访问此接口',
    messageEn: 'The server refuses access to this interface',
    remedyZh: '需要仔细核对请求获取 Token 或 ticket 参数',
    remedyEn: 'Check the parameters used to obtain the token or ticket carefully.',
    reasons: ['TICKET_INVALID', 'BUSINESS_REQUEST_INVALID', 'ALREADY_COMPLETED'],
  },
  {
    family: 'sdk', code: 400502, aliases: [], billable: false, stage: 'auth', origin: 'seed',
    messageZh: '请求上送版本参数错误',
    messageEn: 'The version parameter of the request is wrong',
    remedyZh: '需要仔细核对请求获取 Token 或 ticket 参数',
    remedyEn: 'Check the parameters used to obtain the token or ticket carefully.',
    reasons: ['VERSION_INVALID'],
  },
  {
    family: 'sdk', code: 400504, aliases: [], billable: false, stage: 'rate_limit', origin: 'seed',
    messageZh: '请求访问频率过高',
    messageEn: 'The request rate is too high',
    remedyZh: '同一个 AppID 下，同一个 userID 2s内只能请求成功一次 nonceticket',
    remedyEn: 'Under one AppID, the same userId can obtain a NONCE ticket successfully only once every 2 s.',
    reasons: ['NONCE_TICKET_TOO_FREQUENT'],
  },
  {
    family: 'sdk', code: 400506, aliases: [], billable: false, stage: 'rate_limit', origin: 'seed',
    messageZh: '请求频率过高，请稍后再试',
    messageEn: 'The request rate is too high; please try again later',
    remedyZh: '针对同一个 AppID 的并发访问频率控制',
    remedyEn: 'Concurrent access under one AppID is rate-controlled.',
    reasons: ['CONCURRENCY_LIMIT'],
  },
  {
    family: 'sdk', code: 400601, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: '请求参数体过大',
    messageEn: 'The request body is too large',
    remedyZh: '检查上送的报文大小，尤其是包含图片和文件的报文，不能超过接口要求大小',
    remedyEn: 'Check the size of the request, especially requests carrying images or files; it must not exceed the interface limit.',
    reasons: ['BODY_TOO_LARGE'],
  },
  {
    family: 'sdk', code: 400604, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '上送视频非实时录制',
    messageEn: 'The uploaded video was not recorded in real time',
    remedyZh: '需要实时录制视频上传',
    remedyEn: 'Record the video live and upload it.',
    reasons: ['VIDEO_REPLAYED'],
  },
  {
    family: 'sdk', code: 66660001, aliases: [], billable: false, stage: 'auth', origin: 'seed',
    messageZh: '不合法请求',
    messageEn: 'Invalid request',
    remedyZh: 'AppID 不存在',
    remedyEn: 'The AppID does not exist.',
    reasons: ['APP_NOT_FOUND'],
  },
  {
    family: 'sdk', code: 66660002, aliases: [], billable: false, stage: 'auth', origin: 'seed',
    messageZh: '服务已过有效期',
    messageEn: 'The service has expired',
    remedyZh: '服务已经过了有效期，请联系我们',
    remedyEn: 'The service is past its validity period; contact the operator of this service.',
    reasons: ['APP_EXPIRED'],
  },
  {
    family: 'sdk', code: 66660004, aliases: [], billable: true, stage: 'compare', origin: 'seed',
    messageZh: '无法确认为同一人',
    messageEn: 'Cannot confirm that this is the same person',
    remedyZh: '人脸比对相似度得分不够',
    remedyEn: 'The face-comparison similarity score is not high enough.',
    reasons: ['SIMILARITY_BELOW_THRESHOLD'],
  },
  {
    family: 'sdk', code: 66660005, aliases: [], billable: false, stage: 'identity', origin: 'seed',
    messageZh: '无照片信息，无法比对',
    messageEn: 'No photo on record; cannot compare',
    remedyZh: '权威数据源无照片',
    remedyEn: 'The authoritative data source has no photo.',
    reasons: ['REGISTRY_NO_PHOTO'],
  },
  {
    family: 'sdk', code: 66660010, aliases: [], billable: true, stage: 'identity', origin: 'seed',
    messageZh: '姓名和身份证不一致，请确认',
    messageEn: 'The name and the ID number do not match; please check them',
    remedyZh: '姓名和身份证不匹配',
    remedyEn: 'The name and the ID number do not match.',
    reasons: ['NAME_ID_MISMATCH'],
  },
  {
    family: 'sdk', code: 66660011, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: '无此查询结果',
    messageEn: 'No such result',
    remedyZh: '当前订单或用户无人脸验证结果',
    remedyEn: 'The order or user has no face-verification result.',
    reasons: ['RESULT_NOT_FOUND', 'NOT_FOUND'],
  },
  {
    family: 'sdk', code: 66660015, aliases: [], billable: false, stage: 'identity', origin: 'seed',
    messageZh: '姓名或身份证不合法',
    messageEn: 'Invalid name or ID number',
    remedyZh: '身份证或姓名非法，后台校验身份证有效性，同时也校验姓名',
    remedyEn: 'The ID number or the name is invalid: the server checks that the ID number is valid and also checks the name.',
    reasons: ['NAME_INVALID', 'ID_NUMBER_INVALID'],
  },
  {
    family: 'sdk', code: 66660016, aliases: [], billable: false, stage: 'media', origin: 'seed',
    messageZh: '视频格式或大小不合法',
    messageEn: 'Invalid video format or size',
    remedyZh: '文件或视频不合法',
    remedyEn: 'The file or video is invalid.',
    reasons: ['VIDEO_FORMAT_INVALID', 'FILE_FORMAT_INVALID', 'IMAGE_SIZE_INVALID', 'DIGITS_VIDEO_FORMAT_INVALID'],
  },
  {
    family: 'sdk', code: 66660017, aliases: [], billable: false, stage: 'rate_limit', origin: 'seed',
    messageZh: '验证次数超限',
    messageEn: 'Too many verification attempts',
    remedyZh: '当日用户验证次数超限',
    remedyEn: 'The user has reached today\'s verification limit.',
    reasons: ['DAILY_LIMIT_EXCEEDED', 'ATTEMPTS_EXHAUSTED'],
  },
  {
    family: 'sdk', code: 66660018, aliases: [], billable: false, stage: 'auth', origin: 'seed',
    messageZh: '操作超时，请退出重试',
    messageEn: 'The operation timed out; please exit and try again',
    remedyZh: '无此 ID 的用户身份信息，针对 H5 刷脸的信息',
    remedyEn: 'There is no identity information under this ID (the faceId / h5faceId of H5 face verification).',
    reasons: ['SESSION_NOT_FOUND', 'TOKEN_EXPIRED'],
  },
  {
    family: 'sdk', code: 66660021, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: '网络不给力，请稍后重试',
    messageEn: 'Poor network; please try again later',
    remedyZh: '系统超时，请您稍后再试',
    remedyEn: 'The system timed out; please try again later.',
    reasons: ['ANALYSIS_TIMEOUT', 'BLOB_TIMEOUT'],
  },
  {
    family: 'sdk', code: 66660022, aliases: [], billable: false, stage: 'liveness_digital', origin: 'seed',
    messageZh: '动态数字失效，请重新验证',
    messageEn: 'The digits have expired; please verify again',
    remedyZh: '在缓存的唇语失效，需要重新拉取，用于 API 接口',
    remedyEn: 'The cached lip-reading digits expired; fetch new ones (used by the API).',
    reasons: ['LIVE_CODE_EXPIRED'],
  },
  {
    family: 'sdk', code: 66660023, aliases: [66660036, -5020, -5025], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '请确保本人操作且正脸对框',
    messageEn: 'Make sure you are doing this yourself and your face is squarely in the frame',
    remedyZh: '防攻击活体检测不通过（包含翻拍、模型等）',
    remedyEn: 'The anti-attack liveness check failed (re-captured photo, model, etc.).',
    reasons: ['SPOOF_DETECTED'],
  },
  {
    family: 'sdk', code: 66660024, aliases: [], billable: false, stage: 'identity', origin: 'seed',
    messageZh: '无此证件号码',
    messageEn: 'No such ID number',
    remedyZh: '权威数据源返回无此证件号码',
    remedyEn: 'The authoritative data source has no such ID number.',
    reasons: ['REGISTRY_ID_NOT_FOUND'],
  },
  {
    family: 'sdk', code: 66660025, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '请确保本人操作且正脸对框',
    messageEn: 'Make sure you are doing this yourself and your face is squarely in the frame',
    remedyZh: '光线活体识别不通过，按照如下提示再次尝试：\n1. 请确保光线充足\n2. 请确保人脸正对框内\n3. 请确保脸部无遮挡',
    remedyEn: 'The light-based liveness check failed. Try again as follows:\n1. Make sure there is enough light\n2. Make sure the face is squarely inside the frame\n3. Make sure nothing covers the face',
    reasons: ['TOO_DARK'],
  },
  {
    family: 'sdk', code: 66660026, aliases: [], billable: false, stage: 'media', origin: 'seed',
    messageZh: '高清照大小或格式不符合',
    messageEn: 'The HD photo has the wrong size or format',
    remedyZh: '高清照大小或格式不符合',
    remedyEn: 'The HD photo has the wrong size or format.',
    reasons: ['REFERENCE_SIZE_INVALID', 'REFERENCE_RESOLUTION_TOO_LOW'],
  },
  {
    family: 'sdk', code: 66660030, aliases: [], billable: false, stage: 'auth', origin: 'seed',
    messageZh: '不支持此类型服务',
    messageEn: 'This type of service is not supported',
    remedyZh: '不支持此类型服务',
    remedyEn: 'This type of service is not supported.',
    reasons: ['SERVICE_NOT_ENABLED'],
  },
  {
    family: 'sdk', code: 66660033, aliases: [], billable: false, stage: 'compare', origin: 'seed',
    messageZh: '图片中人脸数超限，请确保最多只有两张脸',
    messageEn: 'Too many faces in the image; make sure there are at most two',
    remedyZh: '图片中人脸数超限',
    remedyEn: 'The image has more faces than allowed.',
    reasons: ['TOO_MANY_FACES'],
  },
  {
    family: 'sdk', code: 66660035, aliases: [-1102], billable: false, stage: 'media', origin: 'seed',
    messageZh: '未识别到人脸，请确保正脸对框且清晰完整',
    messageEn: 'No face recognised; keep your face squarely in the frame, clear and complete',
    remedyZh: '自拍照编码问题，无法解析，可以尝试重新拍照或上传可靠自拍照比对',
    remedyEn: 'The selfie is badly encoded and cannot be parsed; take the photo again or upload a reliable selfie for comparison.',
    reasons: ['IMAGE_DECODE_FAILED'],
  },
  {
    family: 'sdk', code: 66660037, aliases: [], billable: false, stage: 'compare', origin: 'seed',
    messageZh: '照片出现多张脸',
    messageEn: 'More than one face in the photo',
    remedyZh: '比对照片采集到多张脸',
    remedyEn: 'More than one face was captured in the comparison photo.',
    reasons: ['REFERENCE_MULTIPLE_FACES', 'MULTIPLE_FACES'],
  },
  {
    family: 'sdk', code: 66660038, aliases: [-1101, -4014], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '未识别到人脸，请确保正脸对框且清晰完整',
    messageEn: 'No face recognised; keep your face squarely in the frame, clear and complete',
    remedyZh: '按照如下提示再次尝试：\n1. 请确保光线充足\n2. 请确保人脸正对框内\n3. 请确保脸部无遮挡',
    remedyEn: 'Try again as follows:\n1. Make sure there is enough light\n2. Make sure the face is squarely inside the frame\n3. Make sure nothing covers the face',
    reasons: ['NO_FACE'],
  },
  {
    family: 'sdk', code: 66660039, aliases: [66660040, 66660046, -4017, -4018], billable: false, stage: 'compare', origin: 'seed',
    messageZh: '证件照不存在或无法处理',
    messageEn: 'The ID photo does not exist or cannot be processed',
    remedyZh: '提供的比对源照片编码问题，无法解析，如果是合作伙伴自带数据源，请确保数据源照片',
    remedyEn: 'The comparison source photo is badly encoded and cannot be parsed; if you supply your own data source, make sure its photos are valid.',
    reasons: ['REFERENCE_DECODE_FAILED', 'REFERENCE_NO_FACE', 'REGISTRY_PHOTO_READ_FAILED'],
  },
  {
    family: 'sdk', code: 66660041, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '脸部有遮挡，请保持人脸清晰无遮挡',
    messageEn: 'The face is covered; keep your face clear and uncovered',
    remedyZh: '脸部有遮挡，录制时，确保人脸清晰完整',
    remedyEn: 'The face is covered; keep the face clear and complete while recording.',
    reasons: ['FACE_OCCLUDED'],
  },
  {
    family: 'sdk', code: 66660042, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '照片模糊，请保持人脸清晰勿晃动',
    messageEn: 'The photo is blurred; keep your face clear and still',
    remedyZh: '照片模糊，录制时，确保人脸清晰勿晃动',
    remedyEn: 'The photo is blurred; keep the face clear and still while recording.',
    reasons: ['FACE_BLURRED'],
  },
  {
    family: 'sdk', code: 66660045, aliases: [], billable: false, stage: 'media', origin: 'seed',
    messageZh: '自拍照处理失败',
    messageEn: 'Failed to process the selfie',
    remedyZh: '视频解析失败，需重新录制视频',
    remedyEn: 'The video could not be parsed; record it again.',
    reasons: ['VIDEO_DECODE_FAILED'],
  },
  {
    family: 'sdk', code: 66665001, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '活体检测不通过',
    messageEn: 'Liveness check failed',
    remedyZh: '活体检测失败，命中风控逻辑',
    remedyEn: 'Liveness failed: a risk-control rule was hit.',
    reasons: ['RISK_CONTROL'],
  },
  {
    family: 'sdk', code: -4007, aliases: [], billable: false, stage: 'compare', origin: 'seed',
    messageZh: '无法确认为同一人',
    messageEn: 'Cannot confirm that this is the same person',
    remedyZh: '人脸比对相似度得分不够',
    remedyEn: 'The face-comparison similarity score is not high enough.',
    reasons: ['FACE_SWAPPED'],
  },
  {
    family: 'sdk', code: -5012, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '视频中人脸被遮挡',
    messageEn: 'The face is covered in the video',
    remedyZh: '脸部有遮挡，录制时，确保人脸清晰完整',
    remedyEn: 'The face is covered; keep the face clear and complete while recording.',
    reasons: ['FACE_OCCLUDED_IN_VIDEO'],
  },
  {
    family: 'sdk', code: -5001, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '视频异常，请重新录制',
    messageEn: 'Abnormal video; please record again',
    remedyZh: '按照如下提示再次尝试：\n1. 请确保光线充足\n2. 请确保人脸正对框内\n3. 请确保脸部无遮挡',
    remedyEn: 'Try again as follows:\n1. Make sure there is enough light\n2. Make sure the face is squarely inside the frame\n3. Make sure nothing covers the face',
    reasons: ['SILENT_LIVENESS_FAILED'],
  },
  {
    family: 'sdk', code: -5005, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '离屏幕太近或太远；录制时，确保人脸清晰完整',
    messageEn: 'Too close to or too far from the screen; keep your face clear and complete while recording',
    remedyZh: '离屏幕太近或太远；录制时，确保人脸清晰完整',
    remedyEn: 'Too close to or too far from the screen; keep the face clear and complete while recording.',
    reasons: ['FACE_TOO_CLOSE', 'FACE_TOO_FAR'],
  },
  {
    family: 'sdk', code: -5008, aliases: [], billable: false, stage: 'liveness_digital', origin: 'seed',
    messageZh: '声音未能识别，请大声慢读一遍数字',
    messageEn: 'Speech not recognised; please read the digits aloud slowly once',
    remedyZh: '录制时，普通话大声读数字',
    remedyEn: 'Read the digits aloud in Mandarin while recording.',
    reasons: ['SPEECH_MISMATCH'],
  },
  {
    family: 'sdk', code: -5009, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '视频中人脸检测不到；录制时，确保人脸清晰完整',
    messageEn: 'No face detected in the video; keep your face clear and complete while recording',
    remedyZh: '按照如下提示再次尝试：\n1. 请确保光线充足\n2. 请确保人脸正对框内\n3. 请确保脸部无遮挡',
    remedyEn: 'Try again as follows:\n1. Make sure there is enough light\n2. Make sure the face is squarely inside the frame\n3. Make sure nothing covers the face',
    reasons: ['FACE_INCOMPLETE_DURING_SPEECH'],
  },
  {
    family: 'sdk', code: -5010, aliases: [], billable: false, stage: 'liveness_digital', origin: 'seed',
    messageZh: '声音未能识别；请大声慢读一遍数字',
    messageEn: 'Speech not recognised; please read the digits aloud slowly once',
    remedyZh: '录制时，普通话大声读数字',
    remedyEn: 'Read the digits aloud in Mandarin while recording.',
    reasons: ['SPEECH_NOT_DETECTED', 'NO_AUDIO', 'AUDIO_TOO_QUIET'],
  },
  {
    family: 'sdk', code: -5011, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '未识别到人脸；请保持本人操作且正脸对框',
    messageEn: 'No face recognised; make sure you are doing this yourself and your face is squarely in the frame',
    remedyZh: '视频中未检测到人脸',
    remedyEn: 'No face was detected in the video.',
    reasons: ['FACE_NOT_FRONTAL'],
  },
  {
    family: 'sdk', code: -5018, aliases: [], billable: false, stage: 'liveness_action', origin: 'seed',
    messageZh: '未识别到眨眼；录制时请保持正脸对框且眨眼',
    messageEn: 'No blink recognised; keep your face squarely in the frame and blink while recording',
    remedyZh: '录制视频视频时需配合做眨眼动作',
    remedyEn: 'Blink as asked while recording the video.',
    reasons: ['NO_BLINK'],
  },
  {
    family: 'sdk', code: -5026, aliases: [], billable: false, stage: 'liveness_action', origin: 'seed',
    messageZh: '请确保本人操作且正脸对框',
    messageEn: 'Make sure you are doing this yourself and your face is squarely in the frame',
    remedyZh: '活体识别不通过，按照如下提示再次尝试：\n1. 请确保光线充足\n2. 请确保人脸正对框内\n3. 请确保脸部无遮挡',
    remedyEn: 'Liveness check failed. Try again as follows:\n1. Make sure there is enough light\n2. Make sure the face is squarely inside the frame\n3. Make sure nothing covers the face',
    reasons: ['FIRST_ACTION_MISSING', 'ACTION_ORDER_WRONG'],
  },
  {
    family: 'sdk', code: -5027, aliases: [-5052], billable: false, stage: 'media', origin: 'seed',
    messageZh: '请确保本人操作且正脸对框',
    messageEn: 'Make sure you are doing this yourself and your face is squarely in the frame',
    remedyZh: '异常视频解析失败',
    remedyEn: 'The abnormal video could not be parsed.',
    reasons: ['VIDEO_FETCH_FAILED'],
  },
  {
    family: 'sdk', code: -1404, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '请确保本人操作且正脸对框',
    messageEn: 'Make sure you are doing this yourself and your face is squarely in the frame',
    remedyZh: '活体识别不通过，按照如下提示再次尝试：\n1. 请确保光线充足\n2. 请确保人脸正对框内\n3. 请确保脸部无遮挡',
    remedyEn: 'Liveness check failed. Try again as follows:\n1. Make sure there is enough light\n2. Make sure the face is squarely inside the frame\n3. Make sure nothing covers the face',
    reasons: ['VIDEO_LIVENESS_FAILED'],
  },
  {
    family: 'sdk', code: -1304, aliases: [], billable: false, stage: 'media', origin: 'seed',
    messageZh: '视频异常，请重新录制',
    messageEn: 'Abnormal video; please record again',
    remedyZh: '检查异常视频失败',
    remedyEn: 'The video failed the abnormal-video check.',
    reasons: ['VIDEO_RESOLUTION_TOO_LOW', 'DIGITS_VIDEO_RESOLUTION_TOO_LOW'],
  },
  {
    family: 'sdk', code: -4005, aliases: [], billable: false, stage: 'compare', origin: 'seed',
    messageZh: '服务内部错误',
    messageEn: 'Internal service error',
    remedyZh: '计算特征距离失败',
    remedyEn: 'Computing the feature distance failed.',
    reasons: ['COMPARE_ENGINE_ERROR'],
  },
  {
    family: 'sdk', code: -5000, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: '服务内部错误',
    messageEn: 'Internal service error',
    remedyZh: '服务内部 SDK 没有正常工作',
    remedyEn: 'The service\'s internal SDK (vision engine) is not working.',
    reasons: ['VISION_ENGINE_UNAVAILABLE', 'LIVENESS_ENGINE_ERROR'],
  },
  {
    family: 'sdk', code: -15001, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '视频中人脸检测不到；录制时，确保人脸清晰完整',
    messageEn: 'No face detected in the video; keep your face clear and complete while recording',
    remedyZh: '视频不符合要求。如：全程无人脸',
    remedyEn: 'The video does not meet the requirements, e.g. there is no face in it at all.',
    reasons: ['NO_FACE_IN_VIDEO'],
  },
  {
    family: 'sdk', code: -15002, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '请确保本人操作且正脸对框',
    messageEn: 'Make sure you are doing this yourself and your face is squarely in the frame',
    remedyZh: '视频由单张图片合成而来',
    remedyEn: 'The video was synthesised from a single image.',
    reasons: ['STILL_IMAGE_VIDEO'],
  },
  {
    family: 'sdk', code: -14099, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '请确保本人操作且正脸对框',
    messageEn: 'Make sure you are doing this yourself and your face is squarely in the frame',
    remedyZh: '活体识别不通过，按照如下提示再次尝试：\n1. 请确保光线充足\n2. 请确保人脸正对框内\n3. 请确保脸部无遮挡',
    remedyEn: 'Liveness check failed. Try again as follows:\n1. Make sure there is enough light\n2. Make sure the face is squarely inside the frame\n3. Make sure nothing covers the face',
    reasons: ['LIVENESS_FAILED'],
  },
  {
    family: 'sdk', code: -7001, aliases: [], billable: false, stage: 'liveness_digital', origin: 'seed',
    messageZh: '请确保本人操作且正脸对框',
    messageEn: 'Make sure you are doing this yourself and your face is squarely in the frame',
    remedyZh: '活体识别不通过，按照如下提示再次尝试：\n1. 请确保光线充足\n2. 请确保人脸正对框内\n3. 请确保脸部无遮挡',
    remedyEn: 'Liveness check failed. Try again as follows:\n1. Make sure there is enough light\n2. Make sure the face is squarely inside the frame\n3. Make sure nothing covers the face',
    reasons: ['LIP_MOVEMENT_TOO_SMALL'],
  },
  {
    family: 'sdk', code: -5103, aliases: [], billable: false, stage: 'compare', origin: 'seed',
    messageZh: '脸部有遮挡；请保持人脸清晰无遮挡',
    messageEn: 'The face is covered; keep your face clear and uncovered',
    remedyZh: '脸部有遮挡，录制时，确保人脸清晰完整',
    remedyEn: 'The face is covered; keep the face clear and complete while recording.',
    reasons: ['BEST_FRAME_OCCLUDED'],
  },
  {
    family: 'sdk', code: -5102, aliases: [], billable: false, stage: 'compare', origin: 'seed',
    messageZh: '照片模糊，请保持人脸清晰勿晃动',
    messageEn: 'The photo is blurred; keep your face clear and still',
    remedyZh: '照片模糊，录制时，确保人脸清晰勿晃动',
    remedyEn: 'The photo is blurred; keep the face clear and still while recording.',
    reasons: ['BEST_FRAME_BLURRED'],
  },
  {
    family: 'sdk', code: -5051, aliases: [], billable: false, stage: 'media', origin: 'seed',
    messageZh: '视频格式或大小不合法',
    messageEn: 'Invalid video format or size',
    remedyZh: '文件或视频不合法',
    remedyEn: 'The file or video is invalid.',
    reasons: ['VIDEO_TOO_LONG', 'VIDEO_TOO_SHORT', 'DIGITS_VIDEO_DURATION_INVALID'],
  },
  {
    family: 'sdk', code: -5050, aliases: [], billable: false, stage: 'media', origin: 'seed',
    messageZh: '视频格式或大小不合法',
    messageEn: 'Invalid video format or size',
    remedyZh: '文件或视频不合法',
    remedyEn: 'The file or video is invalid.',
    reasons: ['VIDEO_SIZE_INVALID'],
  },
  {
    family: 'sdk', code: -5024, aliases: [], billable: false, stage: 'liveness_action', origin: 'seed',
    messageZh: '请确保本人操作且正脸对框',
    messageEn: 'Make sure you are doing this yourself and your face is squarely in the frame',
    remedyZh: '活体识别不通过，按照如下提示再次尝试：\n1. 请确保光线充足\n2. 请确保人脸正对框内\n3. 请确保脸部无遮挡',
    remedyEn: 'Liveness check failed. Try again as follows:\n1. Make sure there is enough light\n2. Make sure the face is squarely inside the frame\n3. Make sure nothing covers the face',
    reasons: ['NO_HEAD_TURN'],
  },
  {
    family: 'sdk', code: -5023, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '光线太强，请到室内识别',
    messageEn: 'The light is too strong; please verify indoors',
    remedyZh: '活体识别不通过，按照如下提示再次尝试：\n1. 请确保光线充足\n2. 请确保人脸正对框内\n3. 请确保脸部无遮挡',
    remedyEn: 'Liveness check failed. Try again as follows:\n1. Make sure there is enough light\n2. Make sure the face is squarely inside the frame\n3. Make sure nothing covers the face',
    reasons: ['TOO_BRIGHT'],
  },
  {
    family: 'sdk', code: -5021, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '活体检测不通过',
    messageEn: 'Liveness check failed',
    remedyZh: '防攻击活体检测不通过',
    remedyEn: 'The anti-attack liveness check failed.',
    reasons: ['SUSPECTED_RECORDING'],
  },
  {
    family: 'sdk', code: -5019, aliases: [], billable: false, stage: 'liveness_action', origin: 'seed',
    messageZh: '请确保本人操作且正脸对框',
    messageEn: 'Make sure you are doing this yourself and your face is squarely in the frame',
    remedyZh: '活体识别不通过，按照如下提示再次尝试：\n1. 请确保光线充足\n2. 请确保人脸正对框内\n3. 请确保脸部无遮挡',
    remedyEn: 'Liveness check failed. Try again as follows:\n1. Make sure there is enough light\n2. Make sure the face is squarely inside the frame\n3. Make sure nothing covers the face',
    reasons: ['NO_MOUTH_OPEN'],
  },
  {
    family: 'sdk', code: -4003, aliases: [], billable: false, stage: 'compare', origin: 'seed',
    messageZh: '人脸检测失败',
    messageEn: 'Face detection failed',
    remedyZh: '按照如下提示再次尝试：\n1. 请确保光线充足\n2. 请确保人脸正对框内\n3. 请确保脸部无遮挡',
    remedyEn: 'Try again as follows:\n1. Make sure there is enough light\n2. Make sure the face is squarely inside the frame\n3. Make sure nothing covers the face',
    reasons: ['COMPARE_FAILED'],
  },
  {
    family: 'sdk', code: -1497, aliases: [], billable: false, stage: 'liveness_silent', origin: 'seed',
    messageZh: '请确保本人操作且正脸对框',
    messageEn: 'Make sure you are doing this yourself and your face is squarely in the frame',
    remedyZh: '活体识别不通过，按照如下提示再次尝试：\n1. 请确保光线充足\n2. 请确保人脸正对框内\n3. 请确保脸部无遮挡',
    remedyEn: 'Liveness check failed. Try again as follows:\n1. Make sure there is enough light\n2. Make sure the face is squarely inside the frame\n3. Make sure nothing covers the face',
    reasons: ['SILENT_LIVENESS_BELOW_THRESHOLD'],
  },
  {
    family: 'sdk', code: -1493, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '录制过程中请勿闭眼',
    messageEn: 'Do not close your eyes while recording',
    remedyZh: '录制过程中请勿闭眼',
    remedyEn: 'Do not close your eyes while recording.',
    reasons: ['EYES_CLOSED'],
  },
  {
    family: 'sdk', code: -1492, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '活体检测不通过，请重试',
    messageEn: 'Liveness check failed; please try again',
    remedyZh: '防攻击活体检测不通过',
    remedyEn: 'The anti-attack liveness check failed.',
    reasons: ['SCREEN_REPLAY_DETECTED'],
  },
  {
    family: 'sdk', code: -1490, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '活体检测不通过，请重试',
    messageEn: 'Liveness check failed; please try again',
    remedyZh: '防攻击活体检测不通过',
    remedyEn: 'The anti-attack liveness check failed.',
    reasons: ['VIDEO_TAMPERED'],
  },
  {
    family: 'sdk', code: -1406, aliases: [], billable: false, stage: 'liveness', origin: 'seed',
    messageZh: '人脸检测失败',
    messageEn: 'Face detection failed',
    remedyZh: '按照如下提示再次尝试：\n1. 请确保光线充足\n2. 请确保人脸正对框内\n3. 请确保脸部无遮挡',
    remedyEn: 'Try again as follows:\n1. Make sure there is enough light\n2. Make sure the face is squarely inside the frame\n3. Make sure nothing covers the face',
    reasons: ['FACE_INCOMPLETE', 'FACE_TOO_LEFT', 'FACE_TOO_RIGHT'],
  },
  {
    family: 'sdk', code: -1301, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: '网络不给力，请稍后重试',
    messageEn: 'Poor network; please try again later',
    remedyZh: '请求参数字段非法',
    remedyEn: 'A request parameter field is invalid.',
    reasons: ['INVALID_PARAMETER', 'MISSING_PARAMETER'],
  },
  {
    family: 'sdk', code: -1105, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: '服务器处理失败，请稍后重试',
    messageEn: 'Server processing failed; please try again later',
    remedyZh: '服务器处理失败',
    remedyEn: 'Server processing failed.',
    reasons: ['SYSTEM_ERROR'],
  },
  {
    family: 'sdk', code: -1104, aliases: [], billable: false, stage: 'system', origin: 'seed',
    messageZh: '服务器处理失败，请稍后重试',
    messageEn: 'Server processing failed; please try again later',
    remedyZh: '服务器处理失败',
    remedyEn: 'Server processing failed.',
    reasons: ['DB_INSERT_FAILED', 'DB_UPDATE_FAILED', 'BLOB_WRITE_FAILED', 'BLOB_READ_FAILED', 'CACHE_DATA_INVALID', 'CACHE_UNAVAILABLE', 'REGISTRY_ERROR', 'DIGITS_VIDEO_READ_FAILED'],
  },
])

function deepFreeze(rows: CatalogEntry[]): readonly CatalogEntry[] {
  for (const r of rows) {
    Object.freeze(r.aliases)
    Object.freeze(r.reasons)
    Object.freeze(r)
  }
  return Object.freeze(rows)
}
