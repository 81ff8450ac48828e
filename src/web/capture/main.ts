import { h, initialLang, pick, saveLang, type Bi, type Bi0, type Lang } from '../shared/i18n.js'
import { PAGE_CODES, T, type TextKey } from './texts.js'
import type { Guide, GuideState, Thresholds } from './guidance.js'

/**
 * The capture page: consent → camera → challenge → record → upload → verdict → redirect. It talks
 * only to shiren's capture API with the token of the link; everything it shows in codes comes from
 * the server's catalog for the verification's family.
 */

type Verdict = { reason: string; code: number; billable?: boolean; message: Bi; remedy: Bi0 | null }
type Challenge =
  | { mode: 'action'; actions: Array<'blink' | 'mouth' | 'left' | 'right'> }
  | { mode: 'silent' }
  | { mode: 'digital'; digits: string }
  | { mode: 'light'; nonce: string; count: number; baselineMs: number; revealed: number; expiresAt: string | null }
interface Session {
  family: 'h5' | 'sdk'
  state: string
  liveness: 'action' | 'silent' | 'digital' | 'light' | null
  /** the ID-card step of the rule: which sides it needs, which were accepted, which comes next */
  idcard: { step: 'front' | 'both'; needed: Side[]; done: Side[]; next: Side | null } | null
  challenge: Challenge | null
  /** light rules: the operator's rule names a mode for a person who declines the flashes */
  lightFallback?: boolean
  attemptsUsed: number
  attemptsLeft: number
  expiresAt: string
  analysing: boolean
  lastAttempt: Verdict | null
  result: Verdict | null
  redirect: string | null
}
type Side = 'front' | 'back'
interface CardAnswer {
  side: Side
  accepted: boolean
  verdict: Verdict
  shown: { name: string | null; idNumber: string | null; validTo: string | null }
  session: Session
}
interface PageInfo {
  family: 'h5' | 'sdk'
  known: boolean
  codes: Record<string, Verdict>
  retentionDays: number
  thresholds: Thresholds
}
interface ApiError {
  error: Verdict & { detail?: string }
}

const token = new URLSearchParams(location.search).get('token') ?? ''
const root = document.getElementById('app')!
const langBtn = document.getElementById('lang') as HTMLButtonElement
let lang: Lang = initialLang()
let rerender: () => void = () => {}

function t(key: TextKey, vars: Record<string, string | number> = {}): string {
  let s = T[key][lang]
  for (const [k, v] of Object.entries(vars)) s = s.replace(`{${k}}`, String(v))
  return s
}

function applyLang() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en'
  document.title = `${t('title')} · shiren`
  langBtn.textContent = lang === 'zh' ? 'English' : '中文'
  langBtn.setAttribute('aria-label', lang === 'zh' ? 'Switch to English' : '切换到中文')
}
langBtn.addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh'
  saveLang(lang)
  applyLang()
  rerender()
})
applyLang()

/** Replace the screen; `render` runs again when the language changes. */
function show(name: string, render: () => Node[]) {
  rerender = () => {
    root.replaceChildren(...render())
    root.dataset.screen = name
  }
  rerender()
}

// ---------- API ----------

async function api<R>(method: 'GET' | 'POST', path: string): Promise<{ status: number; body: R | ApiError }> {
  const res = await fetch(`${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`, {
    method,
    cache: 'no-store',
    credentials: 'same-origin',
  })
  const body = (await res.json().catch(() => ({
    error: {
      reason: 'SYSTEM_ERROR',
      code: -1,
      message: { zh: '服务器返回异常', en: 'unexpected server answer' },
      remedy: null,
    },
  }))) as R | ApiError
  return { status: res.status, body }
}
const isError = (b: unknown): b is ApiError => typeof b === 'object' && b !== null && 'error' in b

let info: PageInfo | null = null
let session: Session | null = null

// ---------- screens ----------

function codeLine(label: TextKey, code: number | string) {
  return h('p', { class: 'code' }, `${t(label)} ${code}`)
}

