// A small Go-template renderer for the charts in deploy/, so tests can render them without the
// helm binary. It implements the subset the charts use, with Go's semantics where it matters:
//   - `{{- ` / ` -}}` trim all white space (spaces, tabs, newlines) before / after the action;
//   - if / else if / else / with / range (lists and maps, maps in key order) / define / include;
//   - variables ($, $x := …, $k, $v := …), pipelines, parenthesised sub-expressions;
//   - truthiness: false, 0, nil, "" and empty lists/maps are false;
//   - a field of a missing map key is nil; a field of nil is an error (as in helm);
//   - nil prints as "" (helm removes "<no value>"); printing a map or list is an error here.
// Functions: the sprig/helm ones the charts use (see `functions`). Anything else is an error, so
// a template that uses an unsupported function fails the test instead of rendering wrongly.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml, parseAllDocuments as yamlAll, stringify } from 'yaml'

type Value = unknown
/** A parsed Kubernetes object (loosely typed: tests walk into it freely). */
export type Doc = Record<string, any>
type Scope = Array<Map<string, Value>>

interface TextNode { kind: 'text', text: string }
interface ActionNode { kind: 'action', pipe: Pipeline, line: number }
interface IfNode { kind: 'if', branches: Array<{ cond: Pipeline, body: Node[] }>, otherwise: Node[] }
interface WithNode { kind: 'with', pipe: Pipeline, body: Node[], otherwise: Node[] }
interface RangeNode { kind: 'range', pipe: Pipeline, keyVar?: string, valueVar?: string, body: Node[], otherwise: Node[] }
type Node = TextNode | ActionNode | IfNode | WithNode | RangeNode

interface Pipeline { decl?: string[], assign?: string, commands: Command[], source: string }
type Command = Operand[]
type Operand =
  | { t: 'lit', v: Value }
  | { t: 'field', path: string[] }
  | { t: 'var', name: string, path: string[] }
  | { t: 'fn', name: string }
  | { t: 'sub', pipe: Pipeline, path: string[] }

export class TemplateError extends Error {
  override name = 'TemplateError'
}

// ---------------------------------------------------------------------------- lexing and parsing

interface RawAction { body: string, line: number }
type Piece = { text: string } | RawAction

function lex (src: string, file: string): Piece[] {
  const pieces: Piece[] = []
  const re = /\{\{(-[ \t\r\n])?([\s\S]*?)([ \t\r\n]-)?\}\}/g
  let last = 0
  let trimNext = false
  for (let m = re.exec(src); m; m = re.exec(src)) {
    let text = src.slice(last, m.index)
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '')
    if (m[1]) text = text.replace(/[ \t\r\n]+$/, '')
    pieces.push({ text })
    const line = src.slice(0, m.index).split('\n').length
    const body = (m[2] ?? '').trim()
    if (body.includes('{{')) throw new TemplateError(`${file}:${line}: unterminated action`)
    pieces.push({ body, line })
    trimNext = Boolean(m[3])
    last = m.index + m[0].length
  }
  let tail = src.slice(last)
  if (trimNext) tail = tail.replace(/^[ \t\r\n]+/, '')
  pieces.push({ text: tail })
  return pieces
}

type Token = { t: 'str' | 'num' | 'ident' | 'field' | 'var' | 'punct', v: string, spaced?: boolean }

