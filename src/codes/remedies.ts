import type { Reason } from './reasons.js'

/** What the person in front of the camera can do about a failure, in both page languages. */
export interface Remedy {
  readonly zh: string
  readonly en: string
}

/**
 * The person-facing reasons: causes the person can change (light, position, distance, a covered face,
 * several faces, an action, the network, the camera or browser, the ID card shown). Defined here once;
 * every other reason is the caller's, the deployment's or nobody's to fix, and has no remedy.
 *
 * The texts start from the vendor's own hints in the sdk seed's 处理措施 column (按照如下提示再次尝试：
 * 1. 请确保光线充足 2. 请确保人脸正对框内 3. 请确保脸部无遮挡; 录制时，普通话大声读数字; 录制过程中请勿闭眼 …),
 * made specific to the cause. They say what to do; they never change what a code means.
 */
export const PERSON_FACING_REASONS = [
  // light
  'TOO_DARK',
  'TOO_BRIGHT',
  // position and distance
  'FACE_TOO_CLOSE',
  'FACE_TOO_FAR',
  'FACE_TOO_LEFT',
  'FACE_TOO_RIGHT',
  'FACE_INCOMPLETE',
  'FACE_INCOMPLETE_DURING_SPEECH',
  'FACE_NOT_FRONTAL',
  'NO_FACE',
  'NO_FACE_IN_VIDEO',
  // a covered or unsharp face
  'FACE_OCCLUDED',
  'FACE_OCCLUDED_IN_VIDEO',
  'BEST_FRAME_OCCLUDED',
  'FACE_BLURRED',
  'BEST_FRAME_BLURRED',
  // several faces, another person
  'MULTIPLE_FACES',
  'TOO_MANY_FACES',
  'FACE_SWAPPED',
  // actions
  'NO_BLINK',
  'NO_MOUTH_OPEN',
  'NO_HEAD_TURN',
  'FIRST_ACTION_MISSING',
  'ACTION_ORDER_WRONG',
  'EYES_CLOSED',
  // read the digits
  'NO_AUDIO',
  'SPEECH_NOT_DETECTED',
  'AUDIO_TOO_QUIET',
  'SPEECH_MISMATCH',
  'LIP_MOVEMENT_TOO_SMALL',
  'DIGITS_VIDEO_DURATION_INVALID',
  'VIDEO_TOO_SHORT',
  // liveness not shown: for a genuine person the vendor's three hints (light, framing, nothing covering)
  'SILENT_LIVENESS_FAILED',
  'SILENT_LIVENESS_BELOW_THRESHOLD',
  'LIVENESS_FAILED',
  'VIDEO_LIVENESS_FAILED',
  'SPOOF_DETECTED',
  'LIGHT_LIVENESS_FAILED',
  'STILL_IMAGE_VIDEO',
  'SCREEN_REPLAY_DETECTED',
  'SUSPECTED_RECORDING',
  'VIDEO_REPLAYED',
  'VIDEO_TAMPERED',
  'SIMILARITY_BELOW_THRESHOLD',
  // the network
  'VIDEO_FETCH_FAILED',
  // the camera or browser
  'VIDEO_RESOLUTION_TOO_LOW',
  'DIGITS_VIDEO_RESOLUTION_TOO_LOW',
  'VIDEO_FORMAT_INVALID',
  'DIGITS_VIDEO_FORMAT_INVALID',
  'VIDEO_DECODE_FAILED',
  'IMAGE_DECODE_FAILED',
  // the ID card shown
  'OCR_FAILED',
  'IDCARD_EXPIRED',
  'IDCARD_NUMBER_MISMATCH',
] as const satisfies readonly Reason[]

export type PersonFacingReason = (typeof PERSON_FACING_REASONS)[number]