function messageScreen(
  name: string,
  opts: {
    icon: 'ok' | 'warn' | 'err' | 'info'
    title: string | (() => string)
    text?: () => string
    code?: number | string
    extra?: () => Array<Node | null>
    /** shown under the code line */
    afterCode?: () => Array<Node | null>
    actions?: () => Node[]
  },
) {
  show(name, () => [
    h(
      'section',
      { class: `card msg ${opts.icon}` },
      h('div', { class: `icon ${opts.icon}`, 'aria-hidden': 'true' }),
      h('h1', {}, typeof opts.title === 'string' ? opts.title : opts.title()),
      opts.text ? h('p', { class: 'lead' }, opts.text()) : null,
      ...(opts.extra?.() ?? []),
      opts.code !== undefined ? codeLine('code', opts.code) : null,
      ...(opts.afterCode?.() ?? []),
      h('div', { class: 'actions' }, ...(opts.actions?.() ?? [])),
    ),
  ])
}

function verdictScreen(name: string, v: Verdict, opts: { title: () => string; actions?: () => Node[] }) {
  messageScreen(name, {
    icon: 'err',
    title: opts.title,
    code: v.code,
    extra: () => [h('p', { class: 'lead' }, pick(v.message, lang))],
    // what to do goes right under the code it explains (src/codes/remedies.ts, in the page's language)
    afterCode: () => [
      v.remedy && pick(v.remedy, lang) ? h('p', { class: 'remedy', id: 'remedy' }, pick(v.remedy, lang)) : null,
    ],
    ...(opts.actions && { actions: opts.actions }),
  })
}

function button(label: () => string, onClick: () => void, kind = 'primary', id?: string) {
  const b = h('button', { class: `btn ${kind}`, type: 'button', ...(id && { id }) }, label())
  b.addEventListener('click', onClick)
  return b
}

function goTo(url: string) {
  location.assign(url)
}

/** A link that is finished or expired shows its code instead of the camera. */
function finishedOnArrival(s: Session) {
  const r = s.result!
  const back = () =>
    s.redirect
      ? [
          button(
            () => t('back'),
            () => goTo(s.redirect!),
            'secondary',
            'back',
          ),
        ]
      : []
  if (r.reason === 'TOKEN_EXPIRED') {
    messageScreen('expired', {
      icon: 'warn',
      title: () => t('expiredTitle'),
      text: () => pick(r.message, lang) || t('expiredText'),
      code: r.code,
      extra: () => [h('p', { class: 'remedy' }, t('expiredText'))],
      actions: back,
    })
    return
  }
  const done = info?.codes.ALREADY_COMPLETED
  messageScreen('finished', {
    icon: 'info',
    title: () => t('finishedTitle'),
    text: () => (done ? pick(done.message, lang) : t('finishedText')),
    ...(done && { code: done.code }),
    extra: () => [h('p', { class: 'remedy' }, t('finishedText')), codeLine('resultCode', r.code)],
    actions: back,
  })
}

function consentScreen() {
  const s = session!
  const audio = s.liveness === 'digital'
  show('consent', () => [
    h(
      'section',
      { class: 'card consent' },
      h('h1', {}, t('consentTitle')),
      h(
        'ul',
        { class: 'points' },
        h('li', { class: 'p-cam' }, t('consentWhat')),
        audio ? h('li', { class: 'p-mic' }, t('consentAudio')) : null,
        h('li', { class: 'p-lock' }, t('consentWho', { days: info?.retentionDays ?? 3 })),
        h('li', { class: 'p-light' }, t('consentTips')),
        s.liveness === 'light' ? h('li', { class: 'p-flash warn', id: 'flash-warning' }, t('consentFlash')) : null,
      ),
      h('p', { class: 'muted' }, t('attemptsLeft', { n: s.attemptsLeft })),
      h(
        'div',
        { class: 'actions' },
        button(
          () => t('agree'),
          () => afterConsent(),
          'primary',
          'agree',
        ),
        s.liveness === 'light' && s.lightFallback
          ? button(
              () => t('declineFlash'),
              () => void declineFlashes(),
              'secondary',
              'decline-flash',
            )
          : null,
      ),
    ),
  ])
}

/** The person declines the flashes: the server switches this verification to the rule's fallback mode. */
async function declineFlashes() {
  const r = await api<{ session: Session }>('POST', '/capture/api/light/decline')
  if (isError(r.body)) return serverError(r.body)
  session = r.body.session
  consentScreen()
}

// ---------- ID card ----------

/** The card comes before the face: the server refuses the face upload until the sides are accepted. */
function afterConsent() {
  const next = session?.idcard?.next
  if (next) cardScreen(next)
  else void startCamera()
}

/**
 * One side of the card, photographed with the phone's rear camera (or chosen from a file on a PC):
 * a still photo reads far better than a frame of the face video.
 */
