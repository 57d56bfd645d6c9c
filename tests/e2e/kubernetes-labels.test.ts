import t from 'tap'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from '../helpers/app.js'
import { makeTriggered } from '../helpers/keptn-fake.js'
import { fluxEvent, fluxRequest, unmapped } from '../helpers/flux.js'
import { startKubernetesFake } from '../helpers/kubernetes-fake.js'

// Flux never sends labels: the bridge reads them from the Kubernetes API, as users label HelmReleases.

t.test("a HelmRelease's keptn.sh labels, read from the Kubernetes API, map the Flux event; the API being down does not fail it", async t => {
  const token = 'service-account-token-0123456789'
  const kube = await startKubernetesFake({ token })
  t.teardown(() => kube.close())
  kube.setObject('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'podtato-dev', 'helloservice',
    { 'keptn.sh/project': 'podtato', 'keptn.sh/stage': 'dev', 'keptn.sh/service': 'helloservice' })
  const dir = mkdtempSync(join(tmpdir(), 'kgb-kube-'))
  writeFileSync(join(dir, 'token'), token)
  const app = await build(t, { KUBERNETES_API_URL: kube.url, KUBERNETES_TOKEN_FILE: join(dir, 'token') })
  const triggered = makeTriggered({ project: 'podtato', stage: 'dev', service: 'helloservice' })
  await app.inject({ method: 'POST', url: '/events/keptn', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(triggered) })

  const res = await app.inject(fluxRequest(unmapped(fluxEvent())))
  t.equal(res.statusCode, 202)
  t.match(res.json(), { status: 'accepted', project: 'podtato', triggeredId: triggered.id })
  t.equal(kube.requests.length, 2, 'one label look-up (then cached) and one read of its status: is the outcome final?')

  await kube.goDown()
  const down = await app.inject(fluxRequest(unmapped(fluxEvent({ involvedObject: { kind: 'HelmRelease', namespace: 'other', name: 'thing' } }))))
  t.equal(down.statusCode, 200, 'the Flux request does not fail')
  t.same(down.json(), { status: 'ignored', reason: 'no Keptn mapping' })
})