const FRAME_HINTS: Remedy = {
  zh: '请确保光线充足、人脸正对框内、脸部无遮挡',
  en: 'Make sure the light is good, your face is straight in the oval and nothing covers it',
}
const LIVE_HINTS: Remedy = {
  zh: '请本人面对摄像头操作：光线充足、人脸正对框内、脸部无遮挡',
  en: 'Take the check yourself, facing the camera: good light, face straight in the oval, nothing covering it',
}
const CENTRE: Remedy = { zh: '请将脸移到框的中央', en: 'Move your face to the centre of the oval' }
const UNCOVER: Remedy = {
  zh: '请摘下口罩、墨镜或帽子，不要用手遮挡脸部',
  en: 'Take off your mask, sunglasses or hat and keep your hands away from your face',
}
const STEADY: Remedy = {
  zh: '请拿稳手机、保持不动，并擦净摄像头',
  en: 'Hold the phone steady, keep still and wipe the camera lens',
}
const ONLY_YOU: Remedy = { zh: '画面中只保留您一个人', en: 'Make sure only you are in the picture' }
const SPEAK: Remedy = {
  zh: '请允许使用麦克风，用普通话大声读出数字',
  en: 'Allow the microphone and read the digits aloud',
}
const LIVE_RECORDING: Remedy = {
  zh: '请在本页面直接录制，不要上传或编辑已有视频',
  en: 'Record directly on this page; do not upload or edit an existing video',
}
const SHARPER_CAMERA: Remedy = {
  zh: '请换用更清晰的摄像头，例如手机前置摄像头',
  en: "Use a sharper camera, for example your phone's front camera",
}
const BROWSER: Remedy = {
  zh: '请用最新版浏览器重新录制，或换一个摄像头',
  en: 'Record again in an up-to-date browser, or with another camera',
}