function cardScreen(side: Side, note: string | null = null) {
  const s = session!
  show(`idcard-${side}`, () => {
    const input = h('input', {
      type: 'file',
      accept: 'image/jpeg,image/png,image/webp',
      capture: 'environment',
      id: `card-${side}`,
      class: 'file',
    }) as HTMLInputElement
    input.addEventListener('change', () => {
      const file = input.files?.[0]
      if (file) void sendCard(side, file)
    })
    return [
      h(
        'section',
        { class: 'card idcard' },
        h('h1', {}, t(side === 'front' ? 'cardFrontTitle' : 'cardBackTitle')),
        h('p', { class: 'lead' }, t('cardHow')),
        note ? h('p', { class: 'remedy', id: 'card-note' }, note) : null,
        h('p', { class: 'muted' }, t('attemptsLeft', { n: s.attemptsLeft })),
        h('div', { class: 'actions' }, h('label', { class: 'btn primary', for: `card-${side}` }, t('cardTake')), input),
      ),
    ]
  })
}

async function sendCard(side: Side, file: File) {
  messageScreen('idcard-reading', { icon: 'info', title: () => t('cardReading') })
  const res = await fetch(`/capture/api/idcard?side=${side}&token=${encodeURIComponent(token)}`, {
    method: 'POST',
    body: file,
    headers: { 'content-type': file.type || 'application/octet-stream' },
    credentials: 'same-origin',
  }).catch(() => null)
  const body = (await res?.json().catch(() => null)) as CardAnswer | ApiError | null
  if (!res || !body) return cardScreen(side, t('cardRetry'))
  if (isError(body)) {
    // a refused upload (wrong format, too large, busy) uses no attempt: the person tries again
    return cardScreen(side, `${pick(body.error.message, lang)} (${t('code')} ${body.error.code})`)
  }
  session = body.session
  if (session.result) {
    const done = session
    return verdictScreen('idcard-failed', session.result, {
      title: () => t('cardFailedTitle'),
      actions: () =>
        done.redirect
          ? [
              button(
                () => t('back'),
                () => goTo(done.redirect!),
                'secondary',
                'back',
              ),
            ]
          : [],
    })
  }
  if (!body.accepted) return cardScreen(side, `${pick(body.verdict.message, lang)} (${t('code')} ${body.verdict.code})`)
  const next = session.idcard?.next
  if (next) return cardScreen(next, t('cardAccepted', { name: body.shown.name ?? '', id: body.shown.idNumber ?? '' }))
  void startCamera()
}

// ---------- camera ----------

const IN_APP =
  /MicroMessenger|WeChat|QQ\/|MQQBrowser.*QQ|Weibo|AlipayClient|DingTalk|baiduboxapp|FBAN|FBAV|Instagram|Line\/|ByteLocale|aweme|Toutiao/i
const MOBILE = /Android|iPhone|iPad|iPod|Mobile/i.test(navigator.userAgent)

let stream: MediaStream | null = null
let deviceId: string | null = null
let guide: Guide | null = null
let guideState: GuideState | null = null
let guideLoad: Promise<Guide | null> | null = null

function unsupported(): 'inApp' | 'insecure' | 'unsupported' | null {
  if (!window.isSecureContext) return 'insecure'
  const hasMedia = !!navigator.mediaDevices?.getUserMedia && typeof window.MediaRecorder === 'function'
  if (hasMedia) return null
  return IN_APP.test(navigator.userAgent) ? 'inApp' : 'unsupported'
}

function unsupportedScreen(kind: 'inApp' | 'insecure' | 'unsupported') {
  messageScreen(`unsupported-${kind}`, {
    icon: 'warn',
    title: () => t('unsupportedTitle'),
    code: kind === 'inApp' ? PAGE_CODES.inApp : PAGE_CODES.unsupported,
    text: () => (kind === 'inApp' ? t('inAppText') : kind === 'insecure' ? t('insecureText') : t('unsupportedText')),
    actions: () => {
      const b = button(
        () => t('copyLink'),
        () => {
          void navigator.clipboard
            ?.writeText(location.href)
            .then(() => {
              b.textContent = t('copied')
            })
            .catch(() => {})
        },
        'secondary',
        'copy',
      )
      return [b]
    },
  })
}

