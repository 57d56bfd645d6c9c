import t from 'tap'
import { buildCloudEvent, triggeredFromCloudEvent, MAX_EVENT_BYTES, TRUNCATED_MARKER } from '../../app/core/keptn-events.js'
import type { FinishedResult, OutboxEntry, TriggeredDeployment } from '../../app/core/types.js'
import { commitFromRevision } from '../../app/core/versions.js'
import { fromFluxEvent } from '../../app/core/sources/flux.js'
import type { FluxEvent } from '../../schemas/flux-event.js'
import { makeTriggered } from '../helpers/keptn-fake.js'

const pending: TriggeredDeployment = {
  project: 'shop',
  stage: 'prod',
  service: 'cart',
  triggeredId: 'c1f7a0f4-8d5e-4c8e-9a53-0b1d2e3f4a5b',
  keptnContext: '0e9b6f7c-3d2a-4b1c-8e5f-6a7b8c9d0e1f',
  version: '1.2.0',
  labels: { team: 'carts' },
  receivedAt: 0,
  deadline: 1000
}

const result: FinishedResult = {
  status: 'errored',
  result: 'fail',
  message: 'HelmRelease cart upgrade failed',
  deploymentNames: ['cart'],
  gitCommit: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0',
  source: 'flux',
  finishedAt: 0
}

const finished = (message = result.message): OutboxEntry => ({ id: 'out-1', kind: 'finished', pending, result: { ...result, message } })

t.test('a started event answers the triggered event and keeps its id across retries', async t => {
  const entry: OutboxEntry = { id: 'out-0', kind: 'started', pending }
  const ev = buildCloudEvent(entry, 'keptn-gitops-bridge', 1)
  t.match(ev, {
    specversion: '1.0',
    type: 'sh.keptn.event.deployment.started',
    source: 'keptn-gitops-bridge',
    triggeredid: pending.triggeredId,
    shkeptncontext: pending.keptnContext,
    shkeptnspecversion: '0.2.4',
    datacontenttype: 'application/json',
    data: { project: 'shop', stage: 'prod', service: 'cart', status: 'succeeded', labels: { team: 'carts' } }
  })
  t.match(ev.id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  t.equal(buildCloudEvent(entry, 'keptn-gitops-bridge', 999).id, ev.id)
  t.not(buildCloudEvent({ ...entry, id: 'out-2' }, 'keptn-gitops-bridge').id, ev.id)
})

t.test('a finished event carries status, result and the deployment block Keptn expects', async t => {
  const ev = buildCloudEvent(finished(), 'bridge')
  t.equal(ev.type, 'sh.keptn.event.deployment.finished')
  t.equal(ev.triggeredid, pending.triggeredId)
  t.notOk('gitcommitid' in ev, 'a GitOps commit never goes into Keptn\'s gitcommitid')
  t.same(ev.data, {
    project: 'shop',
    stage: 'prod',
    service: 'cart',
    status: 'errored',
    result: 'fail',
    message: 'HelmRelease cart upgrade failed',
    labels: { team: 'carts' },
    deployment: {
      deploymentstrategy: 'direct',
      deploymentNames: ['cart'],
      deploymentURIsLocal: [],
      deploymentURIsPublic: [],
      gitCommit: result.gitCommit
    }
  })
})

t.test('a 3 MiB multi-byte message is cut so the event stays under 64 KiB as valid UTF-8', async t => {
  const huge = 'Fehler: Größe überschritten 🚀 "quoted" \n'.repeat(80_000)
  t.ok(Buffer.byteLength(huge) > 3 * 1024 * 1024)
  const ev = buildCloudEvent(finished(huge), 'bridge')
  const bytes = Buffer.from(JSON.stringify(ev))
  t.ok(bytes.length <= MAX_EVENT_BYTES, `${bytes.length} bytes`)
  t.ok(bytes.length < 64 * 1024)
  const message = ev.data['message'] as string
  t.ok(message.endsWith(TRUNCATED_MARKER))
  t.ok(huge.startsWith(message.slice(0, -TRUNCATED_MARKER.length)), 'keeps the head of the message')
  t.ok(message.length > 10_000, 'uses the room it has')
  t.equal(new TextDecoder('utf-8', { fatal: true }).decode(bytes), bytes.toString('utf8'))
  t.notMatch(message, /[\ud800-\udfff]/u, 'no split surrogate pair')
})

t.test('a short message is sent whole', async t => {
  t.equal(buildCloudEvent(finished('all good'), 'bridge').data['message'], 'all good')
})

t.test('a sequence trigger names stage and sequence in the type and has no triggeredid', async t => {
  const ev = buildCloudEvent({
    id: 'trig-1',
    kind: 'trigger',
    trigger: { project: 'shop', stage: 'prod', service: 'cart', sequence: 'delivery', keptnContext: 'ctx', revision: 'main@sha1:a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0', labels: { source: 'flux' }, createdAt: 0 }
  }, 'bridge')
  t.equal(ev.type, 'sh.keptn.event.prod.delivery.triggered')
  t.equal(ev.shkeptncontext, 'ctx')
  t.notOk('triggeredid' in ev)
  t.notOk('gitcommitid' in ev, 'later tasks would read Keptn\'s configuration repo at a commit it does not have')
  t.same(ev.data, { project: 'shop', stage: 'prod', service: 'cart', labels: { source: 'flux' } })
})

t.test('GitOps-first: a revision\'s commit is read by versions.ts alone, and never becomes the trigger\'s gitcommitid', async t => {
  const sha1 = '84a516841ba77a5b4648de2cd0dfcb30ea46dbb4'
  const digest = '7e887edb52b723997076a9f5a72bef4473227a303cbc2cf5118e7be261f41c13'
  const cases: Array<[string, string | undefined]> = [
    [`v1.2.3@sha256:${digest}`, undefined], // OCIRepository: a digest, no commit
    [`sha256:${digest}`, undefined], // Bucket or OCI digest
    ['1.2.3+84a516841ba7', undefined], // helm-controller's chart version: a hint at most
    [`main@sha1:${sha1}`, sha1],
    [`sha1:${sha1}`, sha1]
  ]
  for (const [revision, commit] of cases) {
    const event: FluxEvent = {
      involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: 'cart' },
      severity: 'info',
      timestamp: '2026-11-20T10:00:00Z',
      message: 'Reconciliation finished',
      reason: 'ReconciliationSucceeded',
      metadata: { revision },
      reportingController: 'kustomize-controller'
    }
    const reported = fromFluxEvent(event, JSON.stringify(event))
    t.equal(reported.commit, commitFromRevision(revision), `${revision}: the source reads it with commitFromRevision`)
    t.equal(reported.commit, commit, `${revision}: ${commit === undefined ? 'no commit' : 'the commit'}`)
    const ev = buildCloudEvent({
      id: `trigger:${revision}`,
      kind: 'trigger',
      trigger: { project: 'shop', stage: 'prod', service: 'cart', sequence: 'delivery', keptnContext: 'ctx', revision, labels: { 'gitops.revision': revision }, createdAt: 0 }
    }, 'bridge')
    t.notOk('gitcommitid' in ev, `${revision}: no gitcommitid (it names Keptn's configuration repo)`)
    t.equal((ev.data['labels'] as Record<string, string>)['gitops.revision'], revision, `${revision}: it travels in the labels`)
  }
})

