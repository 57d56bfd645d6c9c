// The renderer the deploy tests use instead of helm: it must behave like Go templates where the
// charts depend on it, and fail loudly where it does not implement something.
import t from 'tap'
import { mergeValues, Renderer, TemplateError, truthy } from './helpers/mini-helm.js'

const run = (text: string, data: unknown = {}, helpers = '') =>
  new Renderer(new Map([['t.yaml', text], ['_h.tpl', helpers]])).render('t.yaml', data)

t.test('trim markers eat all white space, newlines included, on their side only', async t => {
  t.equal(run('a  \n  {{- "x" }}  \n  b'), 'ax  \n  b')
  t.equal(run('a  \n  {{ "x" -}}  \n  b'), 'a  \n  xb')
  t.equal(run('a\n{{- if true }}\nb\n{{- end }}\nc'), 'a\nb\nc')
  t.equal(run('{{/* a comment */}}x{{- /* trimmed */ -}}  y'), 'xy')
})

t.test('if / else if / else, with, and Go truthiness', async t => {
  const tpl = '{{ if .a }}A{{ else if .b }}B{{ else }}C{{ end }}'
  t.equal(run(tpl, { a: 1, b: 1 }), 'A')
  t.equal(run(tpl, { a: 0, b: 'x' }), 'B')
  t.equal(run(tpl, { a: '', b: [] }), 'C')
  t.equal(run('{{ with .m }}{{ .k }}{{ else }}none{{ end }}', { m: { k: 'v' } }), 'v')
  t.equal(run('{{ with .m }}{{ .k }}{{ else }}none{{ end }}', { m: {} }), 'none')
  for (const v of [false, 0, '', null, undefined, [], {}]) t.notOk(truthy(v), JSON.stringify(v) ?? 'undefined')
  for (const v of [true, 1, 'x', [0], { a: 0 }]) t.ok(truthy(v), JSON.stringify(v))
})

t.test('range over lists and maps (keys in order), variables, $ and else', async t => {
  t.equal(run('{{ range .l }}[{{ . }}]{{ end }}', { l: ['a', 'b'] }), '[a][b]')
  t.equal(run('{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}', { m: { b: 2, a: 1 } }), 'a=1;b=2;')
  t.equal(run('{{ range .l }}{{ $.x }}{{ end }}', { l: [1, 2], x: 'r' }), 'rr')
  t.equal(run('{{ range .l }}x{{ else }}empty{{ end }}', { l: [] }), 'empty')
  t.equal(run('{{ $n := .a }}{{ $n }}{{ $n = "c" }}{{ $n }}', { a: 'b' }), 'bc')
})

t.test('define / include with its own dot, pipelines, parentheses and sprig functions', async t => {
  const helpers = '{{- define "name" -}}{{ .n | default "dflt" | trunc 3 }}{{- end -}}'
  t.equal(run('{{ include "name" . }}', { n: 'abcdef' }, helpers), 'abc')
  t.equal(run('{{ include "name" .sub }}', { sub: {} }, helpers), 'dfl')
  t.equal(run('x:{{- include "name" . | nindent 2 }}', { n: 'ab' }, helpers), 'x:\n  ab')
  t.equal(run('{{ printf "%s-%s" .a (include "name" .) | quote }}', { a: 'p', n: 'q' }, helpers), '"p-q"')
  t.equal(run('{{ toYaml .m | indent 2 }}', { m: { b: [1], a: 'x' } }), '  a: x\n  b:\n  - 1')
  t.equal(run('{{ .v | quote }} {{ .b | quote }}', { v: 8080, b: false }), '"8080" "false"')
  t.equal(run('{{ if and (gt (int .r) 1) (not .x) }}y{{ end }}', { r: 2, x: '' }), 'y')
  t.equal(run('{{ "a+b" | replace "+" "_" }} {{ "ab-" | trimSuffix "-" }} {{ contains "b" "abc" }}'), 'a_b ab true')
})

t.test('nil prints as nothing; a field of nil, a printed map and unknown functions fail', async t => {
  t.equal(run('[{{ .missing }}]', {}), '[]')
  t.throws(() => run('{{ .missing.x }}', {}), TemplateError)
  t.throws(() => run('{{ .m }}', { m: { a: 1 } }), /refusing to print a map/)
  t.throws(() => run('{{ lookup "v1" "Secret" "ns" "n" }}'), /function "lookup" not defined/)
  t.throws(() => run('{{ if .a }}x'), /missing \{\{ end \}\}/)
  t.throws(() => run('{{ end }}'), TemplateError)
  t.throws(() => run('{{ fail "stop here" }}'), /stop here/)
  t.throws(() => run('{{ gt 1 "1" }}'), /incompatible types/)
})

t.test('values merge like helm: maps deep, lists replaced, null deletes', async t => {
  t.same(mergeValues({ a: { b: 1, c: 2 }, l: [1, 2], d: 1 }, { a: { b: 3 }, l: [9], d: null }), { a: { b: 3, c: 2 }, l: [9] })
})
