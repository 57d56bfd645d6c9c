import type { Test } from 'tap'
import { deadLetterLimit, type Store, type ResolveRequest } from '../../app/core/store.js'
import type { FinishedResult, SequenceTrigger, TriggeredDeployment } from '../../app/core/types.js'

// One behaviour suite, run against every Store implementation.

const key = { project: 'podtato', stage: 'dev', service: 'helloservice' }
const minute = 60_000

export function triggered (id: string, over: Partial<TriggeredDeployment> = {}): TriggeredDeployment {
  return { ...key, triggeredId: id, keptnContext: `ctx-${id}`, receivedAt: 1000, deadline: 1000 + 15 * minute, ...over }
}

const finished: FinishedResult = {
  status: 'succeeded', result: 'pass', message: 'Successfully deployed', deploymentNames: ['helloservice'], source: 'flux', finishedAt: 2000
}

function request (over: Partial<ResolveRequest> = {}): ResolveRequest {
  return { key, deliveryId: 'd1', versions: [], finished, dedupeTtlMs: 10 * minute, retentionMs: 7 * 24 * 60 * minute, now: 2000, ...over }
}

function sequence (revision: string): SequenceTrigger {
  return { ...key, sequence: 'evaluation', keptnContext: `seq-${revision}`, revision, labels: {}, createdAt: 2000 }
}