t.test('started and finished echo the triggered event\'s gitcommitid (Keptn\'s own commit), never a GitOps one', async t => {
  const configCommit = 'f'.repeat(40)
  const withConfig = { ...pending, configCommit, commit: 'abcdef1', pushed: 'abcdef1' + '0'.repeat(33) }
  const started = buildCloudEvent({ id: 'out-0', kind: 'started', pending: withConfig }, 'bridge')
  t.equal(started.gitcommitid, configCommit)
  const done = buildCloudEvent({ id: 'out-1', kind: 'finished', pending: withConfig, result: { ...result, gitCommit: undefined } }, 'bridge')
  t.equal(done.gitcommitid, configCommit)
  t.equal((done.data['deployment'] as { gitCommit: string }).gitCommit, withConfig.pushed, 'what the bridge pushed is what was deployed')
})

const withImage = (image: unknown, labels?: Record<string, string>) =>
  makeTriggered({ configurationChange: { values: { image } }, ...(labels ? { labels } : {}) })

t.test('reads the expected version from the image tag', async t => {
  const cases: Array<[string, string | undefined]> = [
    ['ghcr.io/acme/cart:V1.4.2', '1.4.2'],
    ['registry.local:5000/app:1.2', '1.2'],
    ['registry.local:5000/app', undefined],
    ['nginx:latest', undefined],
    ['ghcr.io/acme/cart:2.0.0@sha256:' + 'a'.repeat(64), '2.0.0'],
    ['ghcr.io/acme/cart@sha256:' + 'b'.repeat(64), undefined]
  ]
  for (const [image, version] of cases) {
    const parsed = triggeredFromCloudEvent(withImage(image), 1000, 500)
    t.ok(parsed.ok, image)
    if (parsed.ok) {
      t.equal(parsed.value.version, version, image)
      t.equal(parsed.value.image, image)
    }
  }
})

