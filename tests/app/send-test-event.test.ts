import t from 'tap'
import { fileURLToPath } from 'node:url'
import { build, hmacKey } from '../helpers/app.js'
import { runToExit } from '../helpers/process.js'
import { main, optionsFromArgs, sendTestEvent, testEventBody, testEventKinds, usage } from '../../app/send-test-event.js'

const argoToken = 'argocd-token-0123456789'

t.test('the test event is signed, mapped and accepted by a running bridge', async t => {
  const app = await build(t, { TRIGGER_SEQUENCE: 'evaluation' })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const ok = await sendTestEvent(optionsFromArgs(['--url', `${address}/hooks/flux`, '--key', hmacKey], {}))
  t.equal(ok.status, 202)
  t.match(JSON.parse(ok.body), { status: 'accepted', project: 'podtato', stage: 'dev', service: 'helloservice', reason: 'triggered dev.evaluation' })
  const wrongKey = await sendTestEvent(optionsFromArgs(['--url', `${address}/hooks/flux`, '--key', 'not-the-key'], {}))
  t.equal(wrongKey.status, 401, 'a wrong key is what the user learns about')
})

t.test('the key and token default to the bridge variables; the object follows helm-service naming', async t => {
  const o = optionsFromArgs(['--project', 'shop', '--stage', 'prod', '--service', 'cart'], { FLUX_HMAC_KEYS: 'k1,k2', FLUX_WEBHOOK_TOKEN: 'tok' })
  t.match(o, { event: 'helmrelease', key: 'k1', token: 'tok', namespace: 'shop-prod', name: 'cart', kind: 'HelmRelease', url: 'http://localhost:8080/hooks/flux', revision: '0.1.0', reason: 'UpgradeSucceeded' })
  t.equal(optionsFromArgs(['--version', '2.0.1'], {}).revision, '2.0.1', 'the chart version follows --version unless --revision is given')
  t.equal(optionsFromArgs(['--version', '2.0.1', '--revision', '9.9.9'], {}).revision, '9.9.9')
})

t.test('each kind picks its endpoint, object, credentials and revision', async t => {
  const env = { FLUX_HMAC_KEYS: 'k1', FLUX_WEBHOOK_TOKEN: 'flux-tok', ARGOCD_WEBHOOK_TOKEN: 'argo-tok' }
  const kustomization = optionsFromArgs(['--event', 'kustomization', '--url', 'http://bridge:8080'], env)
  t.match(kustomization, { url: 'http://bridge:8080/hooks/flux', key: 'k1', token: 'flux-tok', kind: 'Kustomization', namespace: 'flux-system', name: 'helloservice-dev', reason: 'ReconciliationSucceeded', revision: /^main@sha1:[0-9a-f]{40}$/ })
  t.equal(optionsFromArgs(['--event', 'kustomization'], env).revision, kustomization.revision, 'one service and version name one commit')
  t.not(optionsFromArgs(['--event', 'kustomization', '--version', '0.2.0'], env).revision, kustomization.revision)
  t.match(optionsFromArgs(['--event', 'ArgoCD'], env), { url: 'http://localhost:8080/hooks/argocd', key: undefined, token: 'argo-tok', kind: 'Application', namespace: 'argocd', name: 'helloservice-dev', reason: 'SyncSucceeded', revision: /^[0-9a-f]{40}$/ })
  t.match(optionsFromArgs(['--event', 'keptn', '--url', 'https://bridge.example/'], env), { url: 'https://bridge.example/events/keptn', key: undefined, token: undefined })
  t.equal(optionsFromArgs(['--url', 'http://bridge:8080/custom/path'], env).url, 'http://bridge:8080/custom/path', 'a URL with a path is taken as it is')

  t.throws(() => optionsFromArgs(['--event', 'gitrepository'], env), /--event: gitrepository is none of helmrelease, kustomization, argocd, keptn/)
  t.throws(() => optionsFromArgs(['--event', 'keptn', '--reason', 'UpgradeFailed'], env), /--reason does not apply to --event keptn/)
  t.throws(() => optionsFromArgs(['--event', 'argocd', '--key', 'k'], env), /--key does not apply to --event argocd/)
  t.throws(() => optionsFromArgs(['--event', 'argocd', '--reason', 'UpgradeSucceeded'], env), /--reason: UpgradeSucceeded is none of SyncSucceeded, SyncFailed, HealthDegraded, SyncRunning/)
})

