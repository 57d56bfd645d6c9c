import t from 'tap'
import { build } from '../helpers/app.js'
import { fluxEvent, fluxRequest, unmapped } from '../helpers/flux.js'
import { createMemoryStore } from '../../app/store/memory/memory-store.js'
import { StoreUnavailableError } from '../../app/core/store.js'
import { version } from '../../app/version.js'
import { startKeptnFake } from '../helpers/keptn-fake.js'
import { waitFor } from '../helpers/wait.js'

// What an SRE reads in /metrics: every HTTP answer by route, method and status, with its latency;
// the build; failed Kubernetes reads and Keptn polls.

const scrape = async (app: Awaited<ReturnType<typeof build>>) => (await app.inject('/metrics')).body

t.test('HTTP answers are counted and timed by route pattern, method and status, 4xx and 503 included', async t => {
  const store = createMemoryStore()
  const app = await build(t, {}, { store })
  t.equal((await app.inject(fluxRequest(fluxEvent({ reason: 'Progressing' })))).statusCode, 200)
  t.equal((await app.inject(fluxRequest(fluxEvent(), 'wrong-key-0123456789abcdef0123456789'))).statusCode, 401)
  for (const path of ['/no/such/path', '/another-one', '/a/b/c/d']) t.equal((await app.inject(path)).statusCode, 404)
  store.resolve = async () => { throw new StoreUnavailableError('redis: Connection is closed.') }
  const away = await app.inject(fluxRequest(fluxEvent()))
  t.equal(away.statusCode, 503)

  const body = await scrape(app)
  t.match(body, 'kgb_http_requests_total{route="/hooks/flux",method="POST",status="200"} 1')
  t.match(body, 'kgb_http_requests_total{route="/hooks/flux",method="POST",status="401"} 1')
  t.match(body, 'kgb_http_requests_total{route="/hooks/flux",method="POST",status="503"} 1')
  t.match(body, 'kgb_http_requests_total{route="unmatched",method="GET",status="404"} 3', 'unknown paths share one series')
  t.match(body, /kgb_http_request_duration_seconds_bucket\{le="0\.005",route="\/hooks\/flux",method="POST",status="200"\} \d/)
  t.match(body, 'kgb_http_request_duration_seconds_count{route="/hooks/flux",method="POST",status="503"} 1')
  t.match(body, `kgb_build_info{version="${version}",node_version="${process.version}"} 1`)
  t.notMatch(body, /no\/such\/path|another-one/, 'no path a sender chose becomes a label')
})

t.test('failed Kubernetes reads and Keptn polls are counted', async t => {
  const fake = await startKeptnFake()
  t.teardown(() => fake.close())
  fake.respondWith(500)
  const app = await build(t, {
    KEPTN_API_URL: fake.url,
    KEPTN_API_TOKEN: fake.token,
    KEPTN_POLL_INTERVAL: '50ms',
    // Nothing listens there: the label look-up of an unmapped Flux event fails as unreachable.
    KUBERNETES_API_URL: 'http://127.0.0.1:9',
    OBSERVE_INTERVAL: '0'
  })
  await waitFor('a failed poll is counted', async () => /kgb_keptn_poll_errors_total [1-9]/.test(await scrape(app)))
  await app.inject(fluxRequest(unmapped(fluxEvent())))
  t.match(await scrape(app), /kgb_kubernetes_errors_total\{operation="labels",cause="unreachable"\} 1/)
})
