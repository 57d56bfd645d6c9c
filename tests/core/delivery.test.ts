import t from 'tap'
import pino from 'pino'
import { createMemoryStore } from '../../app/store/memory/memory-store.js'
import { backoffMs, deliveryRound, type DeliveryDeps } from '../../app/core/delivery.js'
import type { FinishedResult, OutboxEntry } from '../../app/core/types.js'
import type { SendResult } from '../../app/core/keptn-client.js'

const logger = pino({ level: 'silent' })
const options = { leaseMs: 10_000, backoffBaseMs: 100, backoffMaxMs: 1000, uncertainRetryMs: 5000, batch: 16 }
// One round, counting what it leased.
const deliverDue = async (deps: DeliveryDeps) => (await deliveryRound(deps)).leased
const triggered = { project: 'p', stage: 's', service: 'v', triggeredId: 'a', keptnContext: 'c', receivedAt: 0, deadline: 1e12 }

t.test('an ack that fails during a Redis failover is retried, so Keptn gets the event once', async t => {
  const store = createMemoryStore()
  await store.addTriggered(triggered, 60_000, 0)
  let failures = 2
  const ack = store.ack.bind(store)
  store.ack = async entry => {
    if (failures-- > 0) throw new Error('NOREPLICAS Not enough good replicas to write.')
    await ack(entry)
  }
  const sent: string[] = []
  const send = async (entry: OutboxEntry): Promise<SendResult> => { sent.push(entry.id); return { ok: true, status: 200 } }
  t.equal(await deliverDue({ store, send, clock: () => 0, logger, options }), 1)
  t.equal(failures, -1, 'acked on the third try')
  t.equal(await deliverDue({ store, send, clock: () => 20_000, logger, options }), 0, 'nothing left to send after the lease')
  t.same(sent, ['started:a'])
})

t.test('an ack that cannot land before the lease ends gives up (the entry will be sent again)', async t => {
  const store = createMemoryStore()
  await store.addTriggered(triggered, 60_000, 0)
  store.ack = async () => { throw new Error('Connection is closed.') }
  const send = async (): Promise<SendResult> => ({ ok: true, status: 200 })
  await t.rejects(deliverDue({ store, send, clock: () => 0, logger, options: { ...options, leaseMs: 300 } }), /Connection is closed/)
})

t.test('the worker\'s round asks to run again only when more may be due at once', async t => {
  const store = createMemoryStore()
  const sent: string[] = []
  const send = async (entry: OutboxEntry): Promise<SendResult> => { sent.push(entry.id); return { ok: true, status: 200 } }
  const deps = { store, send, clock: () => 0, logger, options: { ...options, batch: 2 } }
  const finished: FinishedResult = { status: 'succeeded', result: 'pass', message: 'ok', deploymentNames: ['v'], source: 'flux', finishedAt: 0 }
  const resolve = (triggeredId: string) => store.resolve({ key: triggered, deliveryId: triggeredId, versions: [], finished, dedupeTtlMs: 60_000, retentionMs: 60_000, now: 0 })

  await store.addTriggered(triggered, 60_000, 0)
  await resolve('a')
  t.same(await deliveryRound(deps), { leased: 1, more: true }, 'a .started was delivered: its .finished may be due now')
  t.same(await deliveryRound(deps), { leased: 1, more: false }, 'the .finished alone: nothing more can be due')
  t.same(sent, ['started:a', 'finished:a'])

  for (const id of ['b', 'c', 'd']) await store.addTriggered({ ...triggered, triggeredId: id }, 60_000, 0)
  t.same(await deliveryRound(deps), { leased: 2, more: true }, 'the batch limit was hit: more may be due')
  t.same(await deliveryRound(deps), { leased: 1, more: true })
  t.same(await deliveryRound(deps), { leased: 0, more: false }, 'nothing leased')
  t.equal(sent.length, 5)
})