t.test('falls back to version labels and takes the commit from labels only, never from gitcommitid', async t => {
  const byLabel = triggeredFromCloudEvent(makeTriggered({ labels: { version: 'v3.1.0', gitCommit: 'ABCDEF1' } }), 0, 1)
  t.match(byLabel, { ok: true, value: { version: '3.1.0', commit: 'abcdef1' } })
  const byTag = triggeredFromCloudEvent(withImage('app@sha256:' + 'c'.repeat(64), { tag: '7.0' }), 0, 1)
  t.match(byTag, { ok: true, value: { version: '7.0' } })
  // shipyard-controller sets gitcommitid to Keptn's configuration-repo commit on every triggered event.
  const envelope = triggeredFromCloudEvent(makeTriggered({ labels: { commit: 'not-a-sha' } }, { gitcommitid: 'DEADBEEFCAFE' }), 0, 1)
  t.ok(envelope.ok)
  t.equal(envelope.ok && envelope.value.commit, undefined, 'not an expected GitOps commit')
  t.equal(envelope.ok && envelope.value.configCommit, 'deadbeefcafe', 'kept to echo back')
  const none = triggeredFromCloudEvent(makeTriggered({ labels: { commit: 'main' } }), 0, 1)
  t.equal(none.ok && none.value.commit, undefined)
})

t.test('fills the domain shape with ids, strategy and the deadline', async t => {
  const ev = makeTriggered({ deployment: { deploymentstrategy: 'blue_green_service' } })
  const parsed = triggeredFromCloudEvent(ev, 10_000, 60_000)
  t.same(parsed, {
    ok: true,
    value: {
      project: 'shop',
      stage: 'prod',
      service: 'cart',
      triggeredId: ev.id,
      keptnContext: ev.shkeptncontext,
      deploymentStrategy: 'blue_green_service',
      receivedAt: 10_000,
      deadline: 70_000
    }
  })
})

t.test('refuses an invalid triggered event with a reason naming the field', async t => {
  const reason = (ev: unknown) => {
    const parsed = triggeredFromCloudEvent(ev, 0, 1)
    return parsed.ok ? 'accepted' : parsed.reason
  }
  t.match(reason(makeTriggered({}, { type: 'sh.keptn.event.deployment.started' })), /^type/)
  t.match(reason(makeTriggered({}, { shkeptncontext: '' })), /^shkeptncontext/)
  t.match(reason(makeTriggered({}, { shkeptncontext: undefined })), /^shkeptncontext/)
  t.match(reason(makeTriggered({}, { id: '' })), /^id/)
  t.match(reason(makeTriggered({ service: '' })), /^data\.service/)
  t.match(reason(makeTriggered({ project: 42 })), /^data\.project/)
  const noStage = makeTriggered()
  delete noStage.data['stage']
  t.match(reason(noStage), /^data\.stage/)
  t.match(reason({ ...makeTriggered(), data: undefined }), /^data/)
  t.match(reason('nope'), /^\(root\)/)
})

t.test('takes what Keptn\'s Go models write: nulls, empty status fields, earlier tasks\' data, contenttype', async t => {
  // keptn 1.4.5 shipyard-controller: go-utils DeploymentTriggeredEventData has no omitempty on the
  // URI slices, EventData's status/result/message come along empty, earlier tasks' data is merged in.
  const ev = makeTriggered({
    labels: null,
    status: '',
    result: '',
    message: '',
    configurationChange: { values: { image: 'ghcr.io/podtato-head/podtato-server:v0.3.2' } },
    deployment: { deploymentstrategy: 'direct', deploymentURIsLocal: null, deploymentURIsPublic: null, deploymentNames: null },
    evaluation: { result: 'pass', score: 100 },
    test: { start: '2026-12-01T10:00:00Z', end: '2026-12-01T10:05:00Z' }
  }, { datacontenttype: undefined, contenttype: 'application/json', shkeptnspecversion: '0.2.3', source: null, gitcommitid: 'a'.repeat(40) })
  const parsed = triggeredFromCloudEvent(ev, 0, 1)
  t.match(parsed, { ok: true, value: { version: '0.3.2', deploymentStrategy: 'direct', configCommit: 'a'.repeat(40) } })
  t.equal(parsed.ok && parsed.value.labels, undefined)
  const nullBlocks = triggeredFromCloudEvent(makeTriggered({ configurationChange: null, deployment: null }), 0, 1)
  t.ok(nullBlocks.ok, 'null blocks are as good as absent ones')
})

t.test('refuses at intake what Keptn would refuse later: oversized labels or image, huge ids', async t => {
  const reason = (ev: unknown) => {
    const parsed = triggeredFromCloudEvent(ev, 0, 1)
    return parsed.ok ? 'accepted' : parsed.reason
  }
  const big = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`l${i}`, 'x'.repeat(1000)]))
  t.match(reason(makeTriggered({ labels: big })), /^data\.labels: \d+ bytes, over 16384 .*64 KiB/)
  t.equal(reason(makeTriggered({ labels: { team: 'carts', note: 'x'.repeat(8000) } })), 'accepted', 'ordinary labels pass')
  t.match(reason(makeTriggered({ configurationChange: { values: { image: 'ghcr.io/app:' + 'v'.repeat(2000) } } })), /^data\.configurationChange\.values\.image: 2012 characters, over 1024/)
  t.match(reason(makeTriggered({}, { id: 'x'.repeat(300) })), /^id/)
  t.match(reason(makeTriggered({}, { shkeptncontext: 'c'.repeat(300) })), /^shkeptncontext/)
})