t.test('the bodies are shaped as the tools send them', async t => {
  const now = new Date('2026-11-20T10:00:00.123Z')
  const kustomization = JSON.parse(testEventBody(optionsFromArgs(['--event', 'kustomization', '--reason', 'HealthCheckFailed'], {}), now))
  t.match(kustomization, {
    involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: 'helloservice-dev', apiVersion: 'kustomize.toolkit.fluxcd.io/v1' },
    severity: 'error',
    timestamp: '2026-11-20T10:00:00Z',
    reason: 'HealthCheckFailed',
    metadata: { revision: /^main@sha1:[0-9a-f]{40}$/, 'keptn-project': 'podtato', 'keptn-stage': 'dev', 'keptn-service': 'helloservice' },
    reportingController: 'kustomize-controller'
  })
  const argo = JSON.parse(testEventBody(optionsFromArgs(['--event', 'argocd', '--version', '1.4.2'], {}), now))
  t.match(argo, {
    trigger: 'on-deployed',
    app: {
      kind: 'Application',
      metadata: { name: 'helloservice-dev', namespace: 'argocd', labels: { 'keptn.sh/project': 'podtato', 'keptn.sh/stage': 'dev', 'keptn.sh/service': 'helloservice' } },
      spec: { destination: { namespace: 'podtato-dev' } },
      status: { operationState: { phase: 'Succeeded', finishedAt: '2026-11-20T10:00:00Z' }, health: { status: 'Healthy' }, sync: { status: 'Synced' }, summary: { images: ['registry.example/podtato/helloservice:1.4.2'] } }
    }
  })
  const running = JSON.parse(testEventBody(optionsFromArgs(['--event', 'argocd', '--reason', 'SyncRunning'], {}), now))
  t.notOk(running.app.status.operationState.finishedAt, 'a running sync has not finished')
  const keptn = JSON.parse(testEventBody(optionsFromArgs(['--event', 'keptn', '--project', 'shop', '--stage', 'prod', '--service', 'cart', '--version', '1.4.2'], {}), now))
  t.match(keptn, {
    specversion: '1.0',
    id: /^[0-9a-f-]{36}$/,
    type: 'sh.keptn.event.deployment.triggered',
    shkeptncontext: /^[0-9a-f-]{36}$/,
    shkeptnspecversion: '0.2.4',
    data: { project: 'shop', stage: 'prod', service: 'cart', configurationChange: { values: { image: 'registry.example/shop/cart:1.4.2' } } }
  })
})