t.test('backoff grows exponentially with jitter and is capped', async t => {
  t.equal(backoffMs(1, 100, 1000, () => 0), 50)
  t.equal(backoffMs(1, 100, 1000, () => 1), 100)
  t.equal(backoffMs(3, 100, 1000, () => 1), 400)
  t.equal(backoffMs(20, 100, 1000, () => 1), 1000)
})

t.test('an attempt that may have landed is not resent before KEPTN_TIMEOUT, and not at all when Keptn holds it', async t => {
  const store = createMemoryStore()
  await store.addTriggered(triggered, 60_000, 0)
  let now = 0
  const sent: string[] = []
  let answer: SendResult = { ok: false, retryable: true, message: 'timeout: Keptn did not answer within 5000 ms', uncertain: true }
  const send = async (entry: OutboxEntry): Promise<SendResult> => { sent.push(entry.id); return answer }
  const asked: string[] = []
  const holds: boolean | undefined = true
  const landed = async (entry: OutboxEntry) => { asked.push(entry.id); return holds }
  const deps = { store, send, landed, clock: () => now, logger, options, random: () => 1 }

  t.equal(await deliverDue(deps), 1)
  t.same(sent, ['started:a'], 'sent once; no answer came back')
  now = 4_999
  t.equal(await deliverDue(deps), 0, 'not due again before the timeout that lost the answer')
  now = 5_000
  answer = { ok: true, status: 200 }
  t.equal(await deliverDue(deps), 1)
  t.same(asked, ['started:a'], 'Keptn was asked first')
  t.same(sent, ['started:a'], 'Keptn held it: not sent a second time')
  t.equal(await deliverDue({ ...deps, clock: () => 1e9 }), 0, 'and it is settled')
})

t.test('when Keptn does not hold it, or cannot say, the event is sent again; when it cannot be asked, it waits', async t => {
  const store = createMemoryStore()
  await store.addTriggered(triggered, 60_000, 0)
  let now = 0
  const sent: string[] = []
  let answer: SendResult = { ok: false, retryable: true, message: 'Keptn unreachable: other side closed', uncertain: true }
  const send = async (entry: OutboxEntry): Promise<SendResult> => { sent.push(entry.id); return answer }
  let holds: () => Promise<boolean | undefined> = async () => { throw new Error('Keptn unreachable') }
  const deps = { store, send, landed: () => holds(), clock: () => now, logger, options, random: () => 1 }

  await deliverDue(deps)
  now += 5_000
  await deliverDue(deps)
  t.same(sent, ['started:a'], 'the check failed: nothing sent blind')
  now += 5_000
  holds = async () => false
  await deliverDue(deps)
  t.same(sent, ['started:a', 'started:a'], 'Keptn does not hold it: sent again')
  now += 5_000
  holds = async () => undefined
  answer = { ok: true, status: 200 }
  await deliverDue(deps)
  t.same(sent, ['started:a', 'started:a', 'started:a'], 'Keptn cannot say (older than 0.19): sent again, as before')
})

t.test('a refused connection never landed: retried on the normal backoff, Keptn not asked', async t => {
  const store = createMemoryStore()
  await store.addTriggered(triggered, 60_000, 0)
  let now = 0
  const sent: string[] = []
  const send = async (entry: OutboxEntry): Promise<SendResult> => { sent.push(entry.id); return sent.length === 1 ? { ok: false, retryable: true, message: 'Keptn unreachable: ECONNREFUSED' } : { ok: true, status: 200 } }
  let asked = 0
  const deps = { store, send, landed: async () => { asked++; return true }, clock: () => now, logger, options, random: () => 1 }
  await deliverDue(deps)
  now = 100
  t.equal(await deliverDue(deps), 1, 'due again after the backoff, not after KEPTN_TIMEOUT')
  t.equal(asked, 0)
  t.same(sent, ['started:a', 'started:a'])
})

