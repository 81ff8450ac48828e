/** Verification metrics over genuine and impostor scores (higher = more similar). */
export interface VerificationMetrics {
  genuine: number
  impostor: number
  auc: number
  bestAccuracy: number
  bestAccuracyThreshold: number
  tarAtFar: Record<string, { tar: number; threshold: number }>
  tarAtZeroFar: number
  zeroFarThreshold: number
}

export function verificationMetrics(gen: number[], imp: number[], fars = [0.01, 0.001]): VerificationMetrics {
  const g = [...gen].sort((a, b) => a - b)
  const i = [...imp].sort((a, b) => a - b)
  // AUC = P(genuine > impostor) + ½ P(tie)
  let auc = 0
  let j = 0
  let k = 0
  for (const x of g) {
    while (j < i.length && i[j]! < x) j++
    k = j
    while (k < i.length && i[k]! === x) k++
    auc += j + (k - j) / 2
  }
  auc /= g.length * i.length || 1
  // best accuracy over all thresholds (accept when score ≥ t)
  const all = [...new Set([...g, ...i])].sort((a, b) => a - b)
  let best = 0
  let bestT = 0
  let gi = 0 // genuine below t
  let ii = 0 // impostors below t
  for (const t of all) {
    while (gi < g.length && g[gi]! < t) gi++
    while (ii < i.length && i[ii]! < t) ii++
    const acc = (g.length - gi + ii) / (g.length + i.length)
    if (acc > best) {
      best = acc
      bestT = t
    }
  }
  const tarAtFar: Record<string, { tar: number; threshold: number }> = {}
  for (const far of fars) {
    // the smallest threshold whose FAR ≤ far
    const allowed = Math.floor(far * i.length)
    const t = allowed >= i.length ? -Infinity : i[i.length - 1 - allowed]! + 1e-9
    tarAtFar[String(far)] = { tar: g.filter((x) => x >= t).length / g.length, threshold: t }
  }
  const zeroT = i.length ? i[i.length - 1]! + 1e-9 : -Infinity
  return {
    genuine: g.length,
    impostor: i.length,
    auc,
    bestAccuracy: best,
    bestAccuracyThreshold: bestT,
    tarAtFar,
    tarAtZeroFar: g.filter((x) => x >= zeroT).length / g.length,
    zeroFarThreshold: zeroT,
  }
}

/** ROC points (FAR, TAR), one per distinct score, by a single sweep from the highest score down. */
export function rocPoints(gen: number[], imp: number[]): Array<[number, number]> {
  const all = [...gen.map((x) => [x, 1] as const), ...imp.map((x) => [x, 0] as const)].sort((a, b) => b[0] - a[0])
  const pts: Array<[number, number]> = [[0, 0]]
  let tp = 0
  let fp = 0
  for (let n = 0; n < all.length; n++) {
    if (all[n]![1]) tp++
    else fp++
    if (n + 1 === all.length || all[n + 1]![0] !== all[n]![0])
      pts.push([fp / (imp.length || 1), tp / (gen.length || 1)])
  }
  return pts
}
