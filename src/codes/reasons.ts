/**
 * Every outcome shiren can reach, as a named reason. A reason is a cause inside shiren;
 * the catalog turns it into the code of the caller's family (h5 or sdk) with its billing flag.
 * The text is the cause, written for the maintainer who has to find where it is raised.
 */
export const REASONS = {
  PASS: 'liveness (and comparison, when the rule has one) passed',

  // request and protocol
  MISSING_PARAMETER: 'a required request field is absent',
  INVALID_PARAMETER: 'a request field has the wrong type, format or range',
  BUSINESS_REQUEST_INVALID:
    'the request is well-formed but not allowed in the verification state or rule (e.g. upload before the challenge)',
  SIGNATURE_INVALID: 'the request signature does not verify against the app secret or ticket',
  LOGIN_EXPIRED: 'the access token is unknown or expired',
  TICKET_INVALID: 'the SIGN/NONCE ticket or the token parameters are wrong',
  VERSION_INVALID: 'the version parameter is not 1.0.0',
  NONCE_TICKET_TOO_FREQUENT: 'a NONCE ticket was already issued to this AppID + user id in the last 2 s',
  CONCURRENCY_LIMIT: 'the app has more verifications in flight than its concurrency limit',
  QUEUE_BUSY:
    'admission control: the analysis queue holds SHIREN_QUEUE_MAX_DEPTH jobs or more, so a new upload is refused, to be retried later (nothing is stored)',
  BODY_TOO_LARGE: 'the request body exceeds the size limit',
  APP_NOT_FOUND: 'the AppID does not exist',
  APP_EXPIRED: 'the app is past its validity period',
  SERVICE_NOT_ENABLED: 'the app has not enabled the requested service',
  DAILY_LIMIT_EXCEEDED: 'this person reached the app daily attempt limit',
  SESSION_NOT_FOUND: 'the faceId/h5faceId of the capture session does not exist or timed out',
  RESULT_NOT_FOUND: 'no finished attempt exists for the order yet',
  NOT_FOUND: 'the referenced record does not exist',
  ALREADY_COMPLETED: 'the verification already finished and cannot be used again',
  TOKEN_EXPIRED: 'the verification token (BizToken / faceId) has passed its lifetime',
  ATTEMPTS_EXHAUSTED: 'the verification used all attempts its rule allows',
  LIVE_CODE_EXPIRED: 'the digits issued for read-aloud liveness expired before the upload',
  RISK_CONTROL: 'too many failed liveness attempts for this person in a short window',
  DUPLICATE_IDENTITY: 'the face is enrolled in the registry under another ID number and the rule fails such attempts',

  // infrastructure
  SYSTEM_ERROR: 'an unexpected internal error',
  DB_INSERT_FAILED: 'the database refused an insert',
  DB_UPDATE_FAILED: 'the database refused an update',
  BLOB_WRITE_FAILED: 'the media store could not write a file',
  BLOB_READ_FAILED: 'the media store could not read a file',
  BLOB_TIMEOUT: 'the media store did not answer in time',
  CACHE_DATA_INVALID: 'a ticket or token record in the cache is corrupt',
  CACHE_UNAVAILABLE: 'the cache (Redis) is unreachable',
  ANALYSIS_TIMEOUT: 'the analysis job did not finish in time',
  VISION_ENGINE_UNAVAILABLE: 'the vision engine (models or workers) is not available',
  LIVENESS_ENGINE_ERROR: 'the liveness judge failed while running',
  COMPARE_ENGINE_ERROR: 'the comparison engine failed while running (e.g. embedding distance could not be computed)',

  // identity inputs and registry
  NAME_INVALID: 'the name is not a valid person name',
  ID_NUMBER_INVALID: 'the ID number fails GB 11643 (length, region, birth date or check digit)',
  REGISTRY_ID_NOT_FOUND: 'the registry has no person with this ID number',
  NAME_ID_MISMATCH: 'the registry holds this ID number under another name',
  REGISTRY_NO_PHOTO: 'the registry person has no photo to compare with',
  REGISTRY_ERROR: 'the registry lookup failed',
  REGISTRY_PHOTO_READ_FAILED: 'the registry photo could not be read from the media store',

  // ID-card OCR
  IDCARD_NUMBER_MISMATCH: 'the ID number read from the card differs from the declared one',
  IDCARD_EXPIRED: 'the card validity period has ended',
  OCR_FAILED: 'no ID card found or the card could not be read',

  // media intake
  IMAGE_FETCH_FAILED: 'an image the request refers to could not be fetched',
  VIDEO_FETCH_FAILED: 'the capture upload never arrived or is incomplete',
  FILE_FORMAT_INVALID: 'an uploaded file is not of an accepted type',
  VIDEO_FORMAT_INVALID: 'the video container or codec is not accepted or the file is corrupt',
  VIDEO_DECODE_FAILED: 'the video could not be decoded into frames',
  VIDEO_SIZE_INVALID: 'the video file is empty or larger than allowed',
  VIDEO_TOO_SHORT: 'the video is shorter than 2 s',
  VIDEO_TOO_LONG: 'the video is longer than allowed',
  VIDEO_RESOLUTION_TOO_LOW: 'the video frames are below the minimum resolution',
  VIDEO_REPLAYED: 'the same video bytes were uploaded before (not recorded live for this attempt)',
  VIDEO_TAMPERED:
    'a capture-page upload that the page did not record: its container or length does not fit the recording the page made (another file uploaded in its place)',
  IMAGE_DECODE_FAILED: 'the selfie / live image could not be decoded',
  IMAGE_SIZE_INVALID: 'an image is larger or smaller (in bytes or pixels) than allowed',
  REFERENCE_DECODE_FAILED: 'the reference photo (caller-sent or registry) could not be decoded',
  REFERENCE_RESOLUTION_TOO_LOW: 'the reference photo is below the minimum resolution',
  REFERENCE_SIZE_INVALID: 'the reference photo has the wrong size or format for its declared type',
  REFERENCE_NO_FACE: 'no face found in the reference photo',
  REFERENCE_MULTIPLE_FACES: 'more than one face in the reference photo',

  // face quality (per image or frame)
  NO_FACE: 'no face found in the live media',
  NO_FACE_IN_VIDEO: 'no frame of the video contains a face',
  MULTIPLE_FACES: 'more than one face in the live media',
  TOO_MANY_FACES: 'more faces than the image limit allows (over two)',
  FACE_TOO_CLOSE: 'the face fills too much of the frame',
  FACE_TOO_FAR: 'the face is too small in the frame',
  FACE_TOO_LEFT: 'the face centre is too far left',
  FACE_TOO_RIGHT: 'the face centre is too far right',
  TOO_DARK: 'the face region is too dark',
  TOO_BRIGHT: 'the face region is over-exposed',
  FACE_BLURRED: 'the face region is not sharp',
  FACE_OCCLUDED: 'part of the face (mouth, nose, eyes) is covered',
  FACE_OCCLUDED_IN_VIDEO:
    'the face is covered (mask, hand, object over mouth, nose or eyes) in too many frames of the video',
  FACE_NOT_FRONTAL:
    'a face is found but never turned to the camera: yaw or pitch stays beyond the frontal limit in every frame',
  EYES_CLOSED: 'the eyes stay closed during a recording that needs them open',
  FACE_INCOMPLETE: 'the face is cut off by the frame edge',
  FACE_INCOMPLETE_DURING_SPEECH: 'the face is not fully visible while the digits are read',

  // liveness
  NO_BLINK: 'the blink action was asked for and not found',
  NO_MOUTH_OPEN: 'the open-mouth action was asked for and not found',
  NO_HEAD_TURN: 'the head-turn action was asked for and not found',
  FIRST_ACTION_MISSING: 'the first action of the sequence was not found',
  ACTION_ORDER_WRONG: 'the actions happened, but not in the order asked',
  STILL_IMAGE_VIDEO: 'the video was made from one still image (no independent motion)',
  SPOOF_DETECTED: 'the anti-spoof model judged the face a print or screen replay',
  SCREEN_REPLAY_DETECTED:
    'screen artefacts in the frames (moiré, pixel grid, bezel, refresh banding) show the face is being shown on a display, independently of the anti-spoof model',
  SUSPECTED_RECORDING: 'the video looks like a replayed recording rather than a live person',
  VIDEO_LIVENESS_FAILED:
    'the temporal evidence in the video (motion of eyes, mouth, head) is too weak for a live person',
  LIVENESS_FAILED: 'liveness failed for a reason without a more specific code',
  SILENT_LIVENESS_FAILED: 'silent liveness could not be decided (too few usable frames)',
  SILENT_LIVENESS_BELOW_THRESHOLD: 'the silent-liveness score is below the pass threshold',

  // read-the-digits liveness
  NO_AUDIO: 'the video has no audio track or only digital silence',
  AUDIO_TOO_QUIET: 'speech is present but too quiet',
  SPEECH_MISMATCH: 'the speech does not match the digits issued (syllable count or lip-audio agreement)',
  SPEECH_NOT_DETECTED: 'no speech was found in the audio',
  DIGITS_VIDEO_DURATION_INVALID: 'the read-aloud video is empty or its length does not fit the digits (about 6 s)',
  DIGITS_VIDEO_RESOLUTION_TOO_LOW: 'the read-aloud video is below the minimum resolution',
  DIGITS_VIDEO_FORMAT_INVALID: 'the read-aloud video has the wrong format',
  DIGITS_VIDEO_READ_FAILED: 'the read-aloud video could not be read back for analysis',
  LIP_MOVEMENT_TOO_SMALL: 'the lips barely move while the digits are read',

  // comparison
  SIMILARITY_BELOW_THRESHOLD: 'the similarity is below the rule threshold',
  FACE_SWAPPED: 'the face in the video changes identity between frames',
  BEST_FRAME_BLURRED: 'no frame of the video shows the face sharp enough to be taken as the comparison photo',
  BEST_FRAME_OCCLUDED:
    'no frame of the video shows the whole face uncovered, so the comparison photo would have part of the face covered',
  COMPARE_FAILED: 'an embedding could not be computed for one side of the comparison',
} as const

export type Reason = keyof typeof REASONS

export const REASON_NAMES = Object.keys(REASONS) as Reason[]

export function isReason(x: unknown): x is Reason {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(REASONS, x)
}
