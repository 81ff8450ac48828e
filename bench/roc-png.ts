import sharp from 'sharp'

/** Draw ROC curves (log FAR axis) as a PNG through sharp's SVG renderer: no plotting dependency. */
export async function rocPng(
  curves: Array<{ label: string; colour: string; points: Array<[number, number]> }>,
  marks: Array<{ far: number; label: string }>,
  title: string,
): Promise<Buffer> {
  const W = 760
  const H = 520
  const L = 70
  const R = 20
  const T = 40
  const B = 60
  const minLog = -5
  const x = (far: number) => L + ((Math.log10(Math.max(far, 10 ** minLog)) - minLog) / -minLog) * (W - L - R)
  const yMin = 0.8
  const y = (tar: number) => T + (1 - (Math.max(tar, yMin) - yMin) / (1 - yMin)) * (H - T - B)
  const parts: string[] = []
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`)
  parts.push(`<text x="${W / 2}" y="24" font-family="sans-serif" font-size="16" text-anchor="middle">${title}</text>`)
  for (let e = minLog; e <= 0; e++) {
    parts.push(`<line x1="${x(10 ** e)}" y1="${T}" x2="${x(10 ** e)}" y2="${H - B}" stroke="#ddd"/>`)
    parts.push(
      `<text x="${x(10 ** e)}" y="${H - B + 18}" font-family="sans-serif" font-size="12" text-anchor="middle">1e${e}</text>`,
    )
  }
  for (let t = yMin; t <= 1.0001; t += 0.05) {
    parts.push(`<line x1="${L}" y1="${y(t)}" x2="${W - R}" y2="${y(t)}" stroke="#ddd"/>`)
    parts.push(
      `<text x="${L - 8}" y="${y(t) + 4}" font-family="sans-serif" font-size="12" text-anchor="end">${t.toFixed(2)}</text>`,
    )
  }
  for (const m of marks) {
    parts.push(`<line x1="${x(m.far)}" y1="${T}" x2="${x(m.far)}" y2="${H - B}" stroke="#999" stroke-dasharray="4 3"/>`)
    parts.push(
      `<text x="${x(m.far) + 3}" y="${T + 12}" font-family="sans-serif" font-size="11" fill="#555">${m.label}</text>`,
    )
  }
  parts.push(
    `<text x="${(L + W - R) / 2}" y="${H - 18}" font-family="sans-serif" font-size="13" text-anchor="middle">false accept rate (log)</text>`,
  )
  parts.push(
    `<text x="18" y="${(T + H - B) / 2}" font-family="sans-serif" font-size="13" text-anchor="middle" transform="rotate(-90 18 ${(T + H - B) / 2})">true accept rate</text>`,
  )
  curves.forEach((c, i) => {
    // step curve; FAR 0 drawn at the left edge
    const pts = c.points.map(([f, t]) => `${x(f).toFixed(1)},${y(t).toFixed(1)}`).join(' ')
    parts.push(`<polyline fill="none" stroke="${c.colour}" stroke-width="2" points="${pts}"/>`)
    parts.push(`<rect x="${L + 12}" y="${H - B - 24 - i * 18}" width="14" height="4" fill="${c.colour}"/>`)
    parts.push(
      `<text x="${L + 32}" y="${H - B - 18 - i * 18}" font-family="sans-serif" font-size="12">${c.label}</text>`,
    )
  })
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${parts.join('')}</svg>`
  return sharp(Buffer.from(svg)).png().toBuffer()
}
