import t from 'tap'
import { build, logCapture } from '../helpers/app.js'
import { startKeptnFake } from '../helpers/keptn-fake.js'
import { waitFor } from '../helpers/wait.js'
import { deploymentTakers } from '../../app/core/uniform-conflicts.js'

// helm-service, which Keptn's docs install, also takes every deployment task: Keptn then waits for
// both services' .finished. Registrations are go-utils models.Integration as Keptn lists them.

const integration = (name: string, subs: Array<{ event: string, projects?: string[] | null }>) => ({
  id: `${name}-id`,
  name,
  metadata: { hostname: `${name}-pod`, integrationversion: '1.4.5', distributorversion: '1.4.5', location: 'control-plane', kubernetesmetadata: { namespace: 'keptn', podname: `${name}-pod`, deploymentname: name }, lastseen: '2026-12-02T10:00:00Z' },
  subscriptions: subs.map((s, i) => ({ id: `${name}-${i}`, event: s.event, filter: { projects: s.projects ?? null, stages: null, services: null } }))
})

t.test('who else takes deployment.triggered for the bridge\'s projects', async t => {
  const registrations = [
    integration('keptn-gitops-bridge', [{ event: 'sh.keptn.event.deployment.triggered' }]),
    integration('helm-service', [{ event: 'sh.keptn.event.deployment.triggered' }, { event: 'sh.keptn.event.rollback.triggered' }]),
    integration('lighthouse-service', [{ event: 'sh.keptn.event.evaluation.triggered' }]),
    integration('jmeter-service', [{ event: 'sh.keptn.event.test.triggered' }]),
    integration('catch-all', [{ event: 'sh.keptn.event.>', projects: ['shop'] }]),
    integration('wildcard-task', [{ event: 'sh.keptn.event.*.triggered', projects: ['other'] }]),
    integration('scoped-helm', [{ event: 'sh.keptn.event.deployment.triggered', projects: ['legacy'] }])
  ]
  t.same(deploymentTakers(registrations, 'keptn-gitops-bridge', ['podtato', 'shop']), [
    { name: 'helm-service', namespace: 'keptn', projects: ['podtato', 'shop'] },
    { name: 'catch-all', namespace: 'keptn', projects: ['shop'] }
  ], 'unfiltered helm-service and a wildcard on an overlapping project; not itself, not other tasks, not other projects')
  t.same(deploymentTakers(registrations, 'keptn-gitops-bridge', []).map(d => [d.name, d.projects]), [
    ['helm-service', []], ['catch-all', ['shop']], ['wildcard-task', ['other']], ['scoped-helm', ['legacy']]
  ], 'a bridge taking every project overlaps every deployer')
  t.same(deploymentTakers(registrations, 'keptn-gitops-bridge', ['legacy']).map(d => d.name), ['helm-service', 'scoped-helm'])
  t.same(deploymentTakers([null, 'x', { name: 'broken' }], 'keptn-gitops-bridge', []), [], 'odd entries are skipped')
})

t.test('at start-up the bridge warns, naming the other deployer and how to keep them apart', async t => {
  const fake = await startKeptnFake()
  t.teardown(() => fake.close())
  fake.addIntegration('helm-service', [{ event: 'sh.keptn.event.deployment.triggered' }])
  const logs = logCapture()
  await build(t, { LOG_LEVEL: 'warn', KEPTN_API_URL: fake.url, KEPTN_API_TOKEN: fake.token, KEPTN_POLL_INTERVAL: '0', KEPTN_PROJECTS: 'podtato' }, { logDestination: logs.stream })
  await waitFor('the warning', () => logs.parsed().some(l => /helm-service also takes/.test(String(l.msg))))
  const line = logs.parsed().find(l => /helm-service also takes/.test(String(l.msg)))!
  t.match(line, { level: 40, integration: 'helm-service', namespace: 'keptn', projects: ['podtato'], msg: /helm-service also takes sh\.keptn\.event\.deployment\.triggered for projects podtato.*KEPTN_PROJECTS/ })
})
