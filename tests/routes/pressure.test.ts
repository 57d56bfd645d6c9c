import t from 'tap'
import { build } from '../helpers/app.js'
import { fluxEvent, fluxRequest } from '../helpers/flux.js'
import { sleep, waitFor } from '../helpers/wait.js'

// Overload answers 503 with Retry-After on the hooks; /healthz and /metrics still answer, /readyz says why.

const blockFor = (ms: number) => { const end = Date.now() + ms; while (Date.now() < end) { /* a stuck event loop */ } }

t.test('an event loop lagging past MAX_EVENT_LOOP_DELAY: hooks answer 503 with Retry-After, health stays truthful', async t => {
  const app = await build(t, { MAX_EVENT_LOOP_DELAY: '20ms' })
  let hook = await app.inject(fluxRequest(fluxEvent({ reason: 'Progressing' })))
  t.equal(hook.statusCode, 200, 'no pressure, no 503')
  // Lag the loop until under-pressure's sampler (every 10 ms here) has seen it.
  await waitFor('a hook answers 503', async () => {
    blockFor(200)
    await sleep(15)
    blockFor(200)
    hook = await app.inject(fluxRequest(fluxEvent({ reason: 'Progressing' })))
    return hook.statusCode === 503
  }, 10_000, 0)
  t.equal(hook.statusCode, 503)
  t.equal(hook.headers['retry-after'], '5')
  t.match(hook.json(), { code: 'UNDER_PRESSURE', message: /eventLoopDelay/ })
  blockFor(200)
  await sleep(15)
  blockFor(200)
  const [ready, healthy, metrics] = await Promise.all(['/readyz', '/healthz', '/metrics'].map(url => app.inject(url)))
  t.equal(ready!.statusCode, 503, '/readyz takes the pod out of rotation')
  t.equal(healthy!.statusCode, 200, '/healthz: a pod under load is not dead')
  t.equal(metrics!.statusCode, 200, '/metrics still scraped')
})

t.test('MAX_EVENT_LOOP_DELAY=0 turns the check off', async t => {
  const app = await build(t, { MAX_EVENT_LOOP_DELAY: '0' })
  // A lag far past the 1s default, until the sampler (every 1s, as the default's) has measured it.
  await waitFor('the sampler has measured a lag past 1s', async () => {
    blockFor(1500)
    await sleep(20)
    return app.memoryUsage().eventLoopDelay > 1000
  }, 30_000, 0)
  t.equal((await app.inject(fluxRequest(fluxEvent({ reason: 'Progressing' })))).statusCode, 200)
})
