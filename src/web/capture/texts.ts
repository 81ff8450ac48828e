import type { Bi } from '../shared/i18n.js'

/** Every sentence of the capture page in both languages. Codes come from the server's catalog. */
export const T = {
  title: { zh: '实人认证', en: 'Identity verification' },
  loading: { zh: '正在加载…', en: 'Loading…' },
  consentTitle: { zh: '开始前请阅读', en: 'Before you start' },
  consentWhat: {
    zh: '我们将使用摄像头录制一段几秒钟的视频，用于确认是您本人在操作，并与您的证件照片进行比对。',
    en: 'We will use your camera to record a few seconds of video to confirm that you are present in person and to compare your face with your ID photo.',
  },
  consentAudio: {
    zh: '本次认证需要朗读数字，也会录制声音。',
    en: 'This verification asks you to read digits aloud, so sound is recorded as well.',
  },
  consentWho: {
    zh: '视频和照片只用于本次认证，加密保存，并在认证结束后最多 {days} 天内自动删除。',
    en: 'The video and photo are used only for this verification, stored encrypted, and deleted automatically at most {days} days after it ends.',
  },
  consentTips: {
    zh: '请在光线均匀的地方，摘下口罩和帽子，将手机正对面部。',
    en: 'Find even light, take off masks and hats, and hold the camera level with your face.',
  },
  agree: { zh: '同意并开始', en: 'Agree and start' },
  // light-reflection liveness (issue 17)
  consentFlash: {
    zh: '光敏提示：录制时屏幕会以不同颜色全屏闪烁数秒（每秒最多 3 次变化，无红色闪烁）。如您有光敏性癫痫或对闪光不适，请不要继续，并联系业务方改用其他方式。',
    en: 'Photosensitivity warning: while recording, the whole screen flashes in different colours for a few seconds (at most 3 changes a second, no red flashes). If you have photosensitive epilepsy or flashing light troubles you, do not continue, and ask the service for another way to verify.',
  },
  declineFlash: { zh: '不接受闪烁，改用其他方式', en: 'No flashes: verify another way' },
  light: {
    zh: '请保持面部在框内、靠近屏幕，屏幕闪烁时不要移开',
    en: 'Keep your face in the oval, close to the screen, while it flashes',
  },
  cardFrontTitle: { zh: '拍摄身份证人像面', en: 'Photograph the photo side of your ID card' },
  cardBackTitle: { zh: '拍摄身份证国徽面', en: 'Photograph the emblem side of your ID card' },
  cardHow: {
    zh: '将证件平放，拍下完整的一面，避免反光和遮挡。',
    en: 'Lay the card flat and photograph the whole side, without glare or fingers over it.',
  },
  cardTake: { zh: '拍照或选择照片', en: 'Take or choose a photo' },
  cardReading: { zh: '正在识别证件…', en: 'Reading the card…' },
  cardRetry: { zh: '上传失败，请重试', en: 'The upload failed; please try again' },
  cardAccepted: { zh: '已识别：{name} {id}', en: 'Read: {name} {id}' },
  cardFailedTitle: { zh: '证件未通过', en: 'The ID card was not accepted' },
  attemptsLeft: { zh: '剩余 {n} 次机会', en: '{n} attempt(s) left' },
  cameraStarting: { zh: '正在打开摄像头…', en: 'Opening the camera…' },
  cameraPick: { zh: '摄像头', en: 'Camera' },
  frameFace: { zh: '请将面部放入框内', en: 'Place your face inside the oval' },
  ready: { zh: '很好，保持不动', en: 'Good, hold still' },
  start: { zh: '开始录制', en: 'Start recording' },
  guidanceLoading: { zh: '正在加载检测模型…', en: 'Loading the face guide…' },
  guidanceOff: {
    zh: '实时提示不可用，请按提示自行对准',
    en: 'Live hints are unavailable; please frame your face yourself',
  },
  silent: { zh: '请注视摄像头，保持不动', en: 'Look at the camera and hold still' },
  blink: { zh: '请眨眨眼', en: 'Blink your eyes' },
  mouth: { zh: '请张张嘴', en: 'Open your mouth' },
  left: { zh: '请向左转头', en: 'Turn your head left' },
  right: { zh: '请向右转头', en: 'Turn your head right' },
  digits: { zh: '请大声朗读以下数字', en: 'Read these digits aloud' },
  getReady: { zh: '准备…', en: 'Get ready…' },
  recording: { zh: '录制中', en: 'Recording' },
  uploading: { zh: '正在上传 {p}%', en: 'Uploading {p}%' },
  reconnecting: { zh: '网络中断，正在重试（第 {n} 次）…', en: 'Connection lost, retrying ({n})…' },
  analysing: { zh: '正在核验，请稍候…', en: 'Checking, please wait…' },
  passTitle: { zh: '认证通过', en: 'Verified' },
  passText: { zh: '正在返回…', en: 'Taking you back…' },
  passDone: { zh: '您可以关闭此页面。', en: 'You can close this page.' },
  failTitle: { zh: '未通过', en: 'Not verified' },
  retry: { zh: '重试', en: 'Try again' },
  back: { zh: '返回', en: 'Return' },
  code: { zh: '错误码', en: 'Code' },
  resultCode: { zh: '结果码', en: 'Result code' },
  similarity: { zh: '相似度', en: 'Similarity' },
  expiredTitle: { zh: '链接已过期', en: 'This link has expired' },
  expiredText: { zh: '请回到原页面重新发起认证。', en: 'Go back to where you started and begin a new verification.' },
  finishedTitle: { zh: '认证已完成', en: 'This verification is finished' },
  finishedText: {
    zh: '此链接已使用过，不能再次认证。',
    en: 'This link has already been used and cannot be used again.',
  },
  unknownTitle: { zh: '链接无效', en: 'Invalid link' },
  unknownText: {
    zh: '找不到此次认证，请检查链接是否完整。',
    en: 'This verification could not be found. Check that the link is complete.',
  },
  deniedTitle: { zh: '没有摄像头权限', en: 'Camera access was denied' },
  deniedText: {
    zh: '请在浏览器的网站设置中允许使用摄像头{mic}，然后刷新页面。',
    en: "Allow this site to use the camera{mic} in your browser's site settings, then reload the page.",
  },
  deniedMic: { zh: '和麦克风', en: ' and microphone' },
  noCameraTitle: { zh: '未找到摄像头', en: 'No camera found' },
  noCameraText: {
    zh: '请连接摄像头，或换一台带前置摄像头的手机。',
    en: 'Connect a camera, or use a phone with a front camera.',
  },
  busyTitle: { zh: '摄像头被占用', en: 'The camera is busy' },
  busyText: {
    zh: '请关闭正在使用摄像头的其他应用或标签页，然后重试。',
    en: 'Close other apps or tabs that use the camera, then try again.',
  },
  unsupportedTitle: { zh: '此浏览器无法录制视频', en: 'This browser cannot record video' },
  unsupportedText: {
    zh: '请使用最新版 Chrome、Safari、Edge 或 Firefox 打开此链接。',
    en: 'Open this link in a recent Chrome, Safari, Edge or Firefox.',
  },
  inAppText: {
    zh: '应用内浏览器不支持摄像头录制。请点击右上角「…」，选择「在浏览器中打开」，或复制链接到系统浏览器。',
    en: 'In-app browsers cannot record from the camera. Tap the “…” menu and choose “Open in browser”, or copy the link into your system browser.',
  },
  insecureText: {
    zh: '摄像头只能在 HTTPS 页面或本机地址上使用。',
    en: 'The camera works only on HTTPS pages or on localhost.',
  },
  copyLink: { zh: '复制链接', en: 'Copy link' },
  copied: { zh: '已复制', en: 'Copied' },
  reload: { zh: '刷新页面', en: 'Reload' },
  recorderError: { zh: '录制失败，请重试。', en: 'Recording failed, please try again.' },
  uploadFailed: { zh: '上传失败，请检查网络后重试。', en: 'The upload failed. Check your connection and try again.' },
  errorTitle: { zh: '出错了', en: 'Something went wrong' },
} satisfies Record<string, Bi>

export type TextKey = keyof typeof T

/**
 * Codes of the screens the browser itself decides (no server verdict exists for them), taken from
 * the ticket flow's front-end codes: 3001 cannot record video, 3004 no camera permission, 3005 no
 * real-time detection support.
 */
export const PAGE_CODES = {
  unsupported: 3005,
  inApp: 3005,
  denied: 3004,
  noCamera: 3001,
  busy: 3001,
  recorder: 3001,
} as const
