import type { IdCardStep, Rule } from '../apps/index.js'
import type { Store } from '../storage/index.js'
import type { Verification } from './types.js'

// Apart from idcard-step.ts so that the verification service can ask for the status without
// importing the card step (which itself depends on the service).

export type CardSide = 'front' | 'back'

export interface CardStepStatus {
  step: IdCardStep
  /** the sides the rule asks for, in the order the page asks for them */
  needed: CardSide[]
  /** sides read and accepted */
  done: CardSide[]
  /** the side to capture now; null when the step is complete (or there is none) */
  next: CardSide | null
}

export function sidesOf(step: IdCardStep): CardSide[] {
  return step === 'both' ? ['front', 'back'] : step === 'front' ? ['front'] : []
}

/** Whether the rule's card step is complete: every side it asks for was read and accepted. */
export async function cardStepStatus(
  store: Store,
  v: Pick<Verification, 'id'>,
  rule: Pick<Rule, 'idcardStep'>,
): Promise<CardStepStatus> {
  const needed = sidesOf(rule.idcardStep)
  if (!needed.length) return { step: rule.idcardStep, needed, done: [], next: null }
  const rows = await store.idcards.listFor(v.id)
  const done = needed.filter((side) => rows.some((r) => r.side === side && r.reason === 'PASS'))
  return { step: rule.idcardStep, needed, done, next: needed.find((s) => !done.includes(s)) ?? null }
}
