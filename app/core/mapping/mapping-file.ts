import { readFileSync } from 'node:fs'
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Pair } from 'yaml'
import type { ObjectRef } from '../types.js'
import type { Mapping, Resolver } from './types.js'
import { compilePattern, placeholders, type Captures, type CompiledPattern } from './pattern.js'
import { isKeptnName } from './keptn-name.js'

export class MappingFileError extends Error {
  readonly code = 'MAPPING_FILE_INVALID'
  override name = 'MappingFileError'
}

const matchKeys = ['kind', 'namespace', 'name'] as const
const fixedKeys = [...placeholders, 'sequence'] as const
type MatchKey = typeof matchKeys[number]
type FixedKey = typeof fixedKeys[number]

export interface MappingRule {
  /** Where the rule starts in the file. */
  line: number
  match: Partial<Record<MatchKey, CompiledPattern>>
  /** Fixed values; where a capture gives the same field, the fixed value wins. */
  fixed: Partial<Record<FixedKey, string>>
}
export type MappingRules = MappingRule[]

const keptnNameRule = 'lower-case letters, digits and -, starting with a letter'
const keyOf = (pair: Pair): string => String(isScalar(pair.key) ? pair.key.value : pair.key)
const oneOf = <T extends string>(list: readonly T[], value: string): value is T => (list as readonly string[]).includes(value)

/** Parses MAPPING_FILE text; every error names the file, the line and the reason. */
export function parseMappingRules (text: string, fileName: string): MappingRules {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false })
  const lineOf = (...nodes: unknown[]): number => {
    for (const node of nodes) {
      const range = (node as { range?: [number, number, number] } | null)?.range
      if (range) return lines.linePos(range[0]).line
    }
    return 1
  }
  const problem = (line: number, reason: string) => new MappingFileError(`${fileName}:${line}: ${reason}`)

  const syntax = doc.errors[0]
  if (syntax) throw problem(lines.linePos(syntax.pos[0]).line, `not valid YAML: ${syntax.message.split('\n')[0]}`)
  const top = doc.contents
  if (!isMap(top)) throw problem(lineOf(top), 'expected a map with a `rules:` list')
  for (const pair of top.items) {
    if (keyOf(pair) !== 'rules') throw problem(lineOf(pair.key), `unknown key "${keyOf(pair)}" (the file holds only \`rules:\`)`)
  }
  const rulesPair = top.items[0]
  if (!rulesPair) throw problem(lineOf(top), 'no `rules:` list')
  if (!isSeq(rulesPair.value)) throw problem(lineOf(rulesPair.value, rulesPair.key), '`rules:` must be a list of rules')

  return rulesPair.value.items.map((item, index) => {
    const where = `rule ${index + 1}`
    if (!isMap(item)) throw problem(lineOf(item), `${where} must be a map with a \`match:\``)
    const rule: MappingRule = { line: lineOf(item), match: {}, fixed: {} }
    let matchPair: Pair | undefined
    for (const pair of item.items) {
      const key = keyOf(pair)
      if (key === 'match') {
        matchPair = pair
        continue
      }
      if (!oneOf(fixedKeys, key)) throw problem(lineOf(pair.key), `${where}: unknown key "${key}" (allowed: match, ${fixedKeys.join(', ')})`)
      const value = isScalar(pair.value) ? pair.value.value : undefined
      if (!isKeptnName(value)) throw problem(lineOf(pair.value, pair.key), `${where}: ${key} must be a Keptn name (${keptnNameRule}), got ${JSON.stringify(value ?? null)}`)
      rule.fixed[key] = value
    }
    if (!matchPair) throw problem(rule.line, `${where} has no \`match:\``)
    if (!isMap(matchPair.value)) throw problem(lineOf(matchPair.value, matchPair.key), `${where}: \`match:\` must be a map of ${matchKeys.join(', ')}`)
    for (const pair of matchPair.value.items) {
      const key = keyOf(pair)
      if (!oneOf(matchKeys, key)) throw problem(lineOf(pair.key), `${where}: unknown match key "${key}" (allowed: ${matchKeys.join(', ')})`)
      const value = isScalar(pair.value) ? pair.value.value : undefined
      if (typeof value !== 'string' || value === '') throw problem(lineOf(pair.value, pair.key), `${where}: match.${key} must be a non-empty string (quote numbers)`)
      try {
        rule.match[key] = compilePattern(value)
      } catch (err) {
        throw problem(lineOf(pair.value), `${where}: match.${key}: ${(err as Error).message}`)
      }
    }
    const captured = new Set(Object.values(rule.match).flatMap(pattern => pattern.captures))
    for (const field of placeholders) {
      if (!captured.has(field) && !rule.fixed[field]) throw problem(rule.line, `${where} can never give a ${field}: capture {${field}} in match or set ${field}:`)
    }
    return rule
  })
}

/** Reads and parses MAPPING_FILE at start-up; a bad file throws MappingFileError. */
export function loadMappingFile (path: string): MappingRules {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException
    throw new MappingFileError(`${path}: cannot read: ${code ?? message}`)
  }
  return parseMappingRules(text, path)
}

/** The first rule that matches the object and yields valid Keptn names for all three wins. */
export function fileResolver (rules: MappingRules): Resolver {
  return {
    name: 'file',
    resolve ({ object }) {
      for (const rule of rules) {
        const mapping = applyRule(rule, object)
        if (mapping) return mapping
      }
      return undefined
    }
  }
}

function applyRule (rule: MappingRule, object: ObjectRef): Mapping | undefined {
  const captured: Captures = {}
  for (const key of matchKeys) {
    const pattern = rule.match[key]
    if (!pattern) continue
    const groups = pattern.match(object[key] ?? '')
    if (!groups) return undefined
    for (const name of pattern.captures) {
      if (captured[name] !== undefined && captured[name] !== groups[name]) return undefined
      captured[name] = groups[name]
    }
  }
  const project = rule.fixed.project ?? captured.project
  const stage = rule.fixed.stage ?? captured.stage
  const service = rule.fixed.service ?? captured.service
  if (!isKeptnName(project) || !isKeptnName(stage) || !isKeptnName(service)) return undefined
  const { sequence } = rule.fixed
  return { project, stage, service, via: 'file', ...(sequence ? { sequence } : {}) }
}
