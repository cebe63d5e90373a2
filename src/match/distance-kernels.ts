/**
 * Squared-distance kernels for FaceIndex: a tiny hand-assembled WebAssembly SIMD
 * module (no build step; the WAT is in the comments) and a plain JS fallback.
 *
 *   f32dists(q, nq, base, n, rowBytes, out, _)  float32 rows and queries:
 *       out[i·n + r] = Σ(q_i − row_r)² as float32 (f32x4, 4 accumulators).
 *   i8dists(q, nq, base, n, dim, out, norms)    int8 rows, int16 queries (|codes| ≤ 127):
 *       out[i·n + r] = norms[r] − 2·q_i·row_r as int32, exact, where norms[r] = ‖row_r‖²;
 *       adding ‖q_i‖² gives the exact ‖q_i − row_r‖². Rows are read with
 *       v128.load8x8_s (sign-extending to i16x8) and i32x4.dot_i16x8_s multiplies
 *       and pair-sums without overflow: 3 instructions per 8 elements.
 *
 * Arguments are byte offsets into the instance's own memory. Rows outer, queries
 * inner: a row is loaded from memory once and reused for the whole block of queries.
 * rowBytes/4 must be a positive multiple of 16, dim (i8dists) of 32.
 */

const uleb = (v: number): number[] => {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
};
const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
const str = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

const I32 = 0x7f, V128 = 0x7b;
const get = (i: number) => [0x20, i], set = (i: number) => [0x21, i], tee = (i: number) => [0x22, i];
const i32 = (v: number) => (v < 64 ? [0x41, v] : [0x41, v & 0x7f | 0x80, v >> 7]); // signed LEB, v < 8192
const add = 0x6a, sub = 0x6b, mul = 0x6c, shl = 0x74, geU = 0x4f, ltU = 0x49, f32add = 0x92;
const simd = (op: number) => [0xfd, ...uleb(op)];
const zero = (local: number) => [...simd(0x0c), ...new Array<number>(16).fill(0), ...set(local)]; // v128.const 0

// Both functions: params q nq base n stride out norms; locals r qi j row qp k (i32), then v128s.
const [Q, NQ, BASE, N, STRIDE, OUT, NORMS, R, QI, J, ROW, QP, K] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

/** The shared loop nest; `inner` accumulates one row×query pair, `store` writes it to the i32 address on the stack. */
function rowsByQueries(v128Locals: number, init: number[], inner: number[], store: number[], qStride: number[]): number[] {
  return [
    2, 6, I32, v128Locals, V128, // locals
    0x02, 0x40, 0x03, 0x40, //                block ;; loop R
    ...get(R), ...get(N), geU, 0x0d, 1, //      br_if r >= n → exit
    ...get(BASE), ...get(R), ...get(STRIDE), mul, add, ...set(ROW), // row = base + r*stride
    ...i32(0), ...set(QI), ...get(Q), ...set(QP),
    0x02, 0x40, 0x03, 0x40, //                  block ;; loop QI
    ...get(QI), ...get(NQ), geU, 0x0d, 1,
    ...init,
    0x03, 0x40, ...inner, 0x0b, //              loop J (do-while: a row is a positive multiple of the step)
    ...get(OUT), ...get(QI), ...get(N), mul, ...get(R), add, ...i32(2), shl, add, // &out[qi*n + r]
    ...store,
    ...get(QI), ...i32(1), add, ...set(QI), ...get(QP), ...qStride, add, ...set(QP),
    0x0c, 0, 0x0b, 0x0b, //                     br QI; end loop; end block
    ...get(R), ...i32(1), add, ...set(R),
    0x0c, 0, 0x0b, 0x0b, //                   br R; end loop; end block
    0x0b,
  ];
}

function f32Body(): number[] {
  const [A0, A1, A2, A3, D] = [13, 14, 15, 16, 17];
  const inner = [
    ...[A0, A1, A2, A3].flatMap((a, u) => [
      ...get(QP), ...get(J), add, ...simd(0x00), 4, ...uleb(16 * u), // v128.load q[j + 4u ..]
      ...get(ROW), ...get(J), add, ...simd(0x00), 4, ...uleb(16 * u), // v128.load row[j + 4u ..]
      ...simd(0xe5), ...tee(D), ...get(D), ...simd(0xe6), // d = q − x; d*d
      ...get(a), ...simd(0xe4), ...set(a), //     acc_u += d*d
    ]),
    ...get(J), ...i32(64), add, ...tee(J), ...get(STRIDE), ltU, 0x0d, 0,
  ];
  const store = [
    ...get(A0), ...get(A1), ...simd(0xe4), ...get(A2), ...get(A3), ...simd(0xe4), ...simd(0xe4), ...set(A0),
    ...get(A0), ...simd(0x1f), 0, ...get(A0), ...simd(0x1f), 1, f32add,
    ...get(A0), ...simd(0x1f), 2, ...get(A0), ...simd(0x1f), 3, f32add, f32add,
    0x38, 2, 0, //                                f32.store
  ];
  return rowsByQueries(5, [...[A0, A1, A2, A3].flatMap(zero), ...i32(0), ...set(J)], inner, store, get(STRIDE));
}