function cameraErrorScreen(err: unknown) {
  const name = (err as { name?: string })?.name ?? ''
  const audio = session?.liveness === 'digital'
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
    messageScreen('camera-denied', {
      icon: 'err',
      title: () => t('deniedTitle'),
      text: () => t('deniedText', { mic: audio ? t('deniedMic') : '' }),
      code: PAGE_CODES.denied,
      actions: () => [
        button(
          () => t('reload'),
          () => location.reload(),
          'primary',
          'reload',
        ),
      ],
    })
  } else if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') {
    messageScreen('camera-missing', {
      icon: 'err',
      title: () => t('noCameraTitle'),
      text: () => t('noCameraText'),
      code: PAGE_CODES.noCamera,
      actions: () => [
        button(
          () => t('retry'),
          () => void startCamera(),
          'primary',
          'retry',
        ),
      ],
    })
  } else {
    messageScreen('camera-busy', {
      icon: 'err',
      title: () => t('busyTitle'),
      text: () => t('busyText'),
      code: PAGE_CODES.busy,
      actions: () => [
        button(
          () => t('retry'),
          () => void startCamera(),
          'primary',
          'retry',
        ),
      ],
    })
  }
}

async function openStream(): Promise<MediaStream> {
  const audio = session?.liveness === 'digital'
  const video: MediaTrackConstraints = {
    width: { ideal: 640 },
    height: { ideal: 480 },
    frameRate: { ideal: 30, max: 30 },
  }
  if (deviceId) video.deviceId = { exact: deviceId }
  else video.facingMode = 'user'
  return navigator.mediaDevices.getUserMedia({
    video,
    audio: audio ? { echoCancellation: true, noiseSuppression: false } : false,
  })
}

function stopStream() {
  stream?.getTracks().forEach((tr) => tr.stop())
  stream = null
}

async function startCamera() {
  const u = unsupported()
  if (u) return unsupportedScreen(u)
  messageScreen('camera-starting', { icon: 'info', title: () => t('cameraStarting') })
  try {
    stopStream()
    stream = await openStream()
  } catch (err) {
    return cameraErrorScreen(err)
  }
  deviceId = stream.getVideoTracks()[0]?.getSettings().deviceId ?? deviceId
  // the guidance model loads while the person frames their face; the page works without it
  guideLoad ??= import('./guidance.js')
    .then((m) => m.createGuide(info!.thresholds))
    .catch((e: unknown) => {
      console.warn('face guide unavailable', e)
      return null
    })
  cameraScreen()
}

const video = h('video', { playsinline: true, muted: true, autoplay: true, class: 'preview' }) as HTMLVideoElement
video.muted = true

