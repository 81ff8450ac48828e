/**
 * ID-card OCR: the public surface of src/ocr.
 *
 *   const reader = await createIdCardReader();        // loads the ONNX models once
 *   const reading = await reader.read(jpegOrPngBytes);
 *   const reason = judgeIdCard(reading, { idNumber: declared }, new Date());
 *
 * A reader holds onnxruntime sessions (1 intra-op thread each by default) and no module
 * state, so create one per worker thread; calls on one reader should not overlap.
 */
export type { IdCardFront, IdCardBack } from './fields.js'
export type { IdCardReading, IdCardReader, IdCardReaderOptions, Rotation } from './reader.js'
export { createIdCardReader } from './reader.js'
export type { IdCardReason } from './judge.js'
export { judgeIdCard } from './judge.js'
export { createOcrPool, OcrBusyError, type OcrPool, type OcrPoolOptions } from './pool.js'
/** The compare-source name under which the card portrait is offered to rules. */
export const IDCARD_COMPARE_SOURCE = 'idcard' as const