export function storeBehaviour (t: Test, makeStore: (t: Test) => Promise<Store>): void {
  t.test('a triggered deployment is taken on once and its .started enqueued once', async t => {
    const store = await makeStore(t)
    t.equal(await store.addTriggered(triggered('a'), 60 * minute, 1000), true)
    t.equal(await store.addTriggered(triggered('a'), 60 * minute, 1000), false)
    t.same(await store.counts(), { pending: 1, outbox: 1 })
    const leased = await store.lease(1000, minute, 10)
    t.same(leased.map(e => e.id), ['started:a'])
    t.equal((await store.snapshot(10)).pendingCount, 1)
  })

  t.test('listPending lists the pending deployments due first, across shards, and only pending ones', async t => {
    const store = await makeStore(t)
    for (let i = 0; i < 20; i++) await store.addTriggered({ ...triggered(`l${i}`), service: `svc-${i}`, deadline: 10_000 + (20 - i) }, 60 * minute, 1000)
    const first = await store.listPending(5)
    t.same(first.map(td => td.triggeredId), ['l19', 'l18', 'l17', 'l16', 'l15'], 'the five due first, in deadline order')
    t.equal((await store.listPending(100)).length, 20)
    await store.finishPending((await store.listPending(1))[0]!, { status: 'succeeded', result: 'pass', message: 'ok', deploymentNames: ['x'], source: 'flux', finishedAt: 1 }, 1000)
    t.notOk((await store.listPending(100)).some(td => td.triggeredId === 'l19'), 'a finished one is no longer listed')
    t.same(await store.listPending(0), [])
  })

  t.test('a triggered id is taken on once whatever its data says: the same id for another service is refused', async t => {
    const store = await makeStore(t)
    t.equal(await store.addTriggered(triggered('x'), 60 * minute, 1000), true)
    // With 16 shards, most of these land in another shard than the first.
    for (const service of ['cart', 'shop', 'payment', 'users', 'orders', 'catalog', 'front', 'queue']) {
      t.equal(await store.addTriggered(triggered('x', { service }), 60 * minute, 1000), false, `not again for ${service}`)
    }
    t.equal(await store.addTriggered(triggered('x', { project: 'other', stage: 'prod' }), 60 * minute, 1000), false)
    t.same(await store.counts(), { pending: 1, outbox: 1 }, 'one deployment, one .started')
  })

  t.test('an entry leased again before it was settled comes back marked: its event may be in Keptn', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('k'), 60 * minute, 1000)
    const [first] = await store.lease(1000, minute, 10)
    t.same(first?.attempts ?? [], [], 'a first lease carries no doubt')
    const [again] = await store.lease(1000 + minute, minute, 10)
    t.match(again?.attempts?.at(-1), { uncertain: true, message: /taken over/ })
    await store.retry({ ...again!, attempts: [] }, 1000 + 2 * minute)
    const [afterRetry] = await store.lease(1000 + 2 * minute, minute, 10)
    t.same(afterRetry?.attempts ?? [], [], 'a settled lease starts afresh')
  })

  t.test('a commit hint (<chart>+<12 hex>, maybe a digest) finishes the deployment it names and excludes none', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('older', { commit: 'aaaaaaaaaaaa1111', receivedAt: 1000 }), 60 * minute, 1000)
    await store.addTriggered(triggered('named', { commit: 'bbbbbbbbbbbb2222', receivedAt: 1500 }), 60 * minute, 1500)
    t.match(await store.resolve(request({ commit: 'bbbbbbbbbbbb', commitIsHint: true })), { status: 'finished', triggeredId: 'named' }, 'the one it names, not the oldest')
    t.match(await store.resolve(request({ deliveryId: 'd2', commit: 'cccccccccccc', commitIsHint: true })), { status: 'finished', triggeredId: 'older' }, 'another hint excludes nothing')
    await store.addTriggered(triggered('third', { commit: 'dddddddddddd3333', receivedAt: 2000 }), 60 * minute, 2000)
    t.same(await store.resolve(request({ deliveryId: 'd3', commit: 'cccccccccccc' })), { status: 'no-pending' }, 'a real commit that differs still excludes')
  })

  t.test('a result finishes the oldest pending deployment and a retried delivery is a duplicate', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('old', { receivedAt: 1000 }), 60 * minute, 1000)
    await store.addTriggered(triggered('new', { receivedAt: 1500 }), 60 * minute, 1500)
    t.same(await store.resolve(request()), { status: 'finished', triggeredId: 'old', keptnContext: 'ctx-old' })
    t.same(await store.resolve(request()), { status: 'duplicate' })
    t.same(await store.resolve(request({ deliveryId: 'd2' })), { status: 'finished', triggeredId: 'new', keptnContext: 'ctx-new' })
    t.same(await store.resolve(request({ deliveryId: 'd3' })), { status: 'no-pending' })
  })

  t.test('two deployments taken in the same millisecond: every store finishes the same one first', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('zzz-first', { receivedAt: 1000 }), 60 * minute, 1000)
    await store.addTriggered(triggered('aaa-second', { receivedAt: 1000 }), 60 * minute, 1000)
    t.match(await store.resolve(request()), { status: 'finished', triggeredId: 'aaa-second' })
    t.match(await store.resolve(request({ deliveryId: 'd2' })), { status: 'finished', triggeredId: 'zzz-first' })
  })

  t.test('a writer that is alive keeps its Git write claim by renewing it', async t => {
    const store = await makeStore(t)
    const td = triggered('g', { image: 'app:v1' })
    await store.addTriggered(td, 60 * minute, 1000)
    t.ok(await store.claimGitWrite(td, 'writer-a', 200, 2000))
    await new Promise(resolve => setTimeout(resolve, 120))
    t.equal(await store.renewGitWrite(td, 'writer-a', 200, 2120), true, 'the owner renews it')
    await new Promise(resolve => setTimeout(resolve, 120))
    t.equal(await store.claimGitWrite(td, 'writer-b', 200, 2240), undefined, 'still held past the first lease')
    t.equal(await store.claimGitWrite(td, 'writer-a', 200, 2240), undefined, 'held: not even its owner claims it again')
    await new Promise(resolve => setTimeout(resolve, 150))
    t.ok(await store.claimGitWrite(td, 'writer-b', 200, 2400), 'free once the renewals stop')
    t.equal(await store.renewGitWrite(triggered('unclaimed'), 'writer-a', 200, 2400), false, 'nothing to renew')
    t.ok(await store.addTriggered(triggered('unclaimed', { image: 'app:v1' }), 60 * minute, 2400))
    t.ok(await store.claimGitWrite(triggered('unclaimed'), 'writer-b', 200, 2400), 'renewing nothing claims nothing')
  })

  t.test('only the owner of a Git write claim renews it', async t => {
    const store = await makeStore(t)
    const td = triggered('o', { image: 'app:v1' })
    await store.addTriggered(td, 60 * minute, 1000)
    t.ok(await store.claimGitWrite(td, 'writer-a', 200, 2000))
    t.equal(await store.renewGitWrite(td, 'writer-b', 200, 2050), false, 'another owner cannot renew it')
    await new Promise(resolve => setTimeout(resolve, 120))
    t.equal(await store.renewGitWrite(td, 'writer-a', 200, 2120), true, 'its owner can')
    await new Promise(resolve => setTimeout(resolve, 120))
    t.equal(await store.claimGitWrite(td, 'writer-b', 200, 2240), undefined, 'the owner kept it past its first lease')
    t.equal(await store.renewGitWrite(td, 'writer-b', 200, 2240), false, 'nor did the failed renewal hand it to another owner')
    await new Promise(resolve => setTimeout(resolve, 150))
    t.equal(await store.renewGitWrite(td, 'writer-a', 200, 2400), false, 'a lapsed claim is not renewed, not even by its owner')
    t.ok(await store.claimGitWrite(td, 'writer-b', 200, 2400), 'after the lease lapsed another owner claims it')
    t.equal(await store.renewGitWrite(td, 'writer-a', 200, 2450), false, 'and the former owner cannot take it back by renewing')
    t.equal(await store.renewGitWrite(td, 'writer-b', 200, 2450), true, 'the new owner renews it')
  })

  t.test('a deployment whose change the bridge has yet to push to Git is never a fallback', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('git', { version: '0.3.2', toGit: true, receivedAt: 1000 }), 60 * minute, 1000)
    t.same(await store.resolve(request({ commit: 'aaaaaaa1111' })), { status: 'no-pending' }, 'a report of some commit is not about a change not yet pushed')
    t.match(await store.updatePending(triggered('git', { version: '0.3.2', toGit: true, commit: 'bbbbbbb2222', pushed: 'bbbbbbb2222' })), true)
    t.same(await store.resolve(request({ deliveryId: 'd2', commit: 'aaaaaaa1111' })), { status: 'no-pending' }, 'nor of another commit once pushed')
    t.match(await store.resolve(request({ deliveryId: 'd3', commit: 'bbbbbbb2222' })), { status: 'finished', triggeredId: 'git' }, 'the pushed commit finishes it')
    await store.addTriggered(triggered('git2', { version: '0.3.3', toGit: true, receivedAt: 2000 }), 60 * minute, 2000)
    t.match(await store.resolve(request({ deliveryId: 'd4', versions: ['0.3.3'] })), { status: 'finished', triggeredId: 'git2' }, 'its very version still does')
  })

  t.test('a matching version wins over age; a contradicting known version is never finished', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('v1', { version: '1.0.0', receivedAt: 1000 }), 60 * minute, 1000)
    await store.addTriggered(triggered('v2', { version: '2.0.0', receivedAt: 1500 }), 60 * minute, 1500)
    const answer = await store.resolve(request({ versions: ['2.0.0'] }))
    t.same(answer, { status: 'finished', triggeredId: 'v2', keptnContext: 'ctx-v2' })
    t.same(await store.resolve(request({ deliveryId: 'd2', versions: ['3.0.0'] })), { status: 'no-pending' })
    t.equal((await store.snapshot(10)).pendingCount, 1, 'v1 still pending')
  })

  t.test('VERSION_MATCH=prefer: a differing version only loses preference; a differing commit still excludes', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('v1', { version: '1.0.0', receivedAt: 1000 }), 60 * minute, 1000)
    await store.addTriggered(triggered('c', { commit: 'abcdef1', receivedAt: 500 }), 60 * minute, 1000)
    t.same(await store.resolve(request({ versions: ['3.0.0'], commit: '1234567', strictVersions: false })),
      { status: 'finished', triggeredId: 'v1', keptnContext: 'ctx-v1' })
    t.same(await store.resolve(request({ deliveryId: 'd2', versions: ['3.0.0'], commit: '1234567', strictVersions: false })), { status: 'no-pending' })
  })

  t.test('a pending deployment with a lone surrogate in a label does not break its service', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('odd', { labels: { note: 'broken \ud800 text' } }), 60 * minute, 1000)
    t.match(await store.resolve(request()), { status: 'finished', triggeredId: 'odd' })
    await store.addTriggered(triggered('next', { receivedAt: 2000 }), 60 * minute, 2000)
    t.match(await store.resolve(request({ deliveryId: 'd2' })), { status: 'finished', triggeredId: 'next' })
  })

  t.test('behind many fallbacks, a later pending deployment that matches by version or commit still wins', async t => {
    const store = await makeStore(t)
    const add = (id: string, receivedAt: number, over: Partial<TriggeredDeployment> = {}) =>
      store.addTriggered(triggered(id, { receivedAt, ...over }), 60 * minute, 1000)
    for (let i = 0; i < 20; i++) await add(`f${i}`, 1000 + i)
    // "version" as a label only: looks like a match in the record's text, is none.
    await add('labelled', 1100, { labels: { version: '2.0.0', commit: 'abcdef1' } })
    for (let i = 20; i < 40; i++) await add(`f${i}`, 1100 + i)
    await add('v2', 1200, { version: '2.0.0' })
    await add('c', 1300, { commit: 'abcdef1234' })
    await add('odd', 1400, { version: '1.0 "beta"' })
    let n = 0
    const resolve = async (over: Partial<ResolveRequest>) => await store.resolve(request({ deliveryId: `d${n++}`, ...over }))
    t.match(await resolve({ versions: ['9.9.9', '2.0.0'] }), { status: 'finished', triggeredId: 'v2' })
    t.match(await resolve({ versions: ['9.9.9'], commit: 'abcdef1234567890' }), { status: 'finished', triggeredId: 'c' })
    t.match(await resolve({ versions: ['1.0 "beta"'] }), { status: 'finished', triggeredId: 'odd' })
    t.match(await resolve({ versions: ['2.0.0'] }), { status: 'finished', triggeredId: 'f0' }, 'no match left: the oldest fallback')
    t.match(await resolve({ commit: 'abcdef1' }), { status: 'finished', triggeredId: 'f1' })
    t.match(await resolve({}), { status: 'finished', triggeredId: 'f2' }, 'nothing to compare: the oldest')
    t.equal((await store.snapshot(0)).pendingCount, 38)
  })

  t.test('commits match by prefix of at least 7 characters', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('c', { commit: '2f0a1b3' }), 60 * minute, 1000)
    t.same(await store.resolve(request({ commit: '9999999aaaa' })), { status: 'no-pending' })
    t.same(await store.resolve(request({ deliveryId: 'd2', commit: '2f0a1b3c4d5e6f' })),
      { status: 'finished', triggeredId: 'c', keptnContext: 'ctx-c' })
  })

  t.test('a result whose versions cannot be compared falls back to the oldest', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('tagged', { version: '1.0.0' }), 60 * minute, 1000)
    const answer = await store.resolve(request({ commit: 'abcdef0123' }))
    t.same(answer, { status: 'finished', triggeredId: 'tagged', keptnContext: 'ctx-tagged' })
  })

  t.test('.finished waits for the .started of the same triggered id', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('a'), 60 * minute, 1000)
    await store.resolve(request({ now: 1000 }))
    const first = await store.lease(1000, minute, 10)
    t.same(first.map(e => e.id), ['started:a'])
    t.same(await store.lease(1001, minute, 10), [], 'finished held back while started is leased')
    t.same(await store.lease(1000 + minute + 1, minute, 10).then(l => l.map(e => e.id)), ['started:a'], 'the lease ran out: started again, finished still behind it')
    await store.ack(first[0]!)
    const second = await store.lease(1002, minute, 10)
    t.same(second.map(e => e.id), ['finished:a'])
    t.match(second[0], { kind: 'finished', pending: { triggeredId: 'a' }, result: { status: 'succeeded' } })
  })

  t.test('an unsettled lease is handed out again after it expires; settling twice does nothing', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('a'), 60 * minute, 1000)
    const [entry] = await store.lease(1000, minute, 10)
    t.same(await store.lease(1000 + minute - 1, minute, 10), [])
    const again = await store.lease(1000 + minute, minute, 10)
    t.same(again.map(e => e.id), ['started:a'])
    await store.ack(entry!)
    await store.retry({ ...entry!, attempts: [{ at: 1, message: 'late' }] }, 0)
    t.same(await store.lease(10 * minute, minute, 10), [], 'a retry after another worker acked is ignored')
  })

  t.test('retry keeps the attempts and reschedules; dead letters are listed', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('a'), 60 * minute, 1000)
    const [entry] = await store.lease(1000, minute, 10)
    const attempts = [{ at: 1000, status: 503, message: 'unavailable' }]
    await store.retry({ ...entry!, attempts }, 5000)
    t.same(await store.lease(4999, minute, 10), [])
    const [retried] = await store.lease(5000, minute, 10)
    t.same(retried!.attempts, attempts)
    await store.deadLetter(retried!, [...attempts, { at: 5000, status: 400, message: 'bad' }], 5000)
    const snapshot = await store.snapshot(10)
    t.equal(snapshot.outboxDepth, 0)
    t.equal(snapshot.deadLetters.length, 1)
    t.equal(snapshot.deadLetters[0]!.attempts[1]!.message, 'bad')
  })

  t.test('a .started Keptn refused for good takes its deployment along: its .finished is never sent', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('a'), 60 * minute, 1000)
    await store.addTriggered(triggered('b', { receivedAt: 1500 }), 60 * minute, 1500)
    const started = await store.lease(1500, minute, 10)
    t.match(await store.resolve(request()), { status: 'finished', triggeredId: 'a' }, 'a result came while the .started was being sent')
    await store.deadLetter(started.find(e => e.id === 'started:a')!, [{ at: 2000, status: 400, message: 'bad event' }], 2000)
    t.same((await store.lease(3000, minute, 10)).map(e => e.id), [], 'the queued .finished is not sent')
    const snapshot = await store.snapshot(10)
    t.same(snapshot.deadLetters.map(d => d.entry.id).sort(), ['finished:a', 'started:a'])
    t.match(snapshot.deadLetters.find(d => d.entry.id === 'finished:a'), { attempts: [{ at: 2000, message: /Keptn refused its \.started/ }], deadAt: 2000 })

    await store.deadLetter(started.find(e => e.id === 'started:b')!, [{ at: 2500, status: 400, message: 'bad event' }], 2500)
    t.same((await store.snapshot(10)).pending, [], 'no longer pending')
    t.same(await store.resolve(request({ deliveryId: 'd2' })), { status: 'no-pending' }, 'so no later result can queue a .finished for it')
    t.same(await store.expire(Number.MAX_SAFE_INTEGER, () => finished, 10), [], 'nor its deadline')
  })

  t.test('only the newest dead letters are kept', async t => {
    const store = await makeStore(t)
    const count = deadLetterLimit + 3
    for (let i = 0; i < count; i++) await store.addTriggered(triggered(`t${String(i).padStart(4, '0')}`, { receivedAt: 1000 }), 60 * minute, 1000)
    const leased = await store.lease(1000, minute, count)
    t.equal(leased.length, count)
    for (const [i, entry] of leased.entries()) await store.deadLetter(entry, [{ at: 2000 + i, status: 401, message: 'unauthorized' }], 2000 + i)
    const dead = (await store.snapshot(2 * deadLetterLimit)).deadLetters
    t.equal(dead.length, deadLetterLimit)
    t.equal(dead.at(-1)!.deadAt, 2003, 'the three oldest are gone')
    const page = (await store.snapshot(5)).deadLetters
    t.same(page.map(d => d.deadAt), [2000 + count - 1, 2000 + count - 2, 2000 + count - 3, 2000 + count - 4, 2000 + count - 5], 'a snapshot reads only the newest it shows')
  })

  t.test('deadlines finish each expired deployment once', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('late', { deadline: 5000 }), 60 * minute, 1000)
    await store.addTriggered(triggered('early', { deadline: 9000 }), 60 * minute, 1000)
    const timeout = (td: TriggeredDeployment): FinishedResult =>
      ({ ...finished, status: 'errored', result: 'fail', message: `timed out ${td.triggeredId}`, source: 'deadline' })
    const [a, b] = await Promise.all([store.expire(6000, timeout, 100), store.expire(6000, timeout, 100)])
    t.same([...a, ...b].map(td => td.triggeredId), ['late'])
    t.same(await store.expire(6000, timeout, 100), [])
    const snapshot = await store.snapshot(10)
    t.equal(snapshot.pendingCount, 1)
    t.match(snapshot.recent[0], { kind: 'timeout', triggeredId: 'late', result: 'fail' })
    t.same(await store.resolve(request({ now: 7000 })), { status: 'finished', triggeredId: 'early', keptnContext: 'ctx-early' })
  })

  t.test('finishPending finishes a named pending deployment once; updatePending only while pending', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('a'), 60 * minute, 1000)
    t.equal(await store.updatePending({ ...triggered('a'), commit: 'abcdef1' }), true)
    t.same(await store.resolve(request({ commit: '1234567' })), { status: 'no-pending' }, 'now waits for its commit')
    t.equal(await store.finishPending(triggered('a'), { ...finished, message: 'already there' }, 3000), true)
    t.equal(await store.finishPending(triggered('a'), finished, 3000), false)
    t.equal(await store.updatePending(triggered('a')), false)
    const snapshot = await store.snapshot(10)
    t.equal(snapshot.pendingCount, 0)
    t.match(snapshot.recent, [{ triggeredId: 'a', message: 'already there' }])
  })

  t.test('a Git write is claimed by one writer at a time, again once the claim ran out, never after the push or the finish', async t => {
    const store = await makeStore(t)
    const stored = triggered('g', { image: 'ghcr.io/podtato-head/podtato-server:v1.0.0', receivedAt: 1000 })
    await store.addTriggered(stored, 60 * minute, 1000)
    const fromEvent = { ...stored, receivedAt: 5000, deadline: 9e12 }
    t.same(await store.claimGitWrite(fromEvent, 'writer-a', 100, 2000), stored, 'the stored record, not the one just parsed')
    t.equal(await store.claimGitWrite(fromEvent, 'writer-b', 100, 2050), undefined, 'claimed by someone else')
    await new Promise(resolve => setTimeout(resolve, 150))
    t.same(await store.claimGitWrite(fromEvent, 'writer-b', 100, 2200), stored, 'the claim ran out: a writer that died is replaced')
    await new Promise(resolve => setTimeout(resolve, 150))
    await store.updatePending({ ...stored, commit: 'abcdef1', pushed: 'abcdef1' })
    t.equal(await store.claimGitWrite(fromEvent, 'writer-c', 100, 2400), undefined, 'pushed already')
    await store.addTriggered(triggered('h'), 60 * minute, 1000)
    await store.finishPending(triggered('h'), finished, 3000)
    t.equal(await store.claimGitWrite(triggered('h'), 'writer-a', 100, 3000), undefined, 'no longer pending')
    t.equal(await store.claimGitWrite(triggered('never'), 'writer-a', 100, 3000), undefined, 'never pending')
  })

  t.test('held results: kept by a resolve that finished nothing (triggering a sequence or not), per service, oldest first, once per delivery, gone once their time is up', async t => {
    const store = await makeStore(t)
    const other = { ...key, service: 'other' }
    const late = request({ deliveryId: 'late', versions: ['2.0.0'], now: 3000, holdMs: 5 * minute })
    const early = request({ deliveryId: 'early', versions: ['1.0.0'], now: 2000, holdMs: minute })
    for (const req of [late, early, early, request({ key: other, deliveryId: 'elsewhere', holdMs: minute })]) await store.resolve(req)
    await store.addTriggered(triggered('a', { version: '4.0.0' }), 60 * minute, 1000)
    t.match(await store.resolve(request({ deliveryId: 'finishes', versions: ['4.0.0'], holdMs: minute })), { status: 'finished' })
    const triggers = request({ deliveryId: 'triggers', versions: ['5.0.0'], holdMs: minute, trigger: sequence('r5'), now: 2200 })
    t.match(await store.resolve(triggers), { status: 'triggered' })
    t.same(await store.resolve(request({ deliveryId: 'not-asked', versions: ['6.0.0'] })), { status: 'no-pending' })
    t.same(await store.heldResults(key, 2500), [early, triggers, late], 'held as given, only those that finished nothing')
    t.same((await store.heldResults(key, 2000 + minute)).map(r => r.deliveryId), ['triggers', 'late'], 'the first one-minute hold ran out')
    t.same((await store.heldResults(other, 2500)).map(r => r.deliveryId), ['elsewhere'])
    t.same(await store.heldResults({ ...key, stage: 'prod' }, 2500), [])
  })

  t.test('GitOps-first: one trigger per service and revision, a new revision triggers again', async t => {
    const store = await makeStore(t)
    t.same(await store.resolve(request({ trigger: sequence('r1') })), { status: 'triggered', keptnContext: 'seq-r1' })
    t.same(await store.resolve(request({ deliveryId: 'd2', trigger: sequence('r1') })), { status: 'already-triggered' })
    t.same(await store.resolve(request({ deliveryId: 'd3', trigger: sequence('r2') })), { status: 'triggered', keptnContext: 'seq-r2' })
    t.same(await store.resolve(request({ deliveryId: 'd4', trigger: sequence('r1'), now: 2000 + 11 * minute })), { status: 'already-triggered' },
      'remembered for RETENTION, not only for the delivery window')
    const leased = await store.lease(2000, minute, 10)
    t.same(leased.map(e => e.id).sort(), ['trigger:seq-r1', 'trigger:seq-r2'])
  })

  t.test('a pending deployment wins over GitOps-first triggering', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('a'), 60 * minute, 1000)
    t.match(await store.resolve(request({ trigger: sequence('r1') })), { status: 'finished', triggeredId: 'a' })
  })

  t.test('concurrent resolves of the same delivery finish once', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('a'), 60 * minute, 1000)
    await store.addTriggered(triggered('b', { receivedAt: 2000 }), 60 * minute, 2000)
    const answers = await Promise.all(Array.from({ length: 10 }, () => store.resolve(request())))
    t.equal(answers.filter(a => a.status === 'finished').length, 1)
    t.equal((await store.snapshot(10)).pendingCount, 1)
  })

  t.test('the snapshot lists pending deployments soonest deadline first and recent outcomes newest first', async t => {
    const store = await makeStore(t)
    await store.addTriggered(triggered('x', { deadline: 9000, project: 'other' }), 60 * minute, 1000)
    await store.addTriggered(triggered('y', { deadline: 8000 }), 60 * minute, 1000)
    await store.addTriggered(triggered('z', { deadline: 7000, receivedAt: 500 }), 60 * minute, 1000)
    await store.resolve(request({ finished: { ...finished, finishedAt: 3000 } }))
    const snapshot = await store.snapshot(2)
    t.same(snapshot.pending.map(p => p.triggeredId), ['y', 'x'])
    t.equal(snapshot.pendingCount, 2)
    t.match(snapshot.recent, [{ kind: 'finished', triggeredId: 'z', at: 3000 }])
  })
}