function tokenize (src: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < src.length) {
    const rest = src.slice(i)
    let m: RegExpExecArray | null
    if ((m = /^\s+/.exec(rest))) {
      i += m[0].length
      if (i < src.length) tokens.push({ t: 'punct', v: ' ' })
      continue
    }
    if ((m = /^"(?:\\.|[^"\\])*"/.exec(rest))) { tokens.push({ t: 'str', v: JSON.parse(m[0]) as string }); i += m[0].length; continue }
    if ((m = /^`[^`]*`/.exec(rest))) { tokens.push({ t: 'str', v: m[0].slice(1, -1) }); i += m[0].length; continue }
    if ((m = /^-?\d+(\.\d+)?/.exec(rest))) { tokens.push({ t: 'num', v: m[0] }); i += m[0].length; continue }
    if ((m = /^:=|^[()|,=]/.exec(rest))) { tokens.push({ t: 'punct', v: m[0] }); i += m[0].length; continue }
    if ((m = /^\$[A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(rest))) { tokens.push({ t: 'var', v: m[0] }); i += m[0].length; continue }
    if ((m = /^(\.[A-Za-z_][A-Za-z0-9_]*)+|^\./.exec(rest))) { tokens.push({ t: 'field', v: m[0] }); i += m[0].length; continue }
    if ((m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest))) { tokens.push({ t: 'ident', v: m[0] }); i += m[0].length; continue }
    throw new TemplateError(`cannot read "${rest.slice(0, 20)}"`)
  }
  // white space matters only between `)` and a field: `(x).a` is a field of x, `(x) .a` is not
  return tokens.flatMap((tok, n) => {
    if (tok.v === ' ' && tok.t === 'punct') return []
    return [{ ...tok, spaced: tokens[n - 1]?.v === ' ' && tokens[n - 1]?.t === 'punct' }]
  })
}

const pathOf = (chain: string): string[] => chain.split('.').filter(Boolean)

function parsePipeline (src: string, allowDecl = true): Pipeline {
  const tokens = tokenize(src)
  let pos = 0
  const pipe: Pipeline = { commands: [], source: src }
  // `$x := …`, `$k, $v := …` (range), `$x = …`
  if (allowDecl) {
    const vars: string[] = []
    let j = 0
    while (tokens[j]?.t === 'var' && !tokens[j]!.v.includes('.')) {
      vars.push(tokens[j]!.v)
      j++
      if (tokens[j]?.v === ',') { j++; continue }
      break
    }
    if (vars.length > 0 && tokens[j]?.v === ':=') { pipe.decl = vars; pos = j + 1 } else if (vars.length === 1 && tokens[j]?.v === '=') { pipe.assign = vars[0]; pos = j + 1 }
  }
  const parseOperands = (stopAtParen: boolean): Command[] => {
    const commands: Command[] = [[]]
    while (pos < tokens.length) {
      const tok = tokens[pos]!
      if (tok.v === ')' && tok.t === 'punct') {
        if (!stopAtParen) throw new TemplateError(`unexpected ) in "${src}"`)
        return commands
      }
      pos++
      if (tok.t === 'punct' && tok.v === '|') { commands.push([]); continue }
      const current = commands[commands.length - 1]!
      if (tok.t === 'str') current.push({ t: 'lit', v: tok.v })
      else if (tok.t === 'num') current.push({ t: 'lit', v: Number(tok.v) })
      else if (tok.t === 'field') current.push({ t: 'field', path: pathOf(tok.v) })
      else if (tok.t === 'var') {
        const [name, ...path] = tok.v.split('.')
        current.push({ t: 'var', name: name!, path })
      } else if (tok.t === 'ident') {
        if (tok.v === 'true' || tok.v === 'false') current.push({ t: 'lit', v: tok.v === 'true' })
        else if (tok.v === 'nil') current.push({ t: 'lit', v: null })
        else current.push({ t: 'fn', name: tok.v })
      } else if (tok.v === '(') {
        const inner = parseOperands(true)
        if (tokens[pos]?.v !== ')') throw new TemplateError(`missing ) in "${src}"`)
        pos++
        let path: string[] = []
        if (tokens[pos]?.t === 'field' && !tokens[pos]!.spaced && tokens[pos]!.v !== '.') { path = pathOf(tokens[pos]!.v); pos++ }
        current.push({ t: 'sub', pipe: { commands: inner, source: src }, path })
      } else {
        throw new TemplateError(`unexpected "${tok.v}" in "${src}"`)
      }
    }
    if (stopAtParen) throw new TemplateError(`missing ) in "${src}"`)
    return commands
  }
  pipe.commands = parseOperands(false)
  if (pipe.commands.some(c => c.length === 0)) throw new TemplateError(`empty command in "${src}"`)
  return pipe
}

interface Parsed { nodes: Node[], defines: Map<string, Node[]> }

function parse (src: string, file: string): Parsed {
  const pieces = lex(src, file)
  const defines = new Map<string, Node[]>()
  let i = 0
  // Parses until one of the stop keywords; returns the nodes and the keyword action that stopped it.
  const parseList = (stops: string[]): { nodes: Node[], stop?: RawAction } => {
    const nodes: Node[] = []
    while (i < pieces.length) {
      const piece = pieces[i++]!
      if ('text' in piece) {
        if (piece.text) nodes.push({ kind: 'text', text: piece.text })
        continue
      }
      const { body, line } = piece
      const where = `${file}:${line}`
      if (body.startsWith('/*')) {
        if (!body.endsWith('*/')) throw new TemplateError(`${where}: unterminated comment`)
        continue
      }
      const keyword = /^(if|else if|else|end|range|with|define|template|block)\b/.exec(body)?.[1]
      if (keyword && stops.includes(keyword)) return { nodes, stop: piece }
      try {
        switch (keyword) {
          case undefined:
            nodes.push({ kind: 'action', pipe: parsePipeline(body), line })
            break
          case 'if': {
            const node: IfNode = { kind: 'if', branches: [], otherwise: [] }
            let cond = parsePipeline(body.slice(2), false)
            for (;;) {
              const { nodes: inner, stop } = parseList(['else if', 'else', 'end'])
              node.branches.push({ cond, body: inner })
              const kw = stop ? /^(else if|else|end)/.exec(stop.body)![1] : undefined
              if (kw === 'else if') { cond = parsePipeline(stop!.body.slice(7), false); continue }
              if (kw === 'else') node.otherwise = expectEnd(parseList(['end']), where)
              else if (kw !== 'end') throw new TemplateError(`${where}: missing {{ end }}`)
              break
            }
            nodes.push(node)
            break
          }
          case 'with': {
            const pipe = parsePipeline(body.slice(4), false)
            const { nodes: inner, stop } = parseList(['else', 'end'])
            const otherwise = stop?.body === 'else' ? expectEnd(parseList(['end']), where) : (stop ? [] : missingEnd(where))
            nodes.push({ kind: 'with', pipe, body: inner, otherwise })
            break
          }
          case 'range': {
            const pipe = parsePipeline(body.slice(5))
            const decl = pipe.decl ?? []
            delete pipe.decl
            const { nodes: inner, stop } = parseList(['else', 'end'])
            const otherwise = stop?.body === 'else' ? expectEnd(parseList(['end']), where) : (stop ? [] : missingEnd(where))
            const node: RangeNode = { kind: 'range', pipe, body: inner, otherwise }
            if (decl.length === 2) { node.keyVar = decl[0]; node.valueVar = decl[1] } else if (decl.length === 1) node.valueVar = decl[0]
            nodes.push(node)
            break
          }
          case 'define': {
            const name = /^define\s+"([^"]+)"$/.exec(body)?.[1]
            if (!name) throw new TemplateError(`${where}: bad define`)
            defines.set(name, expectEnd(parseList(['end']), where))
            break
          }
          default:
            throw new TemplateError(`${where}: "${keyword}" is not supported here`)
        }
      } catch (err) {
        if (err instanceof TemplateError && !err.message.startsWith(file)) throw new TemplateError(`${where}: ${err.message}`)
        throw err
      }
    }
    return { nodes }
  }
  const expectEnd = (r: { nodes: Node[], stop?: RawAction }, where: string): Node[] => {
    if (r.stop?.body !== 'end') throw new TemplateError(`${where}: missing {{ end }}`)
    return r.nodes
  }
  const missingEnd = (where: string): never => { throw new TemplateError(`${where}: missing {{ end }}`) }
  const { nodes, stop } = parseList([])
  if (stop) throw new TemplateError(`${file}:${stop.line}: unexpected {{ ${stop.body} }}`)
  // an {{ end }} or {{ else }} with nothing open surfaces as "not supported" above
  return { nodes, defines }
}

// ---------------------------------------------------------------------------- evaluation

const isMap = (v: Value): v is Record<string, Value> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function truthy (v: Value): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false
  if (Array.isArray(v)) return v.length > 0
  if (isMap(v)) return Object.keys(v).length > 0
  return true
}

function field (v: Value, path: string[], shown: string): Value {
  let cur = v
  for (const [n, key] of path.entries()) {
    if (cur === null || cur === undefined) throw new TemplateError(`nil pointer evaluating ${shown}: .${path.slice(0, n).join('.')} is nil`)
    if (!isMap(cur)) throw new TemplateError(`can't evaluate field ${key} in ${shown}: not a map`)
    cur = Object.hasOwn(cur, key) ? cur[key] : undefined
  }
  return cur
}

