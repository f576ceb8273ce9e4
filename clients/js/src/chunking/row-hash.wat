;; The row hash of docs/canonical-form.md §7.1 over whole columns, with native 64-bit multiply.
;; One i64 state per slot at `st`; every function absorbs one column's words(A, j) into state j
;; for j < n. `vp` is a validity bitmap (bit j set = valid) or 0 for "all valid" (the JS side never
;; places data at address 0). Pointers are byte addresses in the exported memory.
;; Assemble with `npm run build:wasm` (scripts/build-wasm.mjs), which writes row-hash-wasm.js.
(module
  (memory (export "memory") 1)

  ;; absorb(h, w) = rotl64((h xor w) * K, 31)
  (func $absorb (param $h i64) (param $w i64) (result i64)
    (i64.rotl (i64.mul (i64.xor (local.get $h) (local.get $w)) (i64.const 0x9E3779B97F4A7C15)) (i64.const 31)))

  ;; 1 when slot j is valid.
  (func $valid (param $vp i32) (param $j i32) (result i32)
    (if (result i32) (i32.eqz (local.get $vp))
      (then (i32.const 1))
      (else (i32.and (i32.shr_u (i32.load8_u (i32.add (local.get $vp) (i32.shr_u (local.get $j) (i32.const 3))))
                                (i32.and (local.get $j) (i32.const 7)))
                     (i32.const 1)))))

  ;; Absorbs the len bytes at p as zero-padded LE words (at least `least` words) into h.
  (func $bytes (param $h i64) (param $p i32) (param $len i32) (param $least i32) (result i64)
    (local $k i32) (local $words i32)
    (block $done
      (loop $next
        (br_if $done (i32.gt_u (i32.add (local.get $k) (i32.const 8)) (local.get $len)))
        (local.set $h (call $absorb (local.get $h) (i64.load (i32.add (local.get $p) (local.get $k)))))
        (local.set $k (i32.add (local.get $k) (i32.const 8)))
        (local.set $words (i32.add (local.get $words) (i32.const 1)))
        (br $next)))
    ;; The last 1 to 7 bytes: one 8-byte read, masked (the JS side leaves 24 readable bytes after
    ;; every buffer it copies in, and a view's inline bytes are followed by the next view or those).
    (if (i32.lt_u (local.get $k) (local.get $len))
      (then
        (local.set $h (call $absorb (local.get $h)
          (i64.and (i64.load (i32.add (local.get $p) (local.get $k)))
                   (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (i32.shl (i32.sub (local.get $len) (local.get $k)) (i32.const 3)))) (i64.const 1)))))
        (local.set $words (i32.add (local.get $words) (i32.const 1)))))
    (block $padded
      (loop $pad
        (br_if $padded (i32.ge_u (local.get $words) (local.get $least)))
        (local.set $h (call $absorb (local.get $h) (i64.const 0)))
        (local.set $words (i32.add (local.get $words) (i32.const 1)))
        (br $pad)))
    (local.get $h))

  ;; Every state = S.
  (func (export "seed") (param $st i32) (param $n i32)
    (local $e i32)
    (local.set $e (i32.add (local.get $st) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $st) (local.get $e)))
        (i64.store (local.get $st) (i64.const 0xBB67AE8584CAA73B))
        (local.set $st (i32.add (local.get $st) (i32.const 8)))
        (br $next))))

  ;; Absorbs the word w into every state (a Null column: w = N).
  (func (export "word") (param $st i32) (param $n i32) (param $w i64)
    (local $e i32)
    (local.set $e (i32.add (local.get $st) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $st) (local.get $e)))
        (i64.store (local.get $st) (call $absorb (i64.load (local.get $st)) (local.get $w)))
        (local.set $st (i32.add (local.get $st) (i32.const 8)))
        (br $next))))

  ;; Struct validity: 0 for a valid slot, N for a null one.
  (func (export "flag") (param $st i32) (param $n i32) (param $vp i32)
    (local $j i32) (local $a i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $a (i32.add (local.get $st) (i32.shl (local.get $j) (i32.const 3))))
        (i64.store (local.get $a) (call $absorb (i64.load (local.get $a))
          (select (i64.const 0) (i64.const 0x6A09E667F3BCC908) (if (result i32) (local.get $vp) (then (i32.and (i32.shr_u (i32.load8_u (i32.add (local.get $vp) (i32.shr_u (local.get $j) (i32.const 3)))) (i32.and (local.get $j) (i32.const 7))) (i32.const 1))) (else (i32.const 1))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next))))

  ;; Boolean: bit j of the bitmap at `bits`, N for a null slot.
  (func (export "bool") (param $st i32) (param $bits i32) (param $n i32) (param $vp i32)
    (local $j i32) (local $a i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $a (i32.add (local.get $st) (i32.shl (local.get $j) (i32.const 3))))
        (i64.store (local.get $a) (call $absorb (i64.load (local.get $a))
          (select
            (i64.extend_i32_u (call $valid (local.get $bits) (local.get $j)))
            (i64.const 0x6A09E667F3BCC908)
            (if (result i32) (local.get $vp) (then (i32.and (i32.shr_u (i32.load8_u (i32.add (local.get $vp) (i32.shr_u (local.get $j) (i32.const 3)))) (i32.and (local.get $j) (i32.const 7))) (i32.const 1))) (else (i32.const 1))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next))))

  ;; Fixed width w bytes: the value zero-padded to whole words (at least one); null: N then zeros.
  ;; Widths 1, 2, 4, 8 (one word) take a branch-free loop of their own.
  (func (export "fixed") (param $st i32) (param $vals i32) (param $n i32) (param $w i32) (param $vp i32)
    (local $j i32) (local $a i32) (local $h i64) (local $v i32) (local $k i32) (local $words i32)
    (if (i32.eq (local.get $w) (i32.const 8))
      (then
        (block $done8
          (loop $next8
            (br_if $done8 (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $a (i32.add (local.get $st) (i32.shl (local.get $j) (i32.const 3))))
            (i64.store (local.get $a) (i64.rotl (i64.mul (i64.xor (i64.load (local.get $a)) (select (i64.load (i32.add (local.get $vals) (i32.mul (local.get $j) (i32.const 8)))) (i64.const 0x6A09E667F3BCC908) (if (result i32) (local.get $vp) (then (i32.and (i32.shr_u (i32.load8_u (i32.add (local.get $vp) (i32.shr_u (local.get $j) (i32.const 3)))) (i32.and (local.get $j) (i32.const 7))) (i32.const 1))) (else (i32.const 1))))) (i64.const 0x9E3779B97F4A7C15)) (i64.const 31)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $next8)))
        (return)))
    (if (i32.eq (local.get $w) (i32.const 4))
      (then
        (block $done4
          (loop $next4
            (br_if $done4 (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $a (i32.add (local.get $st) (i32.shl (local.get $j) (i32.const 3))))
            (i64.store (local.get $a) (i64.rotl (i64.mul (i64.xor (i64.load (local.get $a)) (select (i64.load32_u (i32.add (local.get $vals) (i32.mul (local.get $j) (i32.const 4)))) (i64.const 0x6A09E667F3BCC908) (if (result i32) (local.get $vp) (then (i32.and (i32.shr_u (i32.load8_u (i32.add (local.get $vp) (i32.shr_u (local.get $j) (i32.const 3)))) (i32.and (local.get $j) (i32.const 7))) (i32.const 1))) (else (i32.const 1))))) (i64.const 0x9E3779B97F4A7C15)) (i64.const 31)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $next4)))
        (return)))
    (if (i32.eq (local.get $w) (i32.const 2))
      (then
        (block $done2
          (loop $next2
            (br_if $done2 (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $a (i32.add (local.get $st) (i32.shl (local.get $j) (i32.const 3))))
            (i64.store (local.get $a) (i64.rotl (i64.mul (i64.xor (i64.load (local.get $a)) (select (i64.load16_u (i32.add (local.get $vals) (i32.mul (local.get $j) (i32.const 2)))) (i64.const 0x6A09E667F3BCC908) (if (result i32) (local.get $vp) (then (i32.and (i32.shr_u (i32.load8_u (i32.add (local.get $vp) (i32.shr_u (local.get $j) (i32.const 3)))) (i32.and (local.get $j) (i32.const 7))) (i32.const 1))) (else (i32.const 1))))) (i64.const 0x9E3779B97F4A7C15)) (i64.const 31)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $next2)))
        (return)))
    (if (i32.eq (local.get $w) (i32.const 1))
      (then
        (block $done1
          (loop $next1
            (br_if $done1 (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $a (i32.add (local.get $st) (i32.shl (local.get $j) (i32.const 3))))
            (i64.store (local.get $a) (i64.rotl (i64.mul (i64.xor (i64.load (local.get $a)) (select (i64.load8_u (i32.add (local.get $vals) (i32.mul (local.get $j) (i32.const 1)))) (i64.const 0x6A09E667F3BCC908) (if (result i32) (local.get $vp) (then (i32.and (i32.shr_u (i32.load8_u (i32.add (local.get $vp) (i32.shr_u (local.get $j) (i32.const 3)))) (i32.and (local.get $j) (i32.const 7))) (i32.const 1))) (else (i32.const 1))))) (i64.const 0x9E3779B97F4A7C15)) (i64.const 31)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $next1)))
        (return)))
    (local.set $words (i32.shr_u (i32.add (local.get $w) (i32.const 7)) (i32.const 3)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $a (i32.add (local.get $st) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $h (i64.load (local.get $a)))
        (local.set $v (i32.add (local.get $vals) (i32.mul (local.get $j) (local.get $w))))
        (if (if (result i32) (local.get $vp) (then (i32.and (i32.shr_u (i32.load8_u (i32.add (local.get $vp) (i32.shr_u (local.get $j) (i32.const 3)))) (i32.and (local.get $j) (i32.const 7))) (i32.const 1))) (else (i32.const 1)))
          (then
            (if (i32.eq (local.get $w) (i32.const 8))
              (then (local.set $h (call $absorb (local.get $h) (i64.load (local.get $v)))))
              (else (if (i32.eq (local.get $w) (i32.const 4))
                (then (local.set $h (call $absorb (local.get $h) (i64.load32_u (local.get $v)))))
                (else (if (i32.eq (local.get $w) (i32.const 2))
                  (then (local.set $h (call $absorb (local.get $h) (i64.load16_u (local.get $v)))))
                  (else (if (i32.eq (local.get $w) (i32.const 1))
                    (then (local.set $h (call $absorb (local.get $h) (i64.load8_u (local.get $v)))))
                    (else (local.set $h (call $bytes (local.get $h) (local.get $v) (local.get $w) (i32.const 1))))))))))))
          (else
            (local.set $h (call $absorb (local.get $h) (i64.const 0x6A09E667F3BCC908)))
            (local.set $k (i32.const 1))
            (block $zeros
              (loop $zero
                (br_if $zeros (i32.ge_u (local.get $k) (local.get $words)))
                (local.set $h (call $absorb (local.get $h) (i64.const 0)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $zero)))))
        (i64.store (local.get $a) (local.get $h))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next))))

  ;; Binary/Utf8 with int32 offsets at `offs` into `data`: the length, then the bytes (≥ 2 words).
  ;; Values of up to 24 bytes take three masked 8-byte reads (the JS side leaves 24 readable bytes
  ;; after the data) and no branch on their length: the third word's state is kept only when the
  ;; value has more than 16 bytes (lengths of short strings vary row to row; a branch on them
  ;; is mispredicted often).
  (func (export "binary") (param $st i32) (param $offs i32) (param $data i32) (param $n i32) (param $vp i32)
    (local $j i32) (local $a i32) (local $h i64) (local $from i32) (local $len i32) (local $p i32) (local $h3 i64)
    (local $lens v128) (local $low v128)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $a (i32.add (local.get $st) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $h (i64.load (local.get $a)))
        (if (if (result i32) (local.get $vp) (then (i32.and (i32.shr_u (i32.load8_u (i32.add (local.get $vp) (i32.shr_u (local.get $j) (i32.const 3)))) (i32.and (local.get $j) (i32.const 7))) (i32.const 1))) (else (i32.const 1)))
          (then
            (local.set $from (i32.load (i32.add (local.get $offs) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $len (i32.sub (i32.load (i32.add (local.get $offs) (i32.shl (i32.add (local.get $j) (i32.const 1)) (i32.const 2))))
                                     (local.get $from)))
            (local.set $h (i64.rotl (i64.mul (i64.xor (local.get $h) (i64.extend_i32_u (local.get $len))) (i64.const 0x9E3779B97F4A7C15)) (i64.const 31)))
            (local.set $p (i32.add (local.get $data) (local.get $from)))
            (if (i32.le_u (local.get $len) (i32.const 24))
              (then
                ;; Word i (0, 1, 2) holds min(8, max(0, len − 8i)) bytes: byte k is kept where k < len,
                ;; all 24 masks made by two byte-lane compares (simd128) instead of shifts and selects.
                (local.set $lens (i8x16.splat (local.get $len)))
                (local.set $low (v128.and (v128.load (local.get $p))
                  (i8x16.lt_u (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15) (local.get $lens))))
                (local.set $h (i64.rotl (i64.mul (i64.xor (local.get $h) (i64x2.extract_lane 0 (local.get $low))) (i64.const 0x9E3779B97F4A7C15)) (i64.const 31)))
                (local.set $h (i64.rotl (i64.mul (i64.xor (local.get $h) (i64x2.extract_lane 1 (local.get $low))) (i64.const 0x9E3779B97F4A7C15)) (i64.const 31)))
                ;; bytes 16 … len−1 (len > 16: 1 to 8 of them)
                (local.set $h3 (i64.rotl (i64.mul (i64.xor (local.get $h) (i64.and (i64.load offset=16 (local.get $p))
                  (i64x2.extract_lane 0 (i8x16.lt_u (v128.const i8x16 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31) (local.get $lens)))))
                  (i64.const 0x9E3779B97F4A7C15)) (i64.const 31)))
                (local.set $h (select (local.get $h3) (local.get $h) (i32.gt_u (local.get $len) (i32.const 16)))))
              (else (local.set $h (call $bytes (local.get $h) (local.get $p) (local.get $len) (i32.const 2))))))
          (else (local.set $h (call $absorb (local.get $h) (i64.const 0x6A09E667F3BCC908)))))
        (i64.store (local.get $a) (local.get $h))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next))))

  ;; BinaryView/Utf8View (canonical: one data buffer at `data`): as binary.
  (func (export "views") (param $st i32) (param $views i32) (param $data i32) (param $n i32) (param $vp i32)
    (local $j i32) (local $a i32) (local $h i64) (local $v i32) (local $len i32) (local $src i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $a (i32.add (local.get $st) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $h (i64.load (local.get $a)))
        (if (if (result i32) (local.get $vp) (then (i32.and (i32.shr_u (i32.load8_u (i32.add (local.get $vp) (i32.shr_u (local.get $j) (i32.const 3)))) (i32.and (local.get $j) (i32.const 7))) (i32.const 1))) (else (i32.const 1)))
          (then
            (local.set $v (i32.add (local.get $views) (i32.shl (local.get $j) (i32.const 4))))
            (local.set $len (i32.load (local.get $v)))
            (local.set $src (select (i32.add (local.get $v) (i32.const 4))
                                    (i32.add (local.get $data) (i32.load offset=12 (local.get $v)))
                                    (i32.le_s (local.get $len) (i32.const 12))))
            (local.set $h (call $absorb (local.get $h) (i64.extend_i32_u (local.get $len))))
            (local.set $h (call $bytes (local.get $h) (local.get $src) (local.get $len) (i32.const 2))))
          (else (local.set $h (call $absorb (local.get $h) (i64.const 0x6A09E667F3BCC908)))))
        (i64.store (local.get $a) (local.get $h))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next))))

  ;; Lists with int32 offsets at `offs` over finished item hashes at `items`: the count, then the items.
  ;; A list of up to three items takes no branch on its count (mispredicted often when counts vary
  ;; row to row): three items are absorbed and the state after the count-th kept; the JS side
  ;; leaves 24 readable bytes after the item hashes. Longer lists loop.
  (func (export "items") (param $st i32) (param $offs i32) (param $items i32) (param $n i32) (param $vp i32)
    (local $j i32) (local $a i32) (local $h i64) (local $k i32) (local $to i32) (local $c i32) (local $p i32)
    (local $h1 i64) (local $h2 i64) (local $h3 i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $a (i32.add (local.get $st) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $h (i64.load (local.get $a)))
        (if (if (result i32) (local.get $vp) (then (i32.and (i32.shr_u (i32.load8_u (i32.add (local.get $vp) (i32.shr_u (local.get $j) (i32.const 3)))) (i32.and (local.get $j) (i32.const 7))) (i32.const 1))) (else (i32.const 1)))
          (then
            (local.set $k (i32.load (i32.add (local.get $offs) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $to (i32.load (i32.add (local.get $offs) (i32.shl (i32.add (local.get $j) (i32.const 1)) (i32.const 2)))))
            (local.set $c (i32.sub (local.get $to) (local.get $k)))
            (local.set $h (call $absorb (local.get $h) (i64.extend_i32_u (local.get $c))))
            (if (i32.le_u (local.get $c) (i32.const 3))
              (then
                (local.set $p (i32.add (local.get $items) (i32.shl (local.get $k) (i32.const 3))))
                (local.set $h1 (i64.rotl (i64.mul (i64.xor (local.get $h) (i64.load (local.get $p))) (i64.const 0x9E3779B97F4A7C15)) (i64.const 31)))
                (local.set $h2 (i64.rotl (i64.mul (i64.xor (local.get $h1) (i64.load offset=8 (local.get $p))) (i64.const 0x9E3779B97F4A7C15)) (i64.const 31)))
                (local.set $h3 (i64.rotl (i64.mul (i64.xor (local.get $h2) (i64.load offset=16 (local.get $p))) (i64.const 0x9E3779B97F4A7C15)) (i64.const 31)))
                (local.set $h
                  (select (local.get $h)
                    (select (local.get $h1) (select (local.get $h2) (local.get $h3) (i32.eq (local.get $c) (i32.const 2))) (i32.eq (local.get $c) (i32.const 1)))
                    (i32.eqz (local.get $c)))))
              (else
                (block $end
                  (loop $item
                    (br_if $end (i32.ge_u (local.get $k) (local.get $to)))
                    (local.set $h (i64.rotl (i64.mul (i64.xor (local.get $h) (i64.load (i32.add (local.get $items) (i32.shl (local.get $k) (i32.const 3))))) (i64.const 0x9E3779B97F4A7C15)) (i64.const 31)))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (br $item))))))
          (else (local.set $h (call $absorb (local.get $h) (i64.const 0x6A09E667F3BCC908)))))
        (i64.store (local.get $a) (local.get $h))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next))))

  ;; item(child, k) = fmix64(absorb(S, value or N)) of the m items of width w (1, 2, 4 or 8 bytes) at
  ;; `vals` with validity `ivp` (0: all valid), written to `out`: one pass with no branch per item
  ;; (the width's and the validity's go the same way every time), for "items" to absorb.
  (func (export "itemHashesFixed") (param $out i32) (param $vals i32) (param $w i32) (param $ivp i32) (param $m i32)
    (local $k i32) (local $v i64) (local $at i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $k) (local.get $m)))
        (local.set $at (i32.add (local.get $vals) (i32.mul (local.get $k) (local.get $w))))
        (local.set $v
          (if (result i64) (i32.eq (local.get $w) (i32.const 4))
            (then (i64.load32_u (local.get $at)))
            (else (if (result i64) (i32.eq (local.get $w) (i32.const 8))
              (then (i64.load (local.get $at)))
              (else (if (result i64) (i32.eq (local.get $w) (i32.const 2))
                (then (i64.load16_u (local.get $at)))
                (else (i64.load8_u (local.get $at)))))))))
        (if (local.get $ivp)
          (then
            (local.set $v (select (local.get $v) (i64.const 0x6A09E667F3BCC908)
              (i32.and (i32.shr_u (i32.load8_u (i32.add (local.get $ivp) (i32.shr_u (local.get $k) (i32.const 3)))) (i32.and (local.get $k) (i32.const 7))) (i32.const 1))))))
        (local.set $v (i64.rotl (i64.mul (i64.xor (i64.const 0xBB67AE8584CAA73B) (local.get $v)) (i64.const 0x9E3779B97F4A7C15)) (i64.const 31)))
        (local.set $v (i64.xor (local.get $v) (i64.shr_u (local.get $v) (i64.const 33))))
        (local.set $v (i64.mul (local.get $v) (i64.const 0xFF51AFD7ED558CCD)))
        (local.set $v (i64.xor (local.get $v) (i64.shr_u (local.get $v) (i64.const 33))))
        (local.set $v (i64.mul (local.get $v) (i64.const 0xC4CEB9FE1A85EC53)))
        (local.set $v (i64.xor (local.get $v) (i64.shr_u (local.get $v) (i64.const 33))))
        (i64.store (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 3))) (local.get $v))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next))))

  ;; Dictionary: item(dictionary, idx[j]) with int32 indices at `idx`; N for a null slot.
  (func (export "gather") (param $st i32) (param $idx i32) (param $items i32) (param $n i32) (param $vp i32)
    (local $j i32) (local $a i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $a (i32.add (local.get $st) (i32.shl (local.get $j) (i32.const 3))))
        (i64.store (local.get $a) (i64.rotl (i64.mul (i64.xor (i64.load (local.get $a))
          (if (result i64) (if (result i32) (local.get $vp) (then (i32.and (i32.shr_u (i32.load8_u (i32.add (local.get $vp) (i32.shr_u (local.get $j) (i32.const 3)))) (i32.and (local.get $j) (i32.const 7))) (i32.const 1))) (else (i32.const 1)))
            (then (i64.load (i32.add (local.get $items)
              (i32.shl (i32.load (i32.add (local.get $idx) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 3)))))
            (else (i64.const 0x6A09E667F3BCC908))))
          (i64.const 0x9E3779B97F4A7C15)) (i64.const 31)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next))))

  ;; fmix64 of every state.
  (func (export "finish") (param $st i32) (param $n i32)
    (local $e i32) (local $h i64)
    (local.set $e (i32.add (local.get $st) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $st) (local.get $e)))
        (local.set $h (i64.load (local.get $st)))
        (local.set $h (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 33))))
        (local.set $h (i64.mul (local.get $h) (i64.const 0xFF51AFD7ED558CCD)))
        (local.set $h (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 33))))
        (local.set $h (i64.mul (local.get $h) (i64.const 0xC4CEB9FE1A85EC53)))
        (local.set $h (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 33))))
        (i64.store (local.get $st) (local.get $h))
        (local.set $st (i32.add (local.get $st) (i32.const 8)))
        (br $next))))

  ;; Finishes the n row states at `st` (fmix64, stored back: the row hashes) and runs the rolling
  ;; hash g_j = 2·g_(j−1) + rowHash(j) from g over them in the same pass: writes the high word of
  ;; each g_j to the uint32s at `out`; returns the last g.
  (func (export "finishRoll") (param $st i32) (param $n i32) (param $g i64) (param $out i32) (result i64)
    (local $j i32) (local $a i32) (local $h i64)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $a (i32.add (local.get $st) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $h (i64.load (local.get $a)))
        (local.set $h (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 33))))
        (local.set $h (i64.mul (local.get $h) (i64.const 0xFF51AFD7ED558CCD)))
        (local.set $h (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 33))))
        (local.set $h (i64.mul (local.get $h) (i64.const 0xC4CEB9FE1A85EC53)))
        (local.set $h (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 33))))
        (i64.store (local.get $a) (local.get $h))
        (local.set $g (i64.add (i64.shl (local.get $g) (i64.const 1)) (local.get $h)))
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))
                   (i32.wrap_i64 (i64.shr_u (local.get $g) (i64.const 32))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $next)))
    (local.get $g))
)
