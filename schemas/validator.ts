import type { Static, TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import './formats.js'

export type Checked<T> = { ok: true, value: T } | { ok: false, reason: string }

/**
 * A compiled validator that never coerces: a webhook receiver must reject a number where a
 * string belongs, not quietly turn it into one. The reason names the first failing field.
 */
export function compileValidator<S extends TSchema> (schema: S): (value: unknown) => Checked<Static<S>> {
  const check = TypeCompiler.Compile(schema)
  return value => {
    if (check.Check(value)) return { ok: true, value }
    const error = check.Errors(value).First()
    return { ok: false, reason: `${error?.path || '/'}: ${error?.message ?? 'invalid'}` }
  }
}
