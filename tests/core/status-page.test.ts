import t from 'tap'
import { escapeHtml, formatDuration, renderStatusPage } from '../../app/core/status-page.js'
import type { StoreSnapshot } from '../../app/core/store.js'
import type { DeadLetter, TriggeredDeployment } from '../../app/core/types.js'

const now = Date.UTC(2025, 0, 15, 12, 0, 0)
const info = { now, storeKind: 'redis', keptnMode: 'api', version: '1.4.2' }
const hostile = '<img src=x onerror=alert(1)>'

function pending (over: Partial<TriggeredDeployment> = {}): TriggeredDeployment {
  return {
    project: 'shop',
    stage: 'prod',
    service: 'cart',
    triggeredId: 'trig-1',
    keptnContext: 'ctx-1',
    version: '2.3.0',
    commit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    receivedAt: now - 192_000,
    deadline: now + 660_000,
    ...over
  }
}

function snapshot (over: Partial<StoreSnapshot> = {}): StoreSnapshot {
  return { pending: [], pendingCount: 0, recent: [], deadLetters: [], outboxDepth: 0, ...over }
}

function rowOf (html: string, needle: string): string {
  const row = html.split('\n').find(line => line.startsWith('<tr') && line.includes(needle))
  if (row === undefined) throw new Error(`no row with ${needle}`)
  return row
}

