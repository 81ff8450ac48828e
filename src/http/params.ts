import { TypeCompiler } from '@sinclair/typebox/compiler'
import { ValueErrorType } from '@sinclair/typebox/errors'
import type { TSchema, Static } from '@sinclair/typebox'

export interface ParamProblem {
  kind: 'missing' | 'type' | 'value'
  field: string
  message: string
}

/**
 * Compiles a TypeBox schema once and reports the first problem the way each API family needs it:
 * missing, wrong type, or a value out of range, naming the field (never echoing its value).
 */
export function paramChecker<T extends TSchema>(schema: T) {
  const compiled = TypeCompiler.Compile(schema)
  return (value: unknown): { ok: true; value: Static<T> } | { ok: false; problem: ParamProblem } => {
    if (compiled.Check(value)) return { ok: true, value: value as Static<T> }
    const first = compiled.Errors(value).First()
    const field = first ? first.path.replace(/^\//, '').replace(/\//g, '.') : ''
    if (!first) return { ok: false, problem: { kind: 'type', field, message: 'the request is invalid' } }
    if (first.type === ValueErrorType.ObjectRequiredProperty) {
      return { ok: false, problem: { kind: 'missing', field, message: `The parameter \`${field}\` is required.` } }
    }
    const typeErrors = new Set([
      ValueErrorType.String,
      ValueErrorType.Number,
      ValueErrorType.Integer,
      ValueErrorType.Boolean,
      ValueErrorType.Object,
      ValueErrorType.Array,
    ])
    if (typeErrors.has(first.type)) {
      return {
        ok: false,
        problem: { kind: 'type', field, message: `The parameter \`${field}\` has the wrong type: ${first.message}.` },
      }
    }
    return {
      ok: false,
      problem: { kind: 'value', field, message: `The value of \`${field}\` is invalid: ${first.message}.` },
    }
  }
}

/** Strict RFC 4648 base64 with padding; returns null for anything else (no silent skipping of junk). */
export function decodeBase64Strict(s: string): Buffer | null {
  const clean = s.replace(/^data:[a-z/+.-]+;base64,/i, '')
  if (clean.length === 0 || clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(clean)) return null
  return Buffer.from(clean, 'base64')
}