function toYaml (v: Value): string {
  if (v === undefined || v === null) return 'null'
  return stringify(v, { sortMapEntries: true, indentSeq: false, lineWidth: 0 }).replace(/\n$/, '')
}

function printf (format: string, ...args: Value[]): string {
  let n = 0
  return format.replace(/%([svdq%])/g, (_, verb: string) => {
    if (verb === '%') return '%'
    const arg = args[n++]
    if (verb === 'q') return JSON.stringify(String(arg))
    return print(arg)
  })
}

function print (v: Value): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'object') throw new TemplateError(`refusing to print a ${Array.isArray(v) ? 'list' : 'map'} (use toYaml): ${JSON.stringify(v)}`)
  return String(v)
}

function compare (a: Value, b: Value, op: string): boolean {
  if (typeof a !== typeof b) throw new TemplateError(`incompatible types for comparison: ${op} ${JSON.stringify(a)} ${JSON.stringify(b)}`)
  if (op === 'gt') return (a as number) > (b as number)
  if (op === 'ge') return (a as number) >= (b as number)
  if (op === 'lt') return (a as number) < (b as number)
  return (a as number) <= (b as number)
}

export interface Release { Name: string, Namespace: string, Service: string, IsInstall: boolean, IsUpgrade: boolean }

export class Renderer {
  private readonly defines = new Map<string, Node[]>()

