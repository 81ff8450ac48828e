/** zh-CN and English, from the browser's language unless the person switched (kept in localStorage). */
export type Lang = 'zh' | 'en'
export type Bi = { zh: string; en: string }
export type Bi0 = { zh: string | null; en: string | null }

const KEY = 'shiren.lang'

export function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(KEY)
    if (saved === 'zh' || saved === 'en') return saved
  } catch {
    /* storage blocked (private mode, in-app browsers): fall back to the browser language */
  }
  const forced = new URLSearchParams(location.search).get('lang')
  if (forced === 'zh' || forced === 'en') return forced
  const langs = navigator.languages?.length ? navigator.languages : [navigator.language]
  return langs.some((l) => /^zh/i.test(l ?? '')) ? 'zh' : 'en'
}

export function saveLang(l: Lang): void {
  try {
    localStorage.setItem(KEY, l)
  } catch {
    /* see initialLang */
  }
}

/** Pick the text of a bilingual value, falling back to the other language when one side is empty. */
export function pick(b: Bi | Bi0 | null | undefined, lang: Lang): string {
  if (!b) return ''
  return (lang === 'zh' ? b.zh || b.en : b.en || b.zh) ?? ''
}

/** Element builder: text always goes through textContent, never HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Array<Node | string | null | undefined | false>
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    if (k === 'class') el.className = String(v)
    else el.setAttribute(k, v === true ? '' : v)
  }
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'string' ? document.createTextNode(c) : c)
  return el
}