async function cameraList(): Promise<MediaDeviceInfo[]> {
  try {
    return (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput')
  } catch {
    return []
  }
}

let startBtn: HTMLButtonElement | null = null
let cameraShownAt = 0
/** how long a face the guide does not accept keeps the start button disabled; the server has the last word */
const GUIDE_GATE_MS = 8000

/**
 * Recording starts only on a framing the guide accepts, so that a bad attempt is not spent; without a
 * guide, or after a few seconds of trying, the person may record anyway.
 */
function gateStart() {
  if (!startBtn) return
  const waiting = guideLoad !== null && guide === null && !guideFailed
  const bad = guide !== null && guideState !== null && guideState.reason !== null
  startBtn.disabled = (waiting || bad) && performance.now() - cameraShownAt < GUIDE_GATE_MS
}
let guideFailed = false
setInterval(gateStart, 500)

function cameraScreen() {
  const s = session!
  cameraShownAt = performance.now()
  guideState = null
  let picker: HTMLSelectElement | null = null
  show('camera', () => {
    const hint = h('p', { class: 'hint', id: 'hint' }, guide ? t('frameFace') : t('guidanceLoading'))
    const start = button(
      () => t('start'),
      () => void runAttempt(),
      'primary',
      'start',
    )
    startBtn = start
    gateStart()
    const stage = h('div', { class: 'stage' }, video, h('div', { class: 'oval', id: 'oval' }))
    const pick = h('div', { class: 'picker', id: 'picker-wrap' })
    void cameraList().then((cams) => {
      // phones use the front camera; a PC with several cameras gets a choice
      if (cams.length < 2 || MOBILE) return
      picker = h('select', { id: 'camera-picker', 'aria-label': t('cameraPick') })
      for (const c of cams) {
        const o = h('option', { value: c.deviceId }, c.label || `${t('cameraPick')} ${picker.options.length + 1}`)
        if (c.deviceId === deviceId) o.selected = true
        picker.append(o)
      }
      picker.addEventListener('change', () => {
        deviceId = picker!.value
        void startCamera()
      })
      pick.replaceChildren(h('label', {}, t('cameraPick'), ' '), picker)
    })
    return [
      h(
        'section',
        { class: 'card camera' },
        stage,
        hint,
        pick,
        h('p', { class: 'muted' }, t('attemptsLeft', { n: s.attemptsLeft })),
        h('div', { class: 'actions' }, start),
      ),
    ]
  })
  video.srcObject = stream
  void video.play().catch(() => {})
  void guideLoad!.then((g) => {
    guide = g
    guideFailed = !g
    gateStart()
    if (!g) setHint(t('guidanceOff'), 'warn')
    runGuideLoop()
  })
}

function setHint(text: string, kind: 'ok' | 'warn' | '' = '') {
  const el = document.getElementById('hint')
  if (!el) return
  el.textContent = text
  el.className = `hint ${kind}`
  document.getElementById('oval')?.classList.toggle('good', kind === 'ok')
}

let loopOn = false
/** Live framing hints from the in-page face model; no frame leaves the page for this. */
function runGuideLoop() {
  if (!guide || loopOn) return
  loopOn = true
  const tick = async () => {
    if (!guide || !stream || (!document.getElementById('hint') && root.dataset.screen !== 'recording')) {
      loopOn = false
      return
    }
    if (video.readyState >= 2) {
      try {
        guideState = await guide.check(video)
        gateStart()
        if (root.dataset.screen === 'camera') {
          const c = guideState.reason ? info?.codes[guideState.reason] : null
          if (!guideState.reason) setHint(t('ready'), 'ok')
          else setHint(c ? `${pick(c.remedy ?? c.message, lang) || pick(c.message, lang)}` : t('frameFace'), 'warn')
          const hint = document.getElementById('hint')
          // read by the browser tests and the benchmark: what the guide decided and how fast it runs
          if (hint) {
            hint.dataset.reason = guideState.reason ?? 'OK'
            hint.dataset.fps = String(guide.fps())
            hint.dataset.ms = guideState.ms.toFixed(1)
            hint.dataset.backend = guide.backend
          }
        }
      } catch (e) {
        console.warn('guide failed', e)
      }
    }
    requestAnimationFrame(() => void tick())
  }
  void tick()
}

// ---------- attempt ----------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function recorderType(): string {
  const audio = session?.liveness === 'digital'
  const prefs = audio
    ? [
        'video/webm;codecs=vp8,opus',
        'video/webm;codecs=vp9,opus',
        'video/webm',
        'video/mp4;codecs=avc1,mp4a',
        'video/mp4',
      ]
    : ['video/webm;codecs=vp8', 'video/webm;codecs=vp9', 'video/webm', 'video/mp4;codecs=avc1', 'video/mp4']
  return prefs.find((p) => MediaRecorder.isTypeSupported(p)) ?? ''
}

/** Seconds per step; the whole recording stays well under the server's length limit. */
function plan(ch: Challenge): Array<{ key: TextKey | 'digits'; ms: number }> {
  if (ch.mode === 'silent') return [{ key: 'silent', ms: 3000 }]
  if (ch.mode === 'digital') return [{ key: 'digits', ms: 1000 + ch.digits.length * 900 + 800 }]
  if (ch.mode === 'light') return [{ key: 'light', ms: ch.baselineMs + ch.count * 700 + 600 }]
  return [{ key: 'silent', ms: 800 }, ...ch.actions.map((a) => ({ key: a as TextKey, ms: 2200 }))]
}

async function runAttempt() {
  const before = session!.attemptsUsed
  const ch = await api<{ challenge: Challenge }>('POST', '/capture/api/challenge')
  if (isError(ch.body)) return serverError(ch.body)
  const challenge = ch.body.challenge
  let blob: Blob
  try {
    blob = await record(challenge)
  } catch (e) {
    console.warn('recording failed', e)
    return messageScreen('recorder-error', {
      icon: 'err',
      title: () => t('errorTitle'),
      text: () => t('recorderError'),
      code: PAGE_CODES.recorder,
      actions: () => [
        button(
          () => t('retry'),
          () => cameraScreen(),
          'primary',
          'retry',
        ),
      ],
    })
  }
  const up = await upload(blob)
  if (up === 'failed')
    return messageScreen('upload-failed', {
      icon: 'err',
      title: () => t('errorTitle'),
      text: () => t('uploadFailed'),
      code: info?.codes.VIDEO_FETCH_FAILED?.code ?? '',
      actions: () => [
        button(
          () => t('retry'),
          () => cameraScreen(),
          'primary',
          'retry',
        ),
      ],
    })
  if (up !== 'accepted') return serverError(up)
  await waitForVerdict(before)
}

