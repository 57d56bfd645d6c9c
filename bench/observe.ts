import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { request } from 'undici'
import { buildApp } from '../app/build-app.js'
import { loadConfig } from '../app/config.js'
import type { Store } from '../app/core/store.js'
import type { TriggeredDeployment } from '../app/core/types.js'
import { createMemoryStore } from '../app/store/memory/memory-store.js'
import { makeTriggered, ofType, pushTriggered, startKeptnFake } from '../tests/helpers/keptn-fake.js'
import { startKubernetesFake } from '../tests/helpers/kubernetes-fake.js'
import { sleep, waitFor } from '../tests/helpers/wait.js'
import { drained } from './lib/pending.js'
import { prng } from './lib/prng.js'
import { mb, median, percentile, table } from './lib/stats.js'
import { env } from './lib/env.js'

// `npm run bench:observe` (#18): what OBSERVE_INTERVAL costs and how fast it finishes a deployment.
// One process: the bridge (buildApp, in-memory store), the Kubernetes fake holding the HelmReleases
// and the strict Keptn fake. The pending deployments are pushed through the bridge's own
// /events/keptn, and their `.started` delivered, before observation is let in.
const objectCount = env('BENCH_OBSERVE_OBJECTS', 5000)
const pendingCount = env('BENCH_OBSERVE_PENDING', 1000)
const intervalMs = env('BENCH_OBSERVE_INTERVAL_MS', 2000)
const measuredRounds = env('BENCH_OBSERVE_ROUNDS', 8)
const flipCount = env('BENCH_OBSERVE_FLIPS', 20)
const namespaces = 50
const unlabelledCount = Math.round(objectCount / 5)
const defaultIntervalMs = 30_000
const naivePerRound = pendingCount
const projects = ['shop', 'pay', 'ads', 'search'] // with pending deployments
const idleProjects = ['idle-a', 'idle-b', 'idle-c', 'idle-d', 'idle-e', 'idle-f'] // with none
const helm = 'helm.toolkit.fluxcd.io/v2'
const token = 'bench-service-account-token-0123456789'
if (pendingCount > objectCount - unlabelledCount) throw new Error('more pending deployments than labelled HelmReleases')

// process.memoryUsage() after a full GC, without --expose-gc on the command line.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const memory = (collect: boolean) => {
  if (collect) { gc(); gc() }
  const { rss, heapUsed } = process.memoryUsage()
  return { rss, heapUsed }
}
const MB = (bytes: number) => `${mb(bytes).toFixed(1)} MB`
const signedMB = (bytes: number) => `${bytes >= 0 ? '+' : ''}${MB(bytes)}`
const msf = (v: number) => `${Math.round(v)} ms`
const pct = (sorted: number[], p: number) => percentile(sorted, p)
// metav1.Time: RFC 3339 with whole seconds, as the API server writes it.
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')

/** A helm-controller api/v2 HelmReleaseStatus: Ready (and Released) at `at`, history[0] deployed. */
function helmStatus (at: number, name: string, namespace: string, chartVersion: string) {
  const condition = (type: string) => ({ type, status: 'True', reason: 'UpgradeSucceeded', message: `Helm upgrade succeeded for release ${namespace}/${name}.v3 with chart ${name}@${chartVersion}`, lastTransitionTime: iso(at), observedGeneration: 1 })
  return {
    observedGeneration: 1,
    conditions: [condition('Ready'), condition('Released')],
    history: [{ name, namespace, version: 3, status: 'deployed', chartName: name, chartVersion, appVersion: chartVersion, configDigest: 'sha256:aa', digest: 'sha256:bb', firstDeployed: iso(at - 86_400_000), lastDeployed: iso(at) }],
    lastAttemptedRevision: chartVersion,
    lastAttemptedConfigDigest: 'sha256:aa',
    lastAttemptedGeneration: 1
  }
}
const spec = (name: string) => ({ interval: '5m', chart: { spec: { chart: name, version: '>=1.0.0', sourceRef: { kind: 'HelmRepository', name: 'charts', namespace: 'flux-system' } } }, values: { replicaCount: 2 } })

// Object i: namespace team-(i mod 50), name svc-i. The first `pendingCount` are labelled for the
// services with a pending deployment (one each, over four projects); then objects labelled for
// projects with nothing pending; the last fifth carries no Keptn label at all.
const namespaceOf = (i: number) => `team-${String(i % namespaces).padStart(2, '0')}`
const serviceOf = (i: number) => `svc-${i}`
const projectOf = (i: number) => i < pendingCount ? projects[i % projects.length]! : idleProjects[i % idleProjects.length]!
function labelsOf (i: number): Record<string, string> {
  if (i >= objectCount - unlabelledCount) return { 'app.kubernetes.io/name': serviceOf(i) }
  return { 'keptn.sh/project': projectOf(i), 'keptn.sh/stage': 'prod', 'keptn.sh/service': serviceOf(i), 'app.kubernetes.io/name': serviceOf(i) }
}

