export const placeholders = ['project', 'stage', 'service'] as const
export type Placeholder = typeof placeholders[number]

export interface CompiledPattern {
  source: string
  captures: Placeholder[]
  match (value: string): Partial<Record<Placeholder, string>> | undefined
}

export class PatternError extends Error {}

/**
 * Compiles a match pattern once: `*` matches any run of characters (possibly none), `{project}`
 * `{stage}` `{service}` capture a non-empty run. Captures are lazy, left to right, so
 * `{project}-{stage}` against `podtato-prod-eu` gives project `podtato`, stage `prod-eu`.
 */
export function compilePattern (source: string): CompiledPattern {
  const captures: Placeholder[] = []
  let regex = ''
  for (const part of source.split(/(\{[^}]*\}|\*)/)) {
    if (part === '*') regex += '.*?'
    else if (part.startsWith('{') && part.endsWith('}')) {
      const name = part.slice(1, -1)
      if (!(placeholders as readonly string[]).includes(name)) throw new PatternError(`unknown placeholder {${name}} (use {project}, {stage} or {service})`)
      if (captures.includes(name as Placeholder)) {
        regex += `\\k<${name}>`
      } else {
        captures.push(name as Placeholder)
        regex += `(?<${name}>.+?)`
      }
    } else regex += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  const compiled = new RegExp(`^${regex}$`, 's')
  return {
    source,
    captures,
    match (value) {
      const found = compiled.exec(value)
      if (!found) return undefined
      return { ...found.groups } as Partial<Record<Placeholder, string>>
    }
  }
}