/** how long the recorder ran, sent with the upload: the server checks the file against it (VIDEO_TAMPERED) */
let recordedMs = 0
/** light mode: the challenge's nonce and when each colour appeared on screen (ms since the recorder started) */
let lightReport: {
  nonce: string
  shown: { steps: Array<{ seq: number; colour: string; startMs: number }>; endMs: number }
} | null = null

/** The palette's colours as the screen shows them (the server names them; no saturated red among them). */
const LIGHT_RGB: Record<string, string> = {
  white: 'rgb(255,255,255)',
  black: 'rgb(0,0,0)',
  blue: 'rgb(0,0,255)',
  green: 'rgb(0,255,0)',
  yellow: 'rgb(255,255,0)',
  cyan: 'rgb(0,255,255)',
  magenta: 'rgb(255,0,255)',
}
const LIGHT_NEUTRAL = 'rgb(128,128,128)'
/** ask for the next colour this long before the current one has had its time (the server allows 250 ms) */
const LIGHT_LEAD_MS = 200

/** The next painted frame's time (performance.now() scale): when a colour set now reaches the screen. */
const nextPaint = () => new Promise<number>((r) => requestAnimationFrame(() => requestAnimationFrame((ts) => r(ts))))

/**
 * The light sequence, recorder running: the whole screen turns neutral grey for the baseline, then each
 * colour the server reveals (one at a time, as it is shown) at full brightness, then grey again. The
 * face stays visible in an oval in the middle. Returns what was shown and when, in recorder time.
 */
async function flashSequence(ch: Extract<Challenge, { mode: 'light' }>, t0: number): Promise<void> {
  const flash = h('div', { class: 'flash', id: 'flash' })
  flash.style.cssText =
    'position:fixed;inset:0;z-index:1000;display:flex;align-items:center;justify-content:center;transition:none'
  flash.style.background = LIGHT_NEUTRAL
  flash.dataset.colour = 'neutral'
  flash.dataset.seq = '-1'
  const hole = h('div', { class: 'flash-oval' })
  hole.style.cssText = 'width:min(46vw,46vh);height:min(60vw,60vh);border-radius:50%;overflow:hidden;background:#000'
  const v = video
  v.style.width = '100%'
  v.style.height = '100%'
  v.style.objectFit = 'cover'
  hole.append(v)
  flash.append(hole)
  document.body.append(flash)
  void v.play().catch(() => {})
  const report: NonNullable<typeof lightReport>['shown'] = { steps: [], endMs: 0 }
  try {
    await sleep(ch.baselineMs)
    let shownAt = 0
    let prevMs = 0
    for (let seq = 0; seq < ch.count; seq++) {
      // ask a little before the previous colour has had its time; show it when that time is up
      if (seq > 0) await sleep(Math.max(0, shownAt + prevMs - LIGHT_LEAD_MS - performance.now()))
      const r = await api<{ seq: number; colour: string; ms: number }>(
        'POST',
        `/capture/api/light/next?nonce=${ch.nonce}&seq=${seq}`,
      )
      if (isError(r.body)) throw new Error(`light: ${r.body.error.reason}`)
      if (seq > 0) await sleep(Math.max(0, shownAt + prevMs - performance.now()))
      flash.style.background = LIGHT_RGB[r.body.colour] ?? LIGHT_NEUTRAL
      flash.dataset.colour = r.body.colour
      flash.dataset.seq = String(seq)
      shownAt = await nextPaint()
      report.steps.push({ seq, colour: r.body.colour, startMs: Math.round(shownAt - t0) })
      prevMs = r.body.ms
    }
    await sleep(Math.max(0, shownAt + prevMs - performance.now()))
    flash.style.background = LIGHT_NEUTRAL
    flash.dataset.colour = 'neutral'
    flash.dataset.seq = String(ch.count)
    report.endMs = Math.round((await nextPaint()) - t0)
    await sleep(600)
    lightReport = { nonce: ch.nonce, shown: report }
  } finally {
    flash.remove()
    v.style.cssText = ''
  }
}

