/**
 * Planar and rigid fits of face-mesh motion. A photo or a screen moved in front of a camera is a flat
 * object: between any two frames its landmarks move by one homography (8 parameters), whatever the
 * tilt. A head that turns is not flat: the nose moves against the cheeks (parallax), which no
 * homography explains. Hand-written (a few dozen lines of least squares) because no kept npm package
 * offers a small, dependency-free homography fit.
 */
export type Pt = readonly [number, number]

/** Solve A x = b (n×n, Gaussian elimination with partial pivoting). null when singular. */
export function solveLinear(A: number[][], b: number[]): number[] | null {
  const n = b.length
  const M = A.map((row, i) => [...row, b[i]!])
  for (let c = 0; c < n; c++) {
    let p = c
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r
    if (Math.abs(M[p]![c]!) < 1e-12) return null
    ;[M[c], M[p]] = [M[p]!, M[c]!]
    for (let r = 0; r < n; r++) {
      if (r === c) continue
      const f = M[r]![c]! / M[c]![c]!
      if (f === 0) continue
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!
    }
  }
  return M.map((row, i) => row[n]! / row[i]!)
}

/** Normalise points to zero mean and unit RMS distance (conditioning of the fit). */
function normaliser(p: readonly Pt[]): { f: (q: Pt) => [number, number]; s: number } {
  let mx = 0
  let my = 0
  for (const q of p) {
    mx += q[0]
    my += q[1]
  }
  mx /= p.length
  my /= p.length
  let d = 0
  for (const q of p) d += (q[0] - mx) ** 2 + (q[1] - my) ** 2
  const s = Math.sqrt(d / p.length) || 1
  return { f: (q) => [(q[0] - mx) / s, (q[1] - my) / s], s }
}

/**
 * Residuals (in units of dst's RMS spread) of the least-squares homography from src to dst
 * (linearised: h33 = 1, algebraic error). Returns null when too few points or a singular fit.
 */
export function homographyResiduals(src: readonly Pt[], dst: readonly Pt[]): number[] | null {
  const n = Math.min(src.length, dst.length)
  if (n < 8) return null
  const ns = normaliser(src.slice(0, n))
  const nd = normaliser(dst.slice(0, n))
  const A: number[][] = Array.from({ length: 8 }, () => new Array(8).fill(0))
  const b = new Array(8).fill(0)
  const S = src.slice(0, n).map(ns.f)
  const D = dst.slice(0, n).map(nd.f)
  for (let i = 0; i < n; i++) {
    const [x, y] = S[i]!
    const [u, v] = D[i]!
    const r1 = [x, y, 1, 0, 0, 0, -u * x, -u * y]
    const r2 = [0, 0, 0, x, y, 1, -v * x, -v * y]
    for (let j = 0; j < 8; j++) {
      b[j] += r1[j]! * u + r2[j]! * v
      for (let k = 0; k < 8; k++) A[j]![k]! += r1[j]! * r1[k]! + r2[j]! * r2[k]!
    }
  }
  const h = solveLinear(A, b)
  if (!h) return null
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const [x, y] = S[i]!
    const w = h[6]! * x + h[7]! * y + 1
    const u = (h[0]! * x + h[1]! * y + h[2]!) / w
    const v = (h[3]! * x + h[4]! * y + h[5]!) / w
    out.push(Math.hypot(u - D[i]![0], v - D[i]![1]))
  }
  return out
}

export function percentile(v: number[], q: number): number {
  if (!v.length) return NaN
  const s = [...v].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}