  /** `files`: name → template text; the defines of every file are visible to every other. */
  constructor (private readonly files: Map<string, string>) {
    for (const [name, text] of files) {
      for (const [def, body] of parse(text, name).defines) this.defines.set(def, body)
    }
  }

  render (name: string, data: Value): string {
    const text = this.files.get(name)
    if (text === undefined) throw new TemplateError(`no template ${name}`)
    return this.exec(parse(text, name).nodes, data, [new Map([['$', data]])])
  }

  private exec (nodes: Node[], dot: Value, scope: Scope): string {
    let out = ''
    for (const node of nodes) {
      switch (node.kind) {
        case 'text':
          out += node.text
          break
        case 'action': {
          const v = this.pipeline(node.pipe, dot, scope)
          if (!node.pipe.decl && !node.pipe.assign) out += print(v)
          break
        }
        case 'if': {
          const branch = node.branches.find(b => truthy(this.pipeline(b.cond, dot, scope)))
          out += this.exec(branch ? branch.body : node.otherwise, dot, [...scope, new Map()])
          break
        }
        case 'with': {
          const v = this.pipeline(node.pipe, dot, scope)
          out += truthy(v) ? this.exec(node.body, v, [...scope, new Map()]) : this.exec(node.otherwise, dot, [...scope, new Map()])
          break
        }
        case 'range': {
          const v = this.pipeline(node.pipe, dot, scope)
          const entries: Array<[Value, Value]> = Array.isArray(v)
            ? v.map((item, index) => [index, item])
            : isMap(v)
              ? Object.keys(v).sort().map(k => [k, v[k]])
              : (v === null || v === undefined ? [] : fail(`range over ${typeof v}`))
          if (entries.length === 0) { out += this.exec(node.otherwise, dot, [...scope, new Map()]); break }
          for (const [key, item] of entries) {
            const vars = new Map<string, Value>()
            if (node.keyVar) vars.set(node.keyVar, key)
            if (node.valueVar) vars.set(node.valueVar, item)
            out += this.exec(node.body, item, [...scope, vars])
          }
          break
        }
      }
    }
    return out
  }

  private pipeline (pipe: Pipeline, dot: Value, scope: Scope): Value {
    let value: Value
    let piped = false
    for (const command of pipe.commands) {
      value = this.command(command, dot, scope, piped ? [value] : [], pipe.source)
      piped = true
    }
    if (pipe.decl) scope[scope.length - 1]!.set(pipe.decl[0]!, value)
    if (pipe.assign) {
      const frame = [...scope].reverse().find(f => f.has(pipe.assign!))
      if (!frame) throw new TemplateError(`undefined variable ${pipe.assign}`)
      frame.set(pipe.assign, value)
    }
    return value
  }

