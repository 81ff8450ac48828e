import type { Lang } from '../shared/i18n.js'
import type { CKey } from './texts.js'

/**
 * What main.ts hands to the views kept in their own files (rules.ts, audit.ts …): its API client and
 * the small builders every page uses, so that a view needs no more of main.ts than one call.
 */
export interface ConsoleKit {
  root: HTMLElement
  api<R = any>(method: string, path: string, body?: unknown): Promise<R>
  t(k: CKey, vars?: Record<string, string | number>): string
  lang(): Lang
  btn(label: string, onClick: () => void, kind?: string, id?: string): HTMLButtonElement
  field(label: string, input: HTMLElement, hint?: string): HTMLElement
  input(name: string, attrs?: Record<string, string>): HTMLInputElement
  select(name: string, options: Array<[string, string]>, value?: string): HTMLSelectElement
  table(
    head: string[],
    rows: Array<Array<Node | string>>,
    opts?: { id?: string; onRow?: (i: number) => void },
  ): HTMLElement
  notice(text: string, kind?: 'ok' | 'err', id?: string): HTMLElement
  page(title: string, ...children: Array<Node | null>): void
  /** runs a step, showing its error on the page (a 401 has already shown the login) */
  guarded(fn: () => Promise<void>): Promise<void>
  fmtTime(iso: string | null): string
  /** what the language switch redraws */
  setRedraw(fn: () => void): void
}