async function record(ch: Challenge): Promise<Blob> {
  const type = recorderType()
  const rec = new MediaRecorder(stream!, { ...(type && { mimeType: type }), videoBitsPerSecond: 1_200_000 })
  const chunks: Blob[] = []
  rec.ondataavailable = (e) => {
    if (e.data.size) chunks.push(e.data)
  }
  const stopped = new Promise<void>((resolve, reject) => {
    rec.onstop = () => resolve()
    rec.onerror = (e) => reject((e as unknown as { error?: Error }).error ?? new Error('recorder error'))
  })
  const steps = plan(ch)
  const total = steps.reduce((a, s) => a + s.ms, 0)
  const prompt = h('p', { class: 'prompt', id: 'prompt' })
  const bar = h('div', { class: 'bar-fill' })
  const stepsEl =
    ch.mode === 'action'
      ? h('ol', { class: 'steps' }, ...ch.actions.map((a, i) => h('li', { id: `step-${i}` }, t(a))))
      : null
  show('recording', () => [
    h(
      'section',
      { class: 'card camera recording' },
      h(
        'div',
        { class: 'stage' },
        video,
        h('div', { class: 'oval rec' }),
        h('span', { class: 'rec-dot' }, t('recording')),
      ),
      prompt,
      ch.mode === 'digital' ? h('p', { class: 'digits', id: 'digits' }, ch.digits.split('').join(' ')) : null,
      stepsEl,
      h('div', { class: 'progress' }, bar),
    ),
  ])
  void video.play().catch(() => {})
  rec.start(500)
  const t0 = performance.now()
  lightReport = null
  if (ch.mode === 'light') {
    try {
      await flashSequence(ch, t0)
    } finally {
      rec.stop()
      await stopped
    }
    recordedMs = Math.round(performance.now() - t0)
    return new Blob(chunks, { type: (rec.mimeType || type || 'video/webm').split(';')[0] })
  }
  const anim = () => {
    const p = Math.min(1, (performance.now() - t0) / total)
    bar.style.width = `${(p * 100).toFixed(1)}%`
    if (p < 1 && rec.state === 'recording') requestAnimationFrame(anim)
  }
  anim()
  for (const [i, st] of steps.entries()) {
    prompt.textContent = st.key === 'digits' ? t('digits') : t(st.key)
    prompt.dataset.step = st.key
    if (ch.mode === 'action' && i > 0) {
      document.querySelectorAll('.steps li').forEach((li, j) => li.classList.toggle('now', j === i - 1))
      document.getElementById(`step-${i - 2}`)?.classList.add('done')
    }
    await sleep(st.ms)
  }
  rec.stop()
  await stopped
  recordedMs = Math.round(performance.now() - t0)
  return new Blob(chunks, { type: (rec.mimeType || type || 'video/webm').split(';')[0] })
}

/** XHR for upload progress; a dropped connection is retried with the same recording. */
async function upload(blob: Blob): Promise<'accepted' | 'failed' | ApiError> {
  const label = h('p', { class: 'lead', id: 'upload-label' }, t('uploading', { p: 0 }))
  const bar = h('div', { class: 'bar-fill' })
  show('uploading', () => [
    h(
      'section',
      { class: 'card msg info' },
      h('div', { class: 'icon up', 'aria-hidden': 'true' }),
      label,
      h('div', { class: 'progress' }, bar),
    ),
  ])
  const type = blob.type.startsWith('video/mp4') ? 'video/mp4' : 'video/webm'
  for (let attempt = 0; attempt < 5; attempt++) {
    if (attempt > 0) {
      label.textContent = t('reconnecting', { n: attempt })
      await sleep(1000 * 2 ** (attempt - 1))
    }
    const r = await new Promise<{ status: number; text: string } | null>((resolve) => {
      const xhr = new XMLHttpRequest()
      xhr.open(
        'POST',
        `/capture/api/upload?token=${encodeURIComponent(token)}${recordedMs ? `&recMs=${recordedMs}` : ''}` +
          (lightReport
            ? `&nonce=${lightReport.nonce}&shown=${encodeURIComponent(JSON.stringify(lightReport.shown))}`
            : ''),
      )
      xhr.setRequestHeader('content-type', type)
      xhr.timeout = 120_000
      xhr.upload.onprogress = (e) => {
        if (!e.lengthComputable) return
        const p = Math.round((e.loaded / e.total) * 100)
        label.textContent = t('uploading', { p })
        bar.style.width = `${p}%`
      }
      xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText })
      xhr.onerror = () => resolve(null)
      xhr.ontimeout = () => resolve(null)
      xhr.send(blob)
    })
    if (!r || r.status >= 502) continue
    if (r.status === 202) return 'accepted'
    let body: ApiError | null = null
    try {
      body = JSON.parse(r.text) as ApiError
    } catch {
      /* not JSON: a proxy page */
    }
    // after a drop the first upload may have arrived: the server answers the same recording with its
    // first attempt (202); another upload in progress, or a verification the first one finished, is
    // read from the session next
    if (
      attempt > 0 &&
      r.status === 409 &&
      (body?.error.reason === 'BUSINESS_REQUEST_INVALID' || body?.error.reason === 'ALREADY_COMPLETED')
    )
      return 'accepted'
    if (body && isError(body)) return body
    continue
  }
  return 'failed'
}