  private command (command: Command, dot: Value, scope: Scope, piped: Value[], source: string): Value {
    const [head, ...rest] = command
    if (head!.t === 'fn') {
      const args = rest.map(op => this.operand(op, dot, scope, source))
      return this.call(head!.name, [...args, ...piped], dot)
    }
    if (rest.length > 0 || piped.length > 0) throw new TemplateError(`can't give arguments to a non-function in "${source}"`)
    return this.operand(head!, dot, scope, source)
  }

  private operand (op: Operand, dot: Value, scope: Scope, source: string): Value {
    switch (op.t) {
      case 'lit': return op.v
      case 'field': return field(dot, op.path, source)
      case 'var': {
        const frame = [...scope].reverse().find(f => f.has(op.name))
        if (!frame) throw new TemplateError(`undefined variable ${op.name} in "${source}"`)
        return field(frame.get(op.name), op.path, source)
      }
      case 'sub': return field(this.pipeline(op.pipe, dot, scope), op.path, source)
      case 'fn': return this.call(op.name, [], dot)
    }
  }

  private call (name: string, args: Value[], dot: Value): Value {
    const fn = functions[name]
    if (name === 'include') {
      const body = this.defines.get(String(args[0]))
      if (!body) throw new TemplateError(`include: no template "${String(args[0])}"`)
      return this.exec(body, args[1], [new Map([['$', args[1]]])])
    }
    if (!fn) throw new TemplateError(`function "${name}" not defined (add it to mini-helm if helm has it)`)
    return fn(...args)
  }
}

function fail (message: string): never {
  throw new TemplateError(message)
}

const str = (v: Value): string => (v === null || v === undefined ? '' : typeof v === 'object' ? fail(`expected a string, got ${JSON.stringify(v)}`) : String(v))
const indentText = (n: number, s: Value) => { const pad = ' '.repeat(n); return pad + str(s).replaceAll('\n', '\n' + pad) }

// sprig's `empty`: also false for false and 0
const functions: Record<string, (...args: Value[]) => Value> = {
  toYaml: v => toYaml(v),
  toJson: v => JSON.stringify(v ?? null),
  toString: (v: Value) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : str(v)),
  nindent: (n, s) => '\n' + indentText(n as number, s),
  indent: (n, s) => indentText(n as number, s),
  quote: (...args) => args.filter(a => a !== null && a !== undefined).map(a => JSON.stringify(str(a))).join(' '),
  squote: (...args) => args.filter(a => a !== null && a !== undefined).map(a => `'${str(a)}'`).join(' '),
  default: (d, v) => (truthy(v) ? v : d),
  empty: v => !truthy(v),
  required: (msg, v) => (v === null || v === undefined || v === '' ? fail(String(msg)) : v),
  fail: msg => fail(String(msg)),
  trunc: (n, s) => str(s).slice(0, n as number),
  trimSuffix: (suffix, s) => (str(s).endsWith(str(suffix)) ? str(s).slice(0, -str(suffix).length || undefined) : str(s)),
  trimPrefix: (prefix, s) => (str(s).startsWith(str(prefix)) ? str(s).slice(str(prefix).length) : str(s)),
  replace: (from, to, s) => str(s).replaceAll(str(from), str(to)),
  contains: (sub, s) => str(s).includes(str(sub)),
  printf: (format, ...args) => printf(str(format), ...args),
  print: (...args) => args.map(print).join(''),
  int: v => (typeof v === 'number' ? Math.trunc(v) : Number.parseInt(str(v), 10) || 0),
  sha256sum: s => createHash('sha256').update(str(s)).digest('hex'),
  b64enc: s => Buffer.from(str(s)).toString('base64'),
  not: v => !truthy(v),
  and: (...args) => { for (const a of args) if (!truthy(a)) return a; return args[args.length - 1] },
  or: (...args) => { for (const a of args) if (truthy(a)) return a; return args[args.length - 1] },
  eq: (a, ...rest) => rest.some(b => a === b),
  ne: (a, b) => a !== b,
  gt: (a, b) => compare(a, b, 'gt'),
  ge: (a, b) => compare(a, b, 'ge'),
  lt: (a, b) => compare(a, b, 'lt'),
  le: (a, b) => compare(a, b, 'le'),
  list: (...args) => args,
  hasKey: (m, k) => isMap(m) && Object.hasOwn(m, str(k))
}