const started = Date.now()
console.log(`machine: ${JSON.stringify({ node: process.version, cpus: cpus().length, loadAverage: loadavg().map(l => Number(l.toFixed(2))) })}`)
console.log(`\n== OBSERVE_INTERVAL: ${objectCount} HelmReleases in ${namespaces} namespaces, ${pendingCount} pending deployments, OBSERVE_INTERVAL=${intervalMs}ms`)

const memEmpty = memory(true)
const kube = await startKubernetesFake({ token })
const keptn = await startKeptnFake()
const dir = mkdtempSync(join(tmpdir(), 'kgb-observe-bench-'))
writeFileSync(join(dir, 'token'), token)
const long = Date.now() - 3_600_000 // every object Ready an hour before anything was triggered
for (let i = 0; i < objectCount; i++) {
  kube.setObject(helm, 'HelmRelease', namespaceOf(i), serviceOf(i), labelsOf(i), { spec: spec(serviceOf(i)), status: helmStatus(long, serviceOf(i), namespaceOf(i), '1.0.0') })
}
const memObjects = memory(true)

// The in-memory store (what no REDIS_URL builds), with listPending (called by observation only,
// once at the start of each round) wrapped: it answers nothing until the fill is done, so no round
// lists anything before the baseline is taken, and it marks where each round starts.
interface Round { start: number, lists: number, others: number, end?: number, heapUsed?: number, rss?: number }
const rounds: Round[] = []
let gateOpen = false
let stopping = false
const base = createMemoryStore()
const store: Store = {
  ...base,
  async listPending (limit) {
    if (!gateOpen) return []
    const start = performance.now()
    const found = await base.listPending(limit)
    const round: Round = { start, lists: kube.listCalls(), others: kube.requests.length - kube.listCalls() }
    rounds.push(round)
    watchEnd(round, found)
    return found
  }
}

const app = await buildApp(loadConfig({
  LOG_LEVEL: 'silent',
  KEPTN_API_URL: keptn.url,
  KEPTN_API_TOKEN: keptn.token,
  KEPTN_POLL_INTERVAL: '0',
  KUBERNETES_API_URL: kube.url,
  KUBERNETES_TOKEN_FILE: join(dir, 'token'),
  OBSERVE_INTERVAL: `${intervalMs}ms`
}), { store })
await app.ready()
const observed = app.observed
if (!observed) throw new Error('the bridge is not observing (OBSERVE_INTERVAL or KUBERNETES_API_URL not taken)')

// A round ends when it has recorded what it saw for every pending deployment; services are visited
// in listPending order (one deployment each here), so the last one's `checkedAt` changes last.
// Checked every millisecond: the part of a round after its last LIST has no await.
function watchEnd (round: Round, found: TriggeredDeployment[]) {
  const last = found.at(-1)
  if (!last) return
  const before = observed!(last.triggeredId)?.checkedAt
  const check = () => {
    if (stopping) return
    const seen = observed!(last.triggeredId)
    if (seen && seen.checkedAt !== before) {
      round.end = performance.now()
      Object.assign(round, memory(false))
      return
    }
    setTimeout(check, 1)
  }
  setTimeout(check, 1)
}