async function waitForVerdict(attemptsBefore: number) {
  messageScreen('analysing', {
    icon: 'info',
    title: () => t('analysing'),
    extra: () => [h('div', { class: 'spinner', 'aria-hidden': 'true' })],
  })
  const deadline = Date.now() + 5 * 60_000
  for (;;) {
    const r = await api<Session>('GET', '/capture/api/session').catch(() => null)
    if (r && !isError(r.body)) {
      session = r.body
      if (!session.analysing && (session.result || session.attemptsUsed > attemptsBefore)) break
    } else if (r && isError(r.body)) {
      return serverError(r.body)
    }
    if (Date.now() > deadline)
      return messageScreen('upload-failed', {
        icon: 'err',
        title: () => t('errorTitle'),
        text: () => t('uploadFailed'),
      })
    await sleep(1000)
  }
  const s = session
  if (s.result) {
    if (s.result.reason === 'PASS') {
      stopStream()
      messageScreen('pass', {
        icon: 'ok',
        title: () => t('passTitle'),
        text: () => (s.redirect ? t('passText') : t('passDone')),
        code: s.result.code,
      })
      if (s.redirect) setTimeout(() => goTo(s.redirect!), 1500)
      return
    }
    stopStream()
    return verdictScreen('fail-final', s.result, {
      title: () => t('failTitle'),
      actions: () =>
        s.redirect
          ? [
              button(
                () => t('back'),
                () => goTo(s.redirect!),
                'primary',
                'back',
              ),
            ]
          : [],
    })
  }
  const v = s.lastAttempt ?? { reason: 'SYSTEM_ERROR', code: -1, message: { zh: '', en: '' }, remedy: null }
  verdictScreen('fail-retry', v, {
    title: () => t('failTitle'),
    actions: () => [
      h('p', { class: 'muted' }, t('attemptsLeft', { n: s.attemptsLeft })),
      button(
        () => t('retry'),
        () => cameraScreen(),
        'primary',
        'retry',
      ),
    ],
  })
}

/** An error answer of the capture API: expired (15), already completed (14) and the like. */
async function serverError(e: ApiError) {
  const r = await api<Session>('GET', '/capture/api/session').catch(() => null)
  if (r && !isError(r.body)) {
    session = r.body
    if (session.result) {
      stopStream()
      return finishedOnArrival(session)
    }
  }
  verdictScreen('error', e.error, {
    title: () => t('errorTitle'),
    actions: () => [
      button(
        () => t('retry'),
        () => cameraScreen(),
        'primary',
        'retry',
      ),
    ],
  })
}

// ---------- start ----------

async function boot() {
  messageScreen('loading', { icon: 'info', title: () => t('loading') })
  const [p, s] = await Promise.all([
    api<PageInfo>('GET', '/capture/api/page'),
    api<Session>('GET', '/capture/api/session'),
  ])
  if (!isError(p.body)) info = p.body
  if (isError(s.body)) {
    if (s.status === 404 || !token)
      return messageScreen('unknown', {
        icon: 'err',
        title: () => t('unknownTitle'),
        text: () => t('unknownText'),
        code: s.body.error.code,
      })
    return verdictScreen('error', s.body.error, { title: () => t('errorTitle') })
  }
  session = s.body
  if (session.result) return finishedOnArrival(session)
  consentScreen()
}

void boot()

export type { GuideState }
