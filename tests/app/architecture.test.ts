import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

// ARCHITECTURE.md's picture, checked: dependencies point one way. The core is Fastify-free and
// never imports the stores, the plugins or the routes; the stores implement the core's port and
// import nothing of the web layer.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

function sources (dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter(entry => entry.isFile() && entry.name.endsWith('.ts'))
    .map(entry => relative(root, join(entry.parentPath, entry.name)))
}

function imports (file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8')
  return [...text.matchAll(/^(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]|^import\s+['"]([^'"]+)['"]/gm)]
    .map(m => m[1] ?? m[2]!)
    .map(spec => spec.startsWith('.') ? relative(root, resolve(root, dirname(file), spec)) : spec)
}

const rules: Array<{ from: string, never: RegExp, why: string }> = [
  { from: 'app/core', never: /^(app\/store|plugins|routes)\/|^fastify|^@fastify\/|^ioredis$/, why: 'the core is Fastify-free and owns the store port' },
  { from: 'app/store', never: /^(plugins|routes)\/|^fastify|^@fastify\//, why: 'a store implements the core port, nothing of the web layer' },
  { from: 'schemas', never: /^(app|plugins|routes)\//, why: 'schemas are the single source of types: they import no code' }
]

for (const rule of rules) {
  t.test(`${rule.from} imports nothing from the layers above it (${rule.why})`, async t => {
    const files = sources(rule.from)
    t.ok(files.length > 0)
    const wrong = files.flatMap(file => imports(file).filter(spec => rule.never.test(spec)).map(spec => `${file} -> ${spec}`))
    t.same(wrong, [])
  })
}

t.test('the check sees an import that breaks the rule', async t => {
  const spec = relative(root, resolve(root, 'app/core', '../store/memory/memory-store.js'))
  t.match(spec, rules[0]!.never)
})