t.test('a slow request does not hold the rest of the outbox back; it finishes in the background, sent once', async t => {
  const store = createMemoryStore()
  for (const id of ['slow', 'b', 'c']) await store.addTriggered({ ...triggered, triggeredId: id }, 60_000, 0)
  const sent: Array<{ id: string, at: number }> = []
  let release: () => void = () => {}
  const slowAnswer = new Promise<void>(resolve => { release = resolve })
  const send = async (entry: OutboxEntry): Promise<SendResult> => {
    if (entry.id === 'started:slow') await slowAnswer
    sent.push({ id: entry.id, at: Date.now() })
    return { ok: true, status: 200 }
  }
  const inFlight = { jobs: new Set<Promise<void>>(), slowAfterMs: 50, max: 8 }
  const deps = { store, send, clock: () => 0, logger, options: { ...options, batch: 1 } }
  const start = Date.now()
  // One entry per round: the slow one first (oldest), then the others, each round not waiting for it.
  for (let round = 0; round < 3; round++) await deliveryRound(deps, undefined, inFlight)
  t.same(sent.map(s => s.id).sort(), ['started:b', 'started:c'], 'the others were delivered while the slow one waits')
  t.ok(Date.now() - start < 2000, 'well before the slow answer')
  t.equal(inFlight.jobs.size, 1, 'the slow one is still in flight')
  t.equal((await deliveryRound(deps, undefined, inFlight)).leased, 0, 'and it is not leased a second time')
  release()
  await Promise.all(inFlight.jobs)
  t.same(sent.map(s => s.id).sort(), ['started:b', 'started:c', 'started:slow'])
  t.same(await store.counts(), { pending: 3, outbox: 0 }, 'all settled')
})

t.test('after asking Keptn, a send that could outlast the lease waits for the next lease instead', async t => {
  const store = createMemoryStore()
  await store.addTriggered(triggered, 60_000, 0)
  await store.lease(0, 1, 10)
  // Leased again after its lease ran out: taken over, so Keptn is asked first; the answer is slow.
  const sent: string[] = []
  const send = async (entry: OutboxEntry): Promise<SendResult> => { sent.push(entry.id); return { ok: true, status: 200 } }
  const landed = async () => { await new Promise(resolve => setTimeout(resolve, 150)); return false }
  const deps = { store, send, landed, clock: () => 10, logger, options: { ...options, leaseMs: 200, uncertainRetryMs: 100 } }
  await deliverDue(deps)
  t.same(sent, [], 'less than KEPTN_TIMEOUT of the lease left: not sent')
  await deliverDue({ ...deps, clock: () => 1e6, landed: async () => false })
  t.same(sent, ['started:a'], 'sent on a later lease with room to spare')
})

t.test('a Keptn that refuses the question (a 4xx) cannot say: the event is sent, not held for ever', async t => {
  const store = createMemoryStore()
  await store.addTriggered(triggered, 60_000, 0)
  await store.lease(0, 1, 10)
  const sent: string[] = []
  const send = async (entry: OutboxEntry): Promise<SendResult> => { sent.push(entry.id); return { ok: true, status: 200 } }
  const refused = Object.assign(new Error('looking for an event in Keptn: Keptn answered 403: forbidden'), { status: 403 })
  await deliverDue({ store, send, landed: async () => { throw refused }, clock: () => 10, logger, options })
  t.same(sent, ['started:a'])
})

t.test('a dead letter keeps who, what and why, bounded: long Keptn messages cut, big labels replaced by their size', async t => {
  const store = createMemoryStore()
  await store.addTriggered({ ...triggered, labels: { note: 'x'.repeat(5000) } }, 60_000, 0)
  const send = async (): Promise<SendResult> => ({ ok: false, retryable: false, status: 400, message: 'y'.repeat(50_000) })
  await deliverDue({ store, send, clock: () => 0, logger, options })
  const [dead] = (await store.snapshot(10)).deadLetters
  t.ok(dead)
  t.ok(dead!.attempts[0]!.message.length < 1100, 'the message is cut')
  t.match(dead!.attempts[0], { status: 400, message: /… \[truncated\]$/ })
  t.same(dead!.entry.kind === 'started' && dead!.entry.pending.labels, { 'kgb.labels-dropped': '5011 bytes' })
  t.equal(dead!.entry.kind === 'started' && dead!.entry.pending.triggeredId, 'a', 'still says which deployment')
})
