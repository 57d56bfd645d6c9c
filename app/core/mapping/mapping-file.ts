import { readFileSync } from 'node:fs'
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml'
import type { Mapping, Resolver } from './types.js'
import { compilePattern, placeholders, type CompiledPattern, type Placeholder } from './pattern.js'
import { isKeptnName } from './keptn-name.js'

export class MappingFileError extends Error {
  readonly code = 'MAPPING_FILE_INVALID'
}

const matchKeys = ['kind', 'namespace', 'name'] as const
const ruleKeys = ['match', ...placeholders, 'sequence'] as const

export interface MappingRule {
  line: number
  match: Partial<Record<typeof matchKeys[number], CompiledPattern>>
  fixed: Partial<Record<Placeholder | 'sequence', string>>
}

/** Parses MAPPING_FILE rules; every error names the file, the line and the reason. */
export function parseMappingRules (text: string, fileName: string): MappingRule[] {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false })
  const lineOf = (node: Node | null | undefined) => lines.linePos(node?.range?.[0] ?? 0).line
  const fail = (line: number, reason: string): never => { throw new MappingFileError(`${fileName}:${line}: ${reason}`) }
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!
    fail(lines.linePos(error.pos[0]).line, `not valid YAML: ${error.message.split('\n')[0]}`)
  }
  const rules = isMap(doc.contents) ? doc.contents.get('rules', true) : undefined
  if (!isSeq(rules)) return fail(lineOf(doc.contents as Node), '`rules:` must be a list of rules')
  return rules.items.map((item, index) => {
    const line = lineOf(item as Node)
    const where = `rule ${index + 1}`
    if (!isMap(item)) return fail(line, `${where} must be a map with a \`match:\``)
    const rule: MappingRule = { line, match: {}, fixed: {} }
    for (const pair of item.items) {
      const key = String((pair.key as { value?: unknown })?.value ?? pair.key)
      if (!(ruleKeys as readonly string[]).includes(key)) fail(lineOf(pair.key as Node), `${where}: unknown key "${key}" (allowed: ${ruleKeys.join(', ')})`)
      if (key === 'match') continue
      const value = (pair.value as { value?: unknown })?.value
      if (typeof value !== 'string' || !isKeptnName(value)) fail(lineOf(pair.value as Node), `${where}: ${key} must be a Keptn name (lower-case letters, digits, -)`)
      rule.fixed[key as Placeholder] = value as string
    }
    const match = item.get('match', true)
    if (!isMap(match)) return fail(line, `${where} needs a \`match:\` map`)
    for (const pair of match.items) {
      const key = String((pair.key as { value?: unknown })?.value ?? pair.key)
      if (!(matchKeys as readonly string[]).includes(key)) fail(lineOf(pair.key as Node), `${where}: unknown match key "${key}" (allowed: ${matchKeys.join(', ')})`)
      const value = (pair.value as { value?: unknown })?.value
      if (typeof value !== 'string' || value === '') fail(lineOf(pair.value as Node), `${where}: match.${key} must be a non-empty string`)
      try {
        rule.match[key as typeof matchKeys[number]] = compilePattern(value as string)
      } catch (err) {
        fail(lineOf(pair.value as Node), `${where}: match.${key}: ${(err as Error).message}`)
      }
    }
    const captured = new Set(Object.values(rule.match).flatMap(p => p.captures))
    for (const name of placeholders) {
      if (!captured.has(name) && !rule.fixed[name]) fail(line, `${where} can never give a ${name}: capture {${name}} or set ${name}:`)
    }
    return rule
  })
}

export function loadMappingFile (path: string): MappingRule[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new MappingFileError(`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  return parseMappingRules(text, path)
}

/** The first rule that matches the object and yields valid names for all three wins. */
export function fileResolver (rules: MappingRule[]): Resolver {
  return {
    name: 'file',
    resolve ({ object }): Mapping | undefined {
      for (const rule of rules) {
        const captured: Partial<Record<Placeholder, string>> = {}
        let matched = true
        for (const key of matchKeys) {
          const pattern = rule.match[key]
          if (!pattern) continue
          const groups = pattern.match(object[key])
          if (!groups) { matched = false; break }
          for (const [name, value] of Object.entries(groups) as Array<[Placeholder, string]>) {
            if (captured[name] !== undefined && captured[name] !== value) { matched = false; break }
            captured[name] = value
          }
          if (!matched) break
        }
        if (!matched) continue
        const project = rule.fixed.project ?? captured.project
        const stage = rule.fixed.stage ?? captured.stage
        const service = rule.fixed.service ?? captured.service
        if (!project || !stage || !service || ![project, stage, service].every(isKeptnName)) continue
        return { project, stage, service, via: 'file', ...(rule.fixed.sequence ? { sequence: rule.fixed.sequence } : {}) }
      }
      return undefined
    }
  }
}