/** One remedy per person-facing reason; the type makes a missing one a compile error. */
export const REMEDIES: Readonly<Record<PersonFacingReason, Remedy>> = {
  TOO_DARK: { zh: '请到光线充足的地方，面向窗户或灯光', en: 'Move somewhere brighter and face a window or a lamp' },
  TOO_BRIGHT: {
    zh: '光线太强，请避开阳光直射和背后的强光，到室内光线均匀处',
    en: 'Move out of direct sunlight and away from bright light behind you, into even indoor light',
  },
  FACE_TOO_CLOSE: {
    zh: '请把手机拿远一些，让整张脸都在框内',
    en: 'Hold the phone a little farther away so your whole face fits the oval',
  },
  FACE_TOO_FAR: { zh: '请把手机拿近一些，让脸部充满框内', en: 'Bring the phone closer so your face fills the oval' },
  FACE_TOO_LEFT: CENTRE,
  FACE_TOO_RIGHT: CENTRE,
  FACE_INCOMPLETE: {
    zh: '请让整张脸都在画面内，不要超出边缘',
    en: 'Keep your whole face inside the picture, not cut off at the edge',
  },
  FACE_INCOMPLETE_DURING_SPEECH: {
    zh: '朗读数字时请保持整张脸在框内',
    en: 'Keep your whole face in the oval while you read the digits',
  },
  FACE_NOT_FRONTAL: {
    zh: '请正对摄像头，把手机举到与眼睛齐平',
    en: 'Look straight at the camera and hold the phone at eye level',
  },
  NO_FACE: FRAME_HINTS,
  NO_FACE_IN_VIDEO: FRAME_HINTS,
  FACE_OCCLUDED: UNCOVER,
  FACE_OCCLUDED_IN_VIDEO: UNCOVER,
  BEST_FRAME_OCCLUDED: UNCOVER,
  FACE_BLURRED: STEADY,
  BEST_FRAME_BLURRED: STEADY,
  MULTIPLE_FACES: ONLY_YOU,
  TOO_MANY_FACES: ONLY_YOU,
  FACE_SWAPPED: {
    zh: '整个录制过程中只让您本人出现在画面中',
    en: 'Only you should be on camera for the whole recording',
  },
  NO_BLINK: { zh: '看到提示后请明显地眨眼', en: 'Blink clearly when you are asked to' },
  NO_MOUTH_OPEN: { zh: '看到提示后请张大嘴', en: 'Open your mouth wide when you are asked to' },
  NO_HEAD_TURN: {
    zh: '看到提示后请缓慢转头，再转回正面',
    en: 'Turn your head slowly when asked, then back to the camera',
  },
  FIRST_ACTION_MISSING: {
    zh: '录制开始后请立即按提示做第一个动作',
    en: 'Do the first action as soon as it is shown',
  },
  ACTION_ORDER_WRONG: {
    zh: '请按屏幕提示的顺序逐个完成动作',
    en: 'Do the actions one at a time, in the order shown',
  },
  EYES_CLOSED: {
    zh: '录制过程中请睁开眼睛注视屏幕',
    en: 'Keep your eyes open and look at the screen while recording',
  },
  NO_AUDIO: SPEAK,
  SPEECH_NOT_DETECTED: SPEAK,
  AUDIO_TOO_QUIET: { zh: '请在安静的地方大声朗读数字', en: 'Read the digits louder, in a quiet place' },
  SPEECH_MISMATCH: {
    zh: '请用普通话大声、慢慢地把屏幕上的数字读一遍',
    en: 'Read the digits on the screen once, slowly and loudly',
  },
  LIP_MOVEMENT_TOO_SMALL: {
    zh: '朗读时请清楚地张口读出每个数字',
    en: 'Say each digit clearly so your lips can be seen moving',
  },
  DIGITS_VIDEO_DURATION_INVALID: {
    zh: '请读完全部数字再停止，录制约 6 秒',
    en: 'Record for about 6 seconds and stop only after the last digit',
  },
  VIDEO_TOO_SHORT: {
    zh: '请录制 2 秒以上，录制结束前不要离开本页面',
    en: 'Record for more than 2 seconds and stay on this page until it stops',
  },
  SILENT_LIVENESS_FAILED: LIVE_HINTS,
  SILENT_LIVENESS_BELOW_THRESHOLD: LIVE_HINTS,
  LIVENESS_FAILED: LIVE_HINTS,
  VIDEO_LIVENESS_FAILED: LIVE_HINTS,
  SPOOF_DETECTED: LIVE_HINTS,
  LIGHT_LIVENESS_FAILED: {
    zh: '请在室内、面对屏幕、脸部靠近屏幕并保持在框内，屏幕闪烁时不要移开',
    en: 'Indoors, face the screen with your face close to it and inside the oval, and stay there while it flashes',
  },
  STILL_IMAGE_VIDEO: {
    zh: '请本人直接面对摄像头，不要对着照片或屏幕拍摄',
    en: 'Face the camera yourself; do not hold up a photo or a screen',
  },
  SCREEN_REPLAY_DETECTED: {
    zh: '请本人直接面对摄像头，不要对着屏幕拍摄',
    en: 'Face the camera yourself; do not film a screen',
  },
  SUSPECTED_RECORDING: LIVE_RECORDING,
  VIDEO_REPLAYED: LIVE_RECORDING,
  VIDEO_TAMPERED: LIVE_RECORDING,
  SIMILARITY_BELOW_THRESHOLD: {
    zh: '请本人操作，在光线均匀处正对摄像头，摘下帽子和墨镜',
    en: 'Take the check yourself, face the camera in even light, without hat or sunglasses',
  },
  VIDEO_FETCH_FAILED: {
    zh: '请检查网络连接（最好使用 Wi-Fi）后重试',
    en: 'Check your connection (use Wi-Fi if you can) and try again',
  },
  VIDEO_RESOLUTION_TOO_LOW: SHARPER_CAMERA,
  DIGITS_VIDEO_RESOLUTION_TOO_LOW: SHARPER_CAMERA,
  VIDEO_FORMAT_INVALID: BROWSER,
  DIGITS_VIDEO_FORMAT_INVALID: BROWSER,
  VIDEO_DECODE_FAILED: BROWSER,
  IMAGE_DECODE_FAILED: { zh: '请重新拍照后再试', en: 'Take the photo again and retry' },
  OCR_FAILED: {
    zh: '请将证件平放，拍下完整的一面，避免反光和遮挡',
    en: 'Lay the card flat and photograph the whole side, without glare or fingers over it',
  },
  IDCARD_EXPIRED: { zh: '请使用仍在有效期内的身份证', en: 'Use an ID card that is still valid' },
  IDCARD_NUMBER_MISMATCH: {
    zh: '请拍摄您本人的身份证，号码应与登记的一致',
    en: 'Photograph your own ID card, the one whose number was registered',
  },
}

const PERSON_FACING: ReadonlySet<Reason> = new Set(PERSON_FACING_REASONS)

export function isPersonFacing(reason: Reason): reason is PersonFacingReason {
  return PERSON_FACING.has(reason)
}

/** The remedy of a reason, or null when the person can do nothing about it. */
export function remedyFor(reason: Reason): Remedy | null {
  return isPersonFacing(reason) ? REMEDIES[reason] : null
}

/**
 * The remedy of a code: those of its person-facing reasons, each text once, in the row's reason order;
 * null when none of its reasons is person-facing.
 */
export function remedyForReasons(reasons: readonly Reason[]): Remedy | null {
  const picked: Remedy[] = []
  for (const r of reasons) {
    const m = remedyFor(r)
    if (m && !picked.some((p) => p.zh === m.zh)) picked.push(m)
  }
  if (picked.length === 0) return null
  return { zh: picked.map((p) => p.zh).join('；'), en: picked.map((p) => p.en).join('; ') }
}
