import type { Static, TSchema } from '@sinclair/typebox'
import { FormatRegistry } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', value => rfc3339.test(value) && !Number.isNaN(Date.parse(value)))

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