// ---------------------------------------------------------------------------- charts

/** Helm's value merge: maps merge deeply, anything else (lists too) replaces, null deletes. */
export function mergeValues (base: Value, over: Value): Value {
  if (!isMap(base) || !isMap(over)) return over === undefined ? base : over
  const out: Record<string, Value> = { ...base }
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k]
    else out[k] = mergeValues(base[k], v)
  }
  return out
}

export interface RenderedChart {
  /** template file (e.g. `templates/deployment.yaml`) → rendered text */
  files: Map<string, string>
  /** every non-empty YAML document of every rendered file, in file order */
  documents: Doc[]
  /** templates/NOTES.txt rendered, if the chart has one (helm prints it after install) */
  notes?: string
}

export interface ChartInfo { dir: string, chart: Record<string, unknown>, values: Record<string, unknown>, templates: Map<string, string> }

export function loadChart (dir: string): ChartInfo {
  const chart = parseYaml(readFileSync(join(dir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>
  const values = (parseYaml(readFileSync(join(dir, 'values.yaml'), 'utf8')) ?? {}) as Record<string, unknown>
  const templates = new Map<string, string>()
  for (const file of readdirSync(join(dir, 'templates')).sort()) {
    if (/\.(ya?ml|tpl|txt)$/.test(file)) templates.set(`templates/${file}`, readFileSync(join(dir, 'templates', file), 'utf8'))
  }
  return { dir, chart, values, templates }
}

/** Renders a chart as `helm template <release> <dir> -n <namespace> -f <overrides>` would. */
export function renderChart (dir: string, options: { values?: Record<string, unknown>, release?: string, namespace?: string } = {}): RenderedChart {
  const info = loadChart(dir)
  const values = mergeValues(info.values, options.values ?? {}) as Record<string, unknown>
  const release: Release = { Name: options.release ?? String(info.chart.name), Namespace: options.namespace ?? 'default', Service: 'Helm', IsInstall: true, IsUpgrade: false }
  const data = {
    Values: values,
    Release: release,
    Chart: { Name: info.chart.name, Version: info.chart.version, AppVersion: info.chart.appVersion, Description: info.chart.description },
    Capabilities: { KubeVersion: { Version: 'v1.31.0' } }
  }
  const renderer = new Renderer(info.templates)
  const files = new Map<string, string>()
  const documents: Doc[] = []
  let notes: string | undefined
  for (const name of info.templates.keys()) {
    const base = name.split('/').pop()!
    if (base === 'NOTES.txt') { notes = renderer.render(name, data); continue }
    if (base.startsWith('_')) continue
    const text = renderer.render(name, data)
    files.set(name, text)
    for (const doc of parseAllDocuments(text, name)) documents.push(doc)
  }
  return { files, documents, ...(notes === undefined ? {} : { notes }) }
}

/** Every non-empty document of a multi-document YAML text; a YAML error throws, naming the file. */
export function parseAllDocuments (text: string, name: string): Doc[] {
  // Kubernetes reads YAML 1.1, where 0440 is octal; YAML 1.2 (this parser) reads 440. Refuse the
  // ambiguity rather than compare different numbers.
  const octal = /^[^#\n]*:\s+0[0-7]+\s*(#.*)?$/m.exec(text)
  if (octal) throw new Error(`${name}: "${octal[0].trim()}" is octal in YAML 1.1 but decimal in YAML 1.2; write it in decimal`)
  const out: Doc[] = []
  // `yaml` keeps errors per document; surface the first one.
  for (const doc of yamlAll(text)) {
    if (doc.errors.length > 0) throw new Error(`${name}: ${doc.errors[0]!.message}\n---\n${text}`)
    const value = doc.toJS() as unknown
    if (value === null || value === undefined) continue
    if (!isMap(value)) throw new Error(`${name}: a document is not a map`)
    out.push(value)
  }
  return out
}
