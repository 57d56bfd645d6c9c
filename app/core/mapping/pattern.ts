export const placeholders = ['project', 'stage', 'service'] as const
export type Placeholder = typeof placeholders[number]
export type Captures = Partial<Record<Placeholder, string>>

export interface CompiledPattern {
  source: string
  /** The placeholders this pattern captures, each once. */
  captures: Placeholder[]
  match (value: string): Captures | undefined
}

export class PatternError extends Error {
  override name = 'PatternError'
}

// Kubernetes names are at most 253 characters; refusing longer input bounds the backtracking a
// pattern with several lazy groups can do on a value that came over the wire.
const MAX_VALUE = 253

/**
 * Compiles a match pattern once: `*` matches any run of characters (possibly none), `{project}`
 * `{stage}` `{service}` capture a non-empty run, everything else matches itself, case-sensitively.
 * Captures and `*` are lazy, left to right, so `{project}-{stage}` against `podtato-prod-eu` gives
 * project `podtato`, stage `prod-eu`. A placeholder used twice must capture the same text.
 */
export function compilePattern (source: string): CompiledPattern {
  const captures: Placeholder[] = []
  let regex = ''
  for (const part of source.split(/(\{[^{}]*\}|\*+)/)) {
    if (part.startsWith('*')) {
      regex += '.*?'
    } else if (part.startsWith('{') && part.endsWith('}')) {
      const name = part.slice(1, -1)
      if (!isPlaceholder(name)) throw new PatternError(`unknown placeholder {${name}} (use {project}, {stage} or {service})`)
      if (captures.includes(name)) {
        regex += `\\k<${name}>`
      } else {
        captures.push(name)
        regex += `(?<${name}>.+?)`
      }
    } else {
      regex += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    }
  }
  const compiled = new RegExp(`^${regex}$`, 's')
  return {
    source,
    captures,
    match (value) {
      if (typeof value !== 'string' || value.length > MAX_VALUE) return undefined
      const found = compiled.exec(value)
      return found ? { ...found.groups } : undefined
    }
  }
}

function isPlaceholder (name: string): name is Placeholder {
  return (placeholders as readonly string[]).includes(name)
}
