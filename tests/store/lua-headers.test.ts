import t from 'tap'
import { readdirSync } from 'node:fs'
import { luaSource, scripts } from '../../app/store/redis/scripts.js'

// Each Lua script's header lists its KEYS and ARGV by name, and its body binds each to a local of
// that name; app/store/redis/scripts.ts declares the same names in the same order, from which the
// callers' positional KEYS and ARGV are built. A change to one side only fails here.

interface Slot { kind: 'KEYS' | 'ARGV', index: number, name: string, rest: boolean }

/** `-- KEYS[1] name  what it is` and `-- ARGV[12..] name  what they are` lines, in file order. */
function header (lua: string): Slot[] {
  const slots: Slot[] = []
  for (const line of lua.split('\n')) {
    if (!line.startsWith('--')) break
    const m = /^-- (KEYS|ARGV)\[(\d+)(\.\.)?\] +([A-Za-z]\w*)(?:\s|$)/.exec(line)
    if (m) slots.push({ kind: m[1] as Slot['kind'], index: Number(m[2]), name: m[4]!, rest: m[3] !== undefined })
  }
  return slots
}

/** The script's code, comments left out. */
function body (lua: string): string[] {
  return lua.split('\n').map(line => line.replace(/--.*$/, '').trimEnd()).filter(line => line !== '')
}

const files = readdirSync(new URL('../../app/store/redis/lua/', import.meta.url)).filter(f => f.endsWith('.lua')).sort()

t.test('every Lua file is declared once, as its own command', async t => {
  const declared = Object.values(scripts)
  t.same(declared.map(s => s.file).sort(), files)
  t.equal(new Set(declared.map(s => s.command)).size, declared.length)
})

for (const [name, script] of Object.entries(scripts)) {
  t.test(`${script.file}: header and body name KEYS and ARGV as ${name} declares them`, async t => {
    const lua = luaSource(script.file)
    const slots = header(lua)
    const keys = slots.filter(s => s.kind === 'KEYS')
    const args = slots.filter(s => s.kind === 'ARGV')

    t.same(keys.map(s => s.name), script.keys, 'KEYS: the same names in the same order')
    t.same(args.map(s => s.name), [...script.args, ...(script.rest ? [script.rest] : [])], 'ARGV: the same names in the same order')
    t.same(keys.map(s => s.index), keys.map((_, i) => i + 1), 'KEYS numbered 1, 2, ...')
    t.same(args.map(s => s.index), args.map((_, i) => i + 1), 'ARGV numbered 1, 2, ...')
    t.same(args.map(s => s.rest), args.map((_, i) => script.rest !== undefined && i === args.length - 1), 'only a declared list is ARGV[n..], and last')
    t.equal(script.numberOfKeys, script.keys.length)

    // The body reads KEYS and ARGV only to bind them, each to a local named as declared.
    const code = body(lua)
    const bound = new Map<string, string>()
    for (const line of code) {
      for (const [ref] of line.matchAll(/\b(KEYS|ARGV)\[\d+\]/g)) {
        const m = /^local ([A-Za-z]\w*) = (?:tonumber\()?((?:KEYS|ARGV)\[\d+\])\)?(?: == '1')?$/.exec(line)
        if (!m || m[2] !== ref) {
          t.fail(`${ref} is read outside a binding: ${line.trim()}`)
          continue
        }
        t.notOk(bound.has(ref), `${ref} bound once`)
        bound.set(ref, m[1]!)
      }
    }
    const expected = new Map([
      ...script.keys.map((n, i) => [`KEYS[${i + 1}]`, n] as const),
      ...script.args.map((n, i) => [`ARGV[${i + 1}]`, n] as const)
    ])
    t.same(Object.fromEntries(bound), Object.fromEntries(expected), 'each one bound to a local of its declared name')

    if (script.rest) {
      const start = script.args.length + 1
      t.ok(code.some(line => new RegExp(`^for i = ${start}, #ARGV do ${script.rest}\\[`).test(line)),
        `${script.rest} read from ARGV[${start}] on`)
      t.notOk(code.some(line => /#ARGV/.test(line) && !line.startsWith(`for i = ${start}, #ARGV`)), 'ARGV\'s length read nowhere else')
    } else {
      t.notOk(code.some(line => /#ARGV|unpack\(ARGV|ipairs\(ARGV/.test(line)), 'no ARGV read as a list')
    }
  })
}

t.test('the positional KEYS and ARGV follow the declared order', async t => {
  const call = {
    keys: { delivery: 'k1', pendingOf: 'k2', pendingData: 'k3', deadlines: 'k4', outbox: 'k5', due: 'k6', recent: 'k7', sequence: 'k8', held: 'k9' },
    args: {
      versions: ['1.0.0', '2.0.0'],
      holdMs: 11,
      heldEntry: 'a10',
      strictVersions: '1' as const,
      recentLimit: 8,
      retentionMs: 7,
      triggerId: 'a6',
      triggerEntry: 'a5',
      commit: 'a4',
      finished: 'a3',
      dedupeTtlMs: 2,
      now: 1
    }
  }
  t.same(scripts.resolve.positional(call),
    ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9', 1, 2, 'a3', 'a4', 'a5', 'a6', 7, 8, '1', 'a10', 11, '1.0.0', '2.0.0'])
  t.equal(scripts.resolve.numberOfKeys, 9)
  t.equal(scripts.claimId.command, 'kgbClaimId')
})