t.test('escapeHtml neutralises every character that can open a tag or attribute', async t => {
  t.equal(escapeHtml('<a href="x" title=\'y\'>&</a>'), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;')
  t.equal(escapeHtml(undefined), '')
  t.equal(escapeHtml(42), '42')
})

t.test('formatDuration keeps the two largest units a person reads', async t => {
  t.equal(formatDuration(192_000), '3m 12s')
  t.equal(formatDuration(660_000), '11m')
  t.equal(formatDuration(45_900), '45s')
  t.equal(formatDuration(400), '0s')
  t.equal(formatDuration(3_600_000 + 5 * 60_000 + 7000), '1h 5m')
  t.equal(formatDuration(2 * 86_400_000 + 3_600_000), '2d 1h')
  t.equal(formatDuration(-75_000), '1m 15s')
})

t.test('a hostile message or name is shown escaped, never as markup', async t => {
  const html = renderStatusPage(snapshot({
    pending: [pending({ service: '<script>alert(1)</script>' })],
    pendingCount: 1,
    recent: [{ project: 'shop', stage: 'prod', service: 'cart', keptnContext: 'c', kind: 'finished', status: 'errored', result: 'fail', message: hostile, at: now }],
    deadLetters: [{
      entry: { id: 'e"1', kind: 'started', pending: pending() },
      attempts: [{ at: now, status: 500, message: hostile }],
      deadAt: now
    }]
  }), { ...info, version: '"><script>x</script>' })
  t.notOk(html.includes('<img'), 'no img tag')
  t.notOk(/<script/i.test(html), 'no script tag')
  t.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'))
  t.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'))
  t.ok(html.includes('e&quot;1'))
})

t.test('pending rows show age and time to deadline from now, soonest first, overdue marked', async t => {
  const html = renderStatusPage(snapshot({
    pending: [
      pending(),
      pending({ service: 'late', triggeredId: 'trig-2', keptnContext: 'ctx-2', receivedAt: now - 3_700_000, deadline: now - 125_000 })
    ],
    pendingCount: 2
  }), info)
  const onTime = rowOf(html, 'trig-1')
  t.match(onTime, />3m 12s</)
  t.match(onTime, />in 11m</)
  t.match(onTime, /shop.*prod.*cart/)
  t.match(onTime, /ctx-1/)
  t.match(onTime, />2\.3\.0</)
  t.match(onTime, /a1b2c3d4e5f6…/, 'long commit abbreviated')
  t.notMatch(onTime, /overdue/)
  const late = rowOf(html, 'trig-2')
  t.match(late, /class="overdue"/)
  t.match(late, /overdue 2m 5s/)
  t.match(late, />1h 1m</)
  t.ok(html.indexOf('trig-2') < html.indexOf('trig-1'), 'overdue (earliest deadline) listed first')
  t.match(html, /1 overdue/)
})

t.test('when the snapshot is truncated the page says how many it shows', async t => {
  const html = renderStatusPage(snapshot({ pending: [pending()], pendingCount: 7 }), info)
  t.match(html, /showing 1 of 7/)
  t.match(html, /pending <b>7<\/b>/)
})

t.test('empty states are stated', async t => {
  const html = renderStatusPage(snapshot(), info)
  t.match(html, /No pending deployments/)
  t.match(html, /No recent outcomes/)
  t.match(html, /No dead letters/)
  t.notMatch(html, /<table/)
})

t.test('mode, version, outbox depth and refresh are shown', async t => {
  const html = renderStatusPage(snapshot({ outboxDepth: 3 }), { ...info, storeKind: 'memory', keptnMode: 'log-only' })
  t.match(html, /store <b>memory<\/b>/)
  t.match(html, /keptn <b>log-only<\/b>/)
  t.match(html, /outbox <b>3<\/b>/)
  t.match(html, /1\.4\.2/)
  t.match(html, /<meta http-equiv="refresh" content="10">/)
  t.notMatch(renderStatusPage(snapshot(), { ...info, refreshSeconds: 0 }), /http-equiv/)
  t.match(renderStatusPage(snapshot(), { ...info, refreshSeconds: 30 }), /content="30"/)
})

t.test('recent outcomes are newest first with kind, status and result coloured', async t => {
  const html = renderStatusPage(snapshot({
    recent: [
      { project: 'p', stage: 's', service: 'old', keptnContext: 'c1', kind: 'finished', status: 'succeeded', result: 'pass', revision: 'main@sha1:abc', message: 'ok', at: now - 600_000 },
      { project: 'p', stage: 's', service: 'new', keptnContext: 'c2', kind: 'timeout', status: 'errored', result: 'fail', message: 'deadline passed', at: now - 30_000 }
    ]
  }), info)
  t.ok(html.indexOf('deadline passed') < html.indexOf('>ok<'), 'newest first')
  const timeout = rowOf(html, 'deadline passed')
  t.match(timeout, /30s ago/)
  t.match(timeout, /class="badge bad">timeout</)
  t.match(timeout, /class="badge bad">fail</)
  const ok = rowOf(html, 'main@sha1:abc')
  t.match(ok, /class="badge ok">succeeded</)
  t.match(ok, /10m ago/)
})

t.test('dead letters show the entry, attempt count and the last error', async t => {
  const dl: DeadLetter = {
    entry: { id: 'out-9', kind: 'trigger', trigger: { project: 'shop', stage: 'dev', service: 'web', sequence: 'delivery', keptnContext: 'k', revision: 'r', labels: {}, createdAt: now } },
    attempts: [
      { at: now - 5000, status: 502, message: 'bad gateway' },
      { at: now - 1000, message: 'connect ECONNREFUSED 10.0.0.1:8080' }
    ],
    deadAt: now - 1000
  }
  const html = renderStatusPage(snapshot({ deadLetters: [dl] }), info)
  const row = rowOf(html, 'out-9')
  t.match(row, /trigger/)
  t.match(row, /shop.*dev.*web/)
  t.match(row, /<td class="num">2<\/td>/)
  t.match(row, /no response.*connect ECONNREFUSED 10\.0\.0\.1:8080/)
  t.notMatch(row, /bad gateway/, 'only the last attempt')
  t.match(row, /1s ago/)
  const http = renderStatusPage(snapshot({ deadLetters: [{ ...dl, attempts: [dl.attempts[0]!] }] }), info)
  t.match(rowOf(http, 'out-9'), /HTTP 502.*bad gateway/)
})

t.test('a dead-letter list as long as the limit it was read with says it shows only the newest', async t => {
  const dead = (n: number): DeadLetter => ({ entry: { id: `out-${n}`, kind: 'started', pending: pending() }, attempts: [], deadAt: now - n * 1000 })
  const full = renderStatusPage(snapshot({ deadLetters: [dead(1), dead(2)] }), { ...info, listLimit: 2 })
  t.match(full, /dead letters <b>2\+<\/b>/, 'the count says there may be more')
  t.match(full, /<h2>Dead letters <span class="dim">\(the newest 2\)<\/span><\/h2>/)
  t.ok(full.indexOf('out-1') < full.indexOf('out-2'), 'newest first')
  const short = renderStatusPage(snapshot({ deadLetters: [dead(1)] }), { ...info, listLimit: 2 })
  t.match(short, /dead letters <b>1<\/b>/, 'fewer than the limit: all of them')
  t.match(short, /<h2>Dead letters<\/h2>/)
  t.match(renderStatusPage(snapshot({ deadLetters: [dead(1), dead(2)] }), info), /dead letters <b>2<\/b>/, 'no limit given: all of them')
})