t.test('every kind is accepted by a bridge in log-only mode, mapped as the tool set it', async t => {
  const app = await build(t, { TRIGGER_SEQUENCE: 'evaluation', ARGOCD_WEBHOOK_TOKEN: argoToken })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const env = { FLUX_HMAC_KEYS: hmacKey, ARGOCD_WEBHOOK_TOKEN: argoToken }
  const send = async (...args: string[]) => {
    const { status, body } = await sendTestEvent(optionsFromArgs(['--url', address, ...args], env))
    return { status, json: JSON.parse(body) as Record<string, unknown> }
  }
  const triggered = (service: string) => ({ status: 202, json: { status: 'accepted', project: 'podtato', stage: 'dev', service, reason: 'triggered dev.evaluation' } })

  t.match(await send('--event', 'helmrelease', '--service', 'hello'), triggered('hello'), 'helmrelease')
  t.match(await send('--event', 'kustomization', '--service', 'cart'), triggered('cart'), 'kustomization: mapped from the event metadata')
  t.match(await send('--event', 'argocd', '--service', 'web'), triggered('web'), 'argocd: mapped from the Application labels')
  t.match(await send('--event', 'argocd', '--service', 'web', '--reason', 'SyncRunning'), { status: 200, json: { status: 'ignored', reason: /not a deployment outcome: SyncRunning/ } })
  t.match(await send('--event', 'argocd', '--service', 'web', '--reason', 'HealthDegraded'), { status: 200, json: { status: 'ignored', reason: /failure with no pending deployment/ } })
  t.equal((await sendTestEvent(optionsFromArgs(['--event', 'argocd', '--url', address, '--token', 'wrong-token-0123456789'], {}))).status, 401)

  // A Keptn event, then each GitOps kind for the same service and version: the deployment it
  // announced is the one finished, so the bodies agree on what a version is.
  for (const [kind, service] of [['helmrelease', 'checkout'], ['argocd', 'payment']] as const) {
    const keptn = await send('--event', 'keptn', '--service', service, '--version', '1.4.2')
    t.match(keptn, { status: 202, json: { status: 'accepted', triggeredId: /^[0-9a-f-]{36}$/ } }, `keptn for ${service}`)
    const pending = (await app.inject('/api/v1/deployments')).json().pending as Array<Record<string, unknown>>
    t.match(pending.find(td => td.triggeredId === keptn.json.triggeredId), { project: 'podtato', stage: 'dev', service, version: '1.4.2', image: 'registry.example/podtato/' + service + ':1.4.2' })
    t.match(await send('--event', kind, '--service', service, '--version', '1.4.2'),
      { status: 202, json: { status: 'accepted', project: 'podtato', stage: 'dev', service, triggeredId: keptn.json.triggeredId } }, `${kind} finishes it`)
  }
})

t.test('main: -h and --help print the help and succeed; a bad flag is a usage error', async t => {
  for (const flag of ['-h', '--help']) {
    let out = ''
    t.equal(await main([flag], {}, text => { out += text }, () => t.fail('nothing on stderr')), 0)
    t.equal(out, usage)
  }
  for (const kind of testEventKinds) t.match(usage, new RegExp(`^  ${kind} `, 'm'), `the help lists ${kind}`)
  for (const word of ['--event', '--url', '--key', '--token', '--project', '--stage', '--service', '--version', '--reason', '--revision', '--kind', '--namespace', '--name', 'FLUX_HMAC_KEYS', 'FLUX_WEBHOOK_TOKEN', 'ARGOCD_WEBHOOK_TOKEN', 'KEPTN_API_URL']) {
    t.ok(usage.includes(word), `the help names ${word}`)
  }
  t.equal(usage.match(/npm run send-test-event -- --/g)?.length, 2, 'two examples')
  let err = ''
  t.equal(await main(['--event', 'nope'], {}, () => t.fail('nothing on stdout'), text => { err += text }), 2)
  t.match(err, /^send-test-event: --event: nope is none of/)
})

t.test('as a command: exit code 0 on 2xx, 1 otherwise, usage on --help and -h', async t => {
  const app = await build(t)
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const script = fileURLToPath(new URL('../../dist/app/send-test-event.js', import.meta.url))
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const { code, stdout, stderr } = await runToExit(script, args, env)
    return { code, out: stdout + stderr, stdout }
  }
  const sent = await run(['--url', `${address}/hooks/flux`, '--key', hmacKey, '--reason', 'UpgradeFailed'])
  t.equal(sent.code, 0)
  t.match(sent.out, /^200 .*no pending deployment/)
  t.equal((await run(['--url', `${address}/hooks/flux`, '--key', 'wrong'])).code, 1)
  t.match((await run(['--help'])).out, /sign and send a realistic Flux event/)
  const help = await run(['-h'])
  t.equal(help.code, 0)
  t.match(help.stdout, /Kinds \(--event\):[\s\S]*Examples:/)
  t.equal((await run(['--bogus'])).code, 2)
  const keptn = await run(['--event', 'keptn', '--url', address])
  t.equal(keptn.code, 0)
  t.match(keptn.out, /^202 .*"status":"accepted"/)
})
