import t from 'tap'
import { startWorker } from '../../app/core/worker.js'

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/** A logger that keeps its warnings. */
function recordingLogger () {
  const warnings: unknown[] = []
  const ignore = () => {}
  return { warnings, logger: { warn: (obj: unknown) => { warnings.push(obj) }, info: ignore, error: ignore, debug: ignore } as never }
}

/** A round that records what it was asked for; `full` is a round over everything. */
function recordingRound (work: (targets?: ReadonlySet<number>) => number | Promise<number> = () => 0) {
  const calls: Array<number[] | 'full'> = []
  const round = async (targets?: ReadonlySet<number>) => {
    calls.push(targets ? [...targets].sort((a, b) => a - b) : 'full')
    return await work(targets)
  }
  return { calls, round }
}

async function until (check: () => boolean, ms = 2000) {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await sleep(2)
  }
}

t.test('a wake-up with a target runs a round for the woken targets only; the full round stays on the timer', async t => {
  const { calls, round } = recordingRound()
  const worker = startWorker<number>('test', round, 60_000, recordingLogger().logger)
  t.teardown(() => worker.stop())
  await until(() => calls.length === 1)
  t.same(calls, ['full'], 'the first round, at start, covers everything')
  worker.wake(3)
  worker.wake(5)
  worker.wake(5)
  await until(() => calls.length === 3)
  await sleep(20)
  t.same(calls, ['full', [3], [5]], 'a wake-up during a round is served right after it, each target once')
  worker.wake()
  await until(() => calls.length === 4)
  t.same(calls.at(-1), 'full', 'a wake-up without a target runs a full round')
})

t.test('a round that did work runs again at once over the same targets, until it finds nothing', async t => {
  let left = 2
  const { calls, round } = recordingRound(targets => targets ? (left-- > 0 ? 1 : 0) : 0)
  const worker = startWorker<number>('test', round, 60_000, recordingLogger().logger)
  t.teardown(() => worker.stop())
  await until(() => calls.length === 1)
  worker.wake(7)
  await until(() => calls.length === 4)
  await sleep(20)
  t.same(calls, ['full', [7], [7], [7]])
})

t.test('targeted rounds that never run dry do not starve the full round', async t => {
  const { calls, round } = recordingRound(async targets => {
    await sleep(2)
    return targets ? 1 : 0
  })
  const worker = startWorker<number>('test', round, 30, recordingLogger().logger)
  t.teardown(() => worker.stop())
  await until(() => calls.length === 1)
  worker.wake(1)
  await until(() => calls.filter(c => c === 'full').length >= 3)
  const full = calls.lastIndexOf('full')
  t.ok(calls.slice(1, full).some(c => c !== 'full'), 'targeted rounds ran in between')
  await worker.stop()
})

t.test('a failing round is logged once per distinct error and retried by the next full round', async t => {
  let failing = true
  const { calls, round } = recordingRound(() => { if (failing) throw new Error('Connection is closed.'); return 0 })
  const { warnings, logger } = recordingLogger()
  const worker = startWorker<number>('test', round, 20, logger)
  t.teardown(() => worker.stop())
  await until(() => calls.length === 1)
  worker.wake(4)
  await until(() => calls.length >= 4)
  t.equal(warnings.length, 1, 'the same error is not logged again')
  t.match(warnings[0], { worker: 'test', err: 'Connection is closed.' })
  t.ok(calls.slice(2).every(c => c === 'full'), 'after a failure, the timer drives full rounds')
  failing = false
  const seen = calls.length
  await until(() => calls.length > seen + 1)
  worker.wake(9)
  await until(() => calls.some(c => Array.isArray(c) && c[0] === 9))
  t.equal(warnings.length, 1)
})

t.test('a targeted round failing after the timer fired still leaves a full round scheduled', async t => {
  let fail = false
  const { calls, round } = recordingRound(async targets => {
    if (!targets) return 0
    await sleep(60)
    if (fail) throw new Error('boom')
    return 0
  })
  const worker = startWorker<number>('test', round, 20, recordingLogger().logger)
  t.teardown(() => worker.stop())
  await until(() => calls.length === 1)
  fail = true
  worker.wake(2) // outlives the 20 ms timer, then fails
  await until(() => calls.length === 2)
  await sleep(80)
  const after = calls.length
  await until(() => calls.length > after + 1, 500)
  t.ok(calls.slice(after).every(c => c === 'full'), 'full rounds keep coming')
})

t.test('after stop, no round runs and wake-ups are ignored', async t => {
  let release: () => void = () => {}
  const { calls, round } = recordingRound(async targets => {
    if (!targets) return 0
    await new Promise<void>(resolve => { release = resolve })
    return 1
  })
  const worker = startWorker<number>('test', round, 10, recordingLogger().logger)
  await until(() => calls.length >= 1)
  worker.wake(1)
  await until(() => calls.some(c => Array.isArray(c)))
  const stopping = worker.stop()
  worker.wake(2)
  release()
  await stopping
  const seen = calls.length
  await sleep(50)
  t.equal(calls.length, seen, 'nothing ran after stop')
  t.notOk(calls.some(c => Array.isArray(c) && c.includes(2)))
})