function i8Body(): number[] {
  const [A0, A1, A2, A3] = [13, 14, 15, 16];
  const inner = [ // j: row pointer, k: query pointer; 32 elements per iteration
    ...[A0, A1, A2, A3].flatMap((a, u) => [
      ...get(J), ...simd(0x01), 3, ...uleb(8 * u), //  v128.load8x8_s row[.. + 8u] → i16x8
      ...get(K), ...simd(0x00), 4, ...uleb(16 * u), // v128.load q16[.. + 8u]
      ...simd(0xba), ...get(a), ...simd(0xae), ...set(a), // acc_u += i32x4.dot_i16x8_s
    ]),
    ...get(K), ...i32(64), add, ...set(K),
    ...get(J), ...i32(32), add, ...tee(J), ...get(ROW), ...get(STRIDE), add, ltU, 0x0d, 0,
  ];
  const store = [
    ...get(NORMS), ...get(R), ...i32(2), shl, add, 0x28, 2, 0, // norms[r] (i32.load)
    ...get(A0), ...get(A1), ...simd(0xae), ...get(A2), ...get(A3), ...simd(0xae), ...simd(0xae), ...set(A0),
    ...get(A0), ...simd(0x1b), 0, ...get(A0), ...simd(0x1b), 1, add, // i32x4.extract_lane
    ...get(A0), ...simd(0x1b), 2, ...get(A0), ...simd(0x1b), 3, add, add,
    ...i32(1), shl, sub, //                       norms[r] − 2·dot
    0x36, 2, 0, //                                i32.store
  ];
  const init = [...[A0, A1, A2, A3].flatMap(zero), ...get(ROW), ...set(J), ...get(QP), ...set(K)];
  return rowsByQueries(4, init, inner, store, [...get(STRIDE), ...i32(1), shl]); // q16 stride = 2·dim bytes
}

function moduleBytes(): Uint8Array {
  const bodies = [f32Body(), i8Body()];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 7, I32, I32, I32, I32, I32, I32, I32, 0]),
    ...section(3, [2, 0, 0]),
    ...section(5, [1, 0x01, ...uleb(1), ...uleb(65536)]),
    ...section(7, [3, ...str('memory'), 0x02, 0, ...str('f32dists'), 0x00, 0, ...str('i8dists'), 0x00, 1]),
    ...section(10, [2, ...bodies.flatMap((b) => [...uleb(b.length), ...b])]),
  ]);
}

// The project's lib settings carry no WebAssembly typings: the little used here, typed locally.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

type WasmKernel = (q: number, nq: number, base: number, n: number, stride: number, out: number, norms: number) => void;
export interface SimdKernels {
  /** This instance's own memory (up to 4 GiB); the kernels' offsets point into it. */
  memory: WasmMemory;
  f32dists: WasmKernel;
  i8dists: WasmKernel;
}

let simdModule: object | null | undefined;
/** A fresh instance (its own memory), or null where WebAssembly SIMD is unavailable. */
export function instantiateSimd(): SimdKernels | null {
  if (simdModule === undefined) {
    try {
      simdModule = new wasm.Module(moduleBytes());
    } catch {
      simdModule = null;
    }
  }
  if (!simdModule) return null;
  const { exports } = new wasm.Instance(simdModule);
  return { memory: exports.memory as WasmMemory, f32dists: exports.f32dists as WasmKernel, i8dists: exports.i8dists as WasmKernel };
}

/** A plain growable memory for the JS kernel. */
export const newMemory = (): WasmMemory => new wasm.Memory({ initial: 1, maximum: 65536 });

/** (qOff, nq, baseOff, n, dim, outOff), offsets in floats. */
export type Kernel = (qOff: number, nq: number, baseOff: number, n: number, dim: number, outOff: number) => void;

/** Same contract as f32dists, in JS (offsets in floats, any dimension). Float64 accumulation, rounded to float32 on store. */
export function jsKernel(mem: () => Float32Array): Kernel {
  return (qOff, nq, baseOff, n, dim, outOff) => {
    const m = mem();
    for (let r = 0; r < n; r++) {
      const row = baseOff + r * dim;
      for (let i = 0; i < nq; i++) {
        const q = qOff + i * dim;
        let s = 0;
        for (let j = 0; j < dim; j++) {
          const d = m[q + j]! - m[row + j]!;
          s += d * d;
        }
        m[outOff + i * n + r] = s;
      }
    }
  };
}