try {
  // ---- the fill: pushed through /events/keptn (confirmed with the Keptn fake), .started delivered
  const fillStart = performance.now()
  const ids: string[] = []
  for (let i = 0; i < pendingCount; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, pendingCount - i) }, async (_, k) => {
      const j = i + k
      const ev = makeTriggered({ project: projectOf(j), stage: 'prod', service: serviceOf(j) })
      ids[j] = ev.id
      const res = await app.inject(pushTriggered(keptn, ev))
      if (res.statusCode !== 202) throw new Error(`push answered ${res.statusCode}: ${res.body}`)
    }))
  }
  await drained(base, 60_000)
  const counts = await base.counts()
  if (counts.pending !== pendingCount) throw new Error(`${counts.pending} pending after the fill, expected ${pendingCount}`)
  console.log(`fill: ${pendingCount} pushes + .started delivered in ${msf(performance.now() - fillStart)}; Keptn fake has ${ofType(keptn, 'started').length} .started`)

  // ---- steady state: rounds with nothing to finish. The baseline is taken one idle interval after
  // the fill (what the fill left behind settles; the row before it shows how much that is).
  const memFilled = memory(true)
  await sleep(intervalMs)
  const memBase = memory(true)
  gateOpen = true
  await waitFor(`${measuredRounds} observation rounds`, () => rounds.length > measuredRounds && rounds.slice(0, measuredRounds + 1).every(r => r.end !== undefined),
    (measuredRounds + 3) * (intervalMs + 5000))
  const memAfter = memory(true)
  const steady = rounds.slice(0, measuredRounds)
  const first = rounds[0]!
  const next = rounds[measuredRounds]!
  const windowMs = next.start - first.start
  const lists = next.lists - first.lists
  const gets = next.others - first.others
  const perRound = lists / measuredRounds
  const perMinuteMeasured = lists / windowMs * 60_000
  const durations = steady.map(r => r.end! - r.start).sort((a, b) => a - b)
  const gaps = steady.map((r, i) => rounds[i + 1]!.start - r.start - intervalMs).sort((a, b) => a - b)
  const pages: Record<string, number> = {}
  const windowPaths = kube.requests.slice(first.lists + first.others, next.lists + next.others)
  for (const path of windowPaths) pages[path] = (pages[path] ?? 0) + 1

  // The fake's own share of a round: the same two-page LIST, fetched and parsed by a bare client.
  const selector = `keptn.sh/project in (${[...projects].sort().join(',')})`
  const bareList = async () => {
    const t0 = performance.now()
    let cont: string | undefined
    let items = 0
    do {
      const query = new URLSearchParams({ limit: '500', labelSelector: selector, ...(cont ? { continue: cont } : {}) })
      const res = await request(`${kube.url}/apis/${helm}/helmreleases?${query}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } })
      const page = await res.body.json() as { items: unknown[], metadata: { continue?: string } }
      items += page.items.length
      cont = page.metadata.continue || undefined
    } while (cont)
    return { ms: performance.now() - t0, items }
  }
  const bare: number[] = []
  let bareItems = 0
  for (let i = 0; i < 3; i++) {
    const { ms, items } = await bareList()
    bare.push(ms)
    bareItems = items
  }

  console.log('\n-- Kubernetes API calls')
  console.log(`per round: ${perRound.toFixed(2)} LIST (${Object.entries(pages).map(([p, n]) => `${p.split('/').at(-1)} ${(n / measuredRounds).toFixed(1)}`).join(', ')}; 500 per page, ${bareItems} objects match the selector), ${gets} GET of single objects in ${measuredRounds} rounds`)
  console.log(`per minute at ${intervalMs / 1000}s: ${perMinuteMeasured.toFixed(1)} (measured: ${lists} LIST over ${measuredRounds} rounds in ${(windowMs / 1000).toFixed(1)} s)`)
  console.log(`per minute at the default 30s: ${(perRound * 2).toFixed(1)} (calls per round x 2; ${(perRound * 60_000 / (defaultIntervalMs + median(durations))).toFixed(2)} counting the round's own time before the next 30 s wait)`)
  console.log(`naive baseline (one GET per pending deployment per round): ${naivePerRound} calls per round; observation makes ${perRound.toFixed(0)}: ${(perRound / naivePerRound * 100).toFixed(2)} % of it (${(naivePerRound / perRound).toFixed(0)}x fewer)`)

  console.log('\n-- one observation round (listPending + LIST pages + map + status reads), steady state')
  console.log(`duration: p50 ${msf(pct(durations, 50))}, max ${msf(durations.at(-1)!)}, min ${msf(durations[0]!)} over ${measuredRounds} rounds (listPending call -> last pending deployment's seen entry updated)`)
  console.log(`cross-check, start-to-start gap minus OBSERVE_INTERVAL: p50 ${msf(pct(gaps, 50))}, max ${msf(gaps.at(-1)!)} (the worker waits the interval after a round ends)`)
  console.log(`of which the fake serving the HelmRelease pages (in this process): a bare client LISTs the same ${bareItems} objects in p50 ${msf(median(bare))}`)

  console.log('\n-- memory (one process: bridge + Kubernetes fake + Keptn fake; heap after a forced GC)')
  const peakHeap = Math.max(...steady.map(r => r.heapUsed ?? 0))
  const peakRss = Math.max(...steady.map(r => r.rss ?? 0))
  console.log(table([
    ['', 'rss', 'heapUsed'],
    ['empty process', MB(memEmpty.rss), MB(memEmpty.heapUsed)],
    [`+ ${objectCount} HelmReleases in the fake`, MB(memObjects.rss), MB(memObjects.heapUsed)],
    [`+ ${pendingCount} pending, .started sent (just drained)`, MB(memFilled.rss), MB(memFilled.heapUsed)],
    ['before observation (one idle interval later)', MB(memBase.rss), MB(memBase.heapUsed)],
    [`after ${measuredRounds} rounds`, MB(memAfter.rss), MB(memAfter.heapUsed)],
    ['delta (observation)', signedMB(memAfter.rss - memBase.rss), signedMB(memAfter.heapUsed - memBase.heapUsed)],
    ['peak at a round end (no GC)', MB(peakRss), MB(peakHeap)]
  ]))
  console.log(`the fake's ${objectCount} objects: ${signedMB(memObjects.heapUsed - memEmpty.heapUsed)} heap, in both the before and after figures; the delta is what the bridge keeps between rounds (observation's seen map for ${pendingCount} deployments), the fake's request log and noise`)

  // ---- latency: flip HelmReleases to Ready (lastTransitionTime = now) at random moments
  const random = prng(1)
  const spreadMs = 3 * intervalMs
  const step = Math.floor(pendingCount / flipCount)
  const flips = new Map<string, { index: number, at?: number, finished?: number }>()
  for (let k = 0; k < flipCount; k++) flips.set(ids[k * step + 3]!, { index: k * step + 3 })
  const finishedBefore = ofType(keptn, 'finished').length
  let scanned = keptn.received.length
  const arrived = keptn.waitFor(fake => {
    const now = performance.now()
    for (; scanned < fake.received.length; scanned++) {
      const ev = fake.received[scanned]!
      const flip = ev.type === 'sh.keptn.event.deployment.finished' ? flips.get(ev.triggeredid ?? '') : undefined
      if (flip && flip.finished === undefined) flip.finished = now
    }
    return [...flips.values()].every(f => f.finished !== undefined)
  }, spreadMs + 3 * intervalMs + 30_000)
  const roundsBeforeFlips = rounds.length
  const timers = [...flips.values()].map(flip => setTimeout(() => {
    flip.at = performance.now()
    const i = flip.index
    kube.setObject(helm, 'HelmRelease', namespaceOf(i), serviceOf(i), labelsOf(i), { spec: spec(serviceOf(i)), status: helmStatus(Date.now(), serviceOf(i), namespaceOf(i), '1.0.1') })
  }, random.next() * spreadMs))
  try {
    await arrived
  } finally {
    timers.forEach(clearTimeout)
  }
  await waitFor('the pending count drops', async () => (await base.counts()).pending === pendingCount - flipCount, 10_000)
  const latencies = [...flips.values()].map(f => f.finished! - f.at!).sort((a, b) => a - b)
  const flipRounds = rounds.slice(roundsBeforeFlips).filter(r => r.end !== undefined).map(r => r.end! - r.start)
  const extra = ofType(keptn, 'finished').length - finishedBefore - flipCount

  console.log(`\n-- status change -> .finished at the Keptn fake (${flipCount} HelmReleases flipped to Ready at random moments over ${spreadMs / 1000} s)`)
  console.log(`latency: p50 ${msf(pct(latencies, 50))}, p95 ${msf(pct(latencies, 95))}, max ${msf(latencies.at(-1)!)}, min ${msf(latencies[0]!)}`)
  console.log(`rounds while flipping (they also hand outcomes over): p50 ${msf(median(flipRounds))}, max ${msf(Math.max(...flipRounds))}`)
  console.log(`a change waits for the next round (up to OBSERVE_INTERVAL + a round: a list-per-round design, no watch), then the round's LIST + mapping, then delivery (the .finished queued locally wakes the delivery worker at once; DELIVERY_POLL_INTERVAL 1s only if that is missed). Bound here ~ ${intervalMs / 1000}s + round; at the default 30s expect p50 ~15 s, max ~30 s + a round`)
  console.log(`pending: ${(await base.counts()).pending} (was ${pendingCount}); other .finished: ${extra}; Keptn fake: ${keptn.rejected.length} rejected, ${keptn.violations.length} protocol violations`)
  if (extra !== 0 || keptn.rejected.length > 0 || keptn.violations.length > 0) process.exitCode = 1

  if (process.env.BENCH_JSON) {
    writeFileSync(process.env.BENCH_JSON, JSON.stringify({
      at: new Date().toISOString(),
      options: { objectCount, pendingCount, intervalMs, measuredRounds, flipCount, namespaces },
      kubernetes: { perRound, perMinuteMeasured, perMinuteAtDefault: perRound * 2, gets, pages, naivePerRound },
      round: { durations, gaps, bareList: bare },
      memory: { empty: memEmpty, objects: memObjects, filled: memFilled, before: memBase, after: memAfter, peak: { rss: peakRss, heapUsed: peakHeap } },
      latency: { latencies, flipRounds }
    }, null, 2))
  }
} finally {
  stopping = true
  await app.close()
  await kube.close()
  await keptn.close()
  rmSync(dir, { recursive: true, force: true })
}
console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(0)} s`)
