/**
 * Intake limits, one table (documented in docs/vision.md). Sizes in bytes, pixels, seconds.
 * Why these numbers: a phone selfie is 1–12 MP and a few MB; an H5 capture is 3–10 s of ≤ 1080p;
 * anything far outside is either a mistake or an attack (decompression bombs), and refusing it early
 * keeps a worker's memory bounded.
 */
export const MEDIA_LIMITS = {
  image: {
    minBytes: 100,
    maxBytes: 15 * 1024 * 1024,
    /** sharp refuses to decode more pixels than this (decompression bombs): 50 MP */
    maxPixels: 50_000_000,
    /** shorter side below this cannot hold a usable face */
    minShortSide: 80,
    /** decoded frames are scaled down to at most this long side before detection (WASM heap never shrinks) */
    analysisMaxSide: 1280,
  },
  video: {
    minBytes: 1024,
    maxBytes: 60 * 1024 * 1024,
    minDurationS: 2,
    maxDurationS: 30,
    /** shorter side of the coded picture */
    minShortSide: 240,
    /** larger coded pictures are refused before decoding (8K) */
    maxPixels: 7680 * 4320,
    /** frames are scaled to at most this long side while decoding */
    analysisMaxSide: 640,
    /**
     * sampling rate of the judges: a blink lasts 100–400 ms, so 8 fps sees it in 1–3 frames (d1.mp4's
     * blink: EAR 0.276 → 0.117 at 8 fps). Each frame costs a mesh pass, so this sets the speed.
     */
    sampleFps: 8,
    /** hard cap on analysed frames: long clips are sampled more sparsely */
    maxFrames: 120,
    /** ffmpeg is killed after this */
    decodeTimeoutMs: 30_000,
  },
} as const

export const ACCEPTED_IMAGE_FORMATS = ['jpeg', 'png', 'webp'] as const
/** container names as ffmpeg prints them (`Input #0, <name>, from`) */
export const ACCEPTED_VIDEO_CONTAINERS = [
  'matroska,webm',
  'mov,mp4,m4a,3gp,3g2,mj2',
  'mpeg',
  'mpegvideo',
  'avi',
] as const
export const ACCEPTED_VIDEO_CODECS = ['h264', 'vp8', 'vp9', 'mpeg1video', 'mpeg2video', 'mpeg4', 'hevc'] as const
