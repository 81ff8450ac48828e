import { FRAME_CHANGE_WASM_BASE64 } from './frame-change-wasm.js'

/**
 * Human's frame-change measure for videos (mediapipe-face.ts decides with it whether a frame may reuse the
 * tracked boxes): the sum over every value of (a − b)² between a frame and the one before, exact.
 *
 * Why WebAssembly written here: the sum runs on every analysed frame (25 a second in the digits mode) over
 * 0.9 MB at 640×480. onnxruntime needed five passes over 3.7 MB float copies (cast, cast, subtract, square,
 * row sums: 0.6–0.9 ms alone, ≈ 1.45 ms inside an attempt) and a JavaScript loop 1.4–2.2 ms; WebAssembly SIMD
 * reads the bytes once (16 at a time, integer arithmetic): ≈ 0.1 ms including the copy of the frame into its
 * memory. The source is frame-change.wat; the previous frame stays in the module's memory, so the copy
 * replaces the one the check always made.
 */
export interface FrameChangeMeter {
  /** (a − b)² summed over every byte of this RGB frame and the previous one; null for a first frame or a new size */
  next(frame: Uint8Array, width: number, height: number): number | null
  /** forget the previous frame (a new clip) */
  reset(): void
}

// Node's WebAssembly global, typed here: the project's TypeScript libraries (ES2022, @types/node 20) declare
// no WebAssembly values
interface WasmMemory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object) => {
    exports: { memory: WasmMemory; ssd: (pa: number, pb: number, n: number) => number }
  }
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly

let compiled: object | null = null

export function frameChangeMeter(): FrameChangeMeter {
  compiled ??= new wasm.Module(Buffer.from(FRAME_CHANGE_WASM_BASE64, 'base64'))
  const { memory, ssd } = new wasm.Instance(compiled).exports
  // two slots of `slot` bytes (the frame's length rounded up to 16; the padding stays 0 in both); the
  // previous frame is in slot `prev`, the next one goes into the other
  let size = ''
  let slot = 0
  let prev = 0
  return {
    next(frame, width, height) {
      if (`${width}×${height}` !== size) {
        size = `${width}×${height}`
        slot = Math.ceil(frame.length / 16) * 16
        const need = 2 * slot - memory.buffer.byteLength
        if (need > 0) memory.grow(Math.ceil(need / 65536))
        const m = new Uint8Array(memory.buffer)
        m.fill(0, 0, 2 * slot)
        m.set(frame, 0)
        prev = 0
        return null
      }
      const cur = 1 - prev
      new Uint8Array(memory.buffer).set(frame, cur * slot)
      const sum = ssd(cur * slot, prev * slot, slot)
      prev = cur
      return sum
    },
    reset() {
      size = ''
    },
  }
}
