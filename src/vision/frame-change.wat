;; Human's frame-change sum for src/vision/frame-change.ts: the sum over every byte of (a − b)², two
;; frames of n bytes (n a multiple of 16) at byte offsets pa and pb of this module's memory.
;; WebAssembly SIMD, 16 bytes a step: each half widened to 8 lanes of i16 (0…255), subtracted (−255…255),
;; and i32x4.dot_i16x8_s adds the squares pairwise into 4 lanes of i32 (4 squares a lane a step). A block
;; of 2,048 steps (32 KB) adds at most 2,048 · 4 · 65,025 ≈ 5.3·10⁸ to a lane and ≈ 2.1·10⁹ to the four
;; together, under 2³¹; each block's
;; total goes into an f64, exact up to 2⁵³ (a 7680×4320 RGB frame sums to at most 6.5·10¹²). So the sum
;; is the exact integer.
;; Compiled into frame-change-wasm.ts by `npm run build:wasm` (wabt); a test checks that the bytes match.
(module
  (memory (export "memory") 1)
  (func (export "ssd") (param $pa i32) (param $pb i32) (param $n i32) (result f64)
    (local $total f64)
    (local $acc v128)
    (local $va v128)
    (local $vb v128)
    (local $d v128)
    (local $blockEnd i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $pa) (local.get $n)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $pa) (local.get $end)))
        ;; the block ends after 2,048 steps (32,768 bytes) or at the end
        (local.set $blockEnd (i32.add (local.get $pa) (i32.const 32768)))
        (if (i32.gt_u (local.get $blockEnd) (local.get $end))
          (then (local.set $blockEnd (local.get $end))))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (block $blockDone
          (loop $steps
            (br_if $blockDone (i32.ge_u (local.get $pa) (local.get $blockEnd)))
            (local.set $va (v128.load (local.get $pa)))
            (local.set $vb (v128.load (local.get $pb)))
            (local.set $d
              (i16x8.sub (i16x8.extend_low_i8x16_u (local.get $va)) (i16x8.extend_low_i8x16_u (local.get $vb))))
            (local.set $acc (i32x4.add (local.get $acc) (i32x4.dot_i16x8_s (local.get $d) (local.get $d))))
            (local.set $d
              (i16x8.sub (i16x8.extend_high_i8x16_u (local.get $va)) (i16x8.extend_high_i8x16_u (local.get $vb))))
            (local.set $acc (i32x4.add (local.get $acc) (i32x4.dot_i16x8_s (local.get $d) (local.get $d))))
            (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
            (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
            (br $steps)))
        (local.set $total
          (f64.add
            (local.get $total)
            (f64.convert_i32_u
              (i32.add
                (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
                (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))))
        (br $blocks)))
    (local.get $total)))
