import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AddressInfo } from 'node:net'
import { build } from '../helpers/app.js'
import { makeTriggered, withKeptnFake, type KeptnFake, pushTriggered, ofType } from '../helpers/keptn-fake.js'
import { startKubernetesFake } from '../helpers/kubernetes-fake.js'

// The bridge driven by Flux's own code: `flux-events` prints an event exactly as helm-controller /
// kustomize-controller POST it to notification-controller, and `flux-forward-<version>` runs it
// through that notification-controller version's event server (metadata clean-up, Alert matching,
// eventMetadata, Secret → notifier) and posts it with its real generic / generic-hmac notifier
// over loopback HTTP. Built by tests/peers/flux/build.sh; see tests/peers/flux/README.md.

const bin = fileURLToPath(new URL('./.bin/', import.meta.url))
// v1.9.3 (Flux 2.9): Secret `token` used raw; v1.6.0 (Flux 2.6): trimmed.
const versions = (process.env.FLUX_PEER_VERSIONS?.split(',') ?? ['v1.9.3', 'v1.6.0']) as readonly string[]
const newest = versions[0] ?? 'v1.9.3'
const missing = [...versions.map(v => `flux-forward-${v}`), 'flux-events'].filter(b => !existsSync(bin + b))
if (missing.length > 0) {
  t.fail(`missing ${missing.join(', ')} in tests/peers/.bin: run bash tests/peers/flux/build.sh (npm run test:peers does)`)
  process.exit(1)
}

const podtato = { project: 'podtato', stage: 'dev', service: 'helloservice' }
const key = 'flux-peer-hmac-key-0123456789abcdef0123'
const hex = (c: string, n: number) => c.repeat(n)
const ociDigest = hex('d', 64).replace(/^d{12}/, '0a1b2c3d4e5f')
const gitSha = '2f0a9c3e4b5d6e7f8091a2b3c4d5e6f708192a3b'
const keptnConfigSha = '9e8d7c6b5a49382716051f2e3d4c5b6a79880716'

const dir = mkdtempSync(join(tmpdir(), 'flux-peer-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const file = (content: string) => {
  const path = join(dir, `f${files++}`)
  writeFileSync(path, content)
  return path
}

function run (cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin + cmd, args, { timeout: 120_000, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

/** The controller's POST body for one upstream case (tests/peers/flux/events). */
const controllerEvent = (name: string, flags: Record<string, string> = {}) =>
  run('flux-events', [name, ...Object.entries(flags).flatMap(([k, v]) => [`-${k}`, v])])

interface Attempt { headers: Record<string, string>, body: string, status: number, answer: string, error?: string }
interface Forwarded {
  notificationController: string
  eventServerStatus: number
  dispatches: Array<{ alert: string, error?: string, forwarded?: Record<string, unknown>, postError?: string, attempts: Attempt[] }>
}

interface ForwardOptions { type?: 'generic' | 'generic-hmac', token?: string, headers?: string, eventMetadata?: string, noPost?: boolean }

/** Runs the event through notification-controller `version` to `url`; answers what it did. */
async function forward (version: string, body: string, url: string, o: ForwardOptions = {}): Promise<Forwarded> {
  const args = ['-event', file(body), '-type', o.type ?? 'generic-hmac', '-address', url]
  if (o.token !== undefined) args.push('-token-file', file(o.token))
  if (o.headers !== undefined) args.push('-headers-file', file(o.headers))
  if (o.eventMetadata) args.push('-event-metadata', o.eventMetadata)
  if (o.noPost) args.push('-no-post')
  return JSON.parse(await run(`flux-forward-${version}`, args)) as Forwarded
}

/** One delivery: the single Alert's single attempt (the bridge answered without a retry). */
function only (t: Test, out: Forwarded): Attempt {
  t.equal(out.dispatches.length, 1, `${out.notificationController}: one Alert matched`)
  const d = out.dispatches[0]!
  t.notOk(d.error, 'the event server prepared a notifier')
  return d.attempts.at(-1) ?? { headers: {}, body: '', status: 0, answer: d.postError ?? '' }
}

/** A bridge listening on loopback, with the Keptn fake and a pushed deployment.triggered. */
async function bridge (t: Test, fake: KeptnFake, env: Record<string, string> = {}, data: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) {
  const app = await build(t, { KEPTN_API_URL: fake.url, KEPTN_API_TOKEN: fake.token, KEPTN_POLL_INTERVAL: '0', FLUX_HMAC_KEYS: key, ...env })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/hooks/flux`
  const triggered = makeTriggered({ ...podtato, ...data }, envelope)
  const pushed = await app.inject(pushTriggered(fake, triggered))
  t.equal(pushed.statusCode, 202, 'deployment.triggered accepted')
  await fake.waitFor(f => ofType(f, 'started').length === 1)
  return { app, url, triggered }
}

const imageBump = { configurationChange: { values: { image: 'ghcr.io/podtato-head/podtato-server:v0.3.3' } } }
const hmac = (body: string, k: string) => `sha256=${createHmac('sha256', k).update(body).digest('hex')}`

// ---- a. generic-hmac, Secret token with the trailing newline of `kubectl create secret --from-file`
for (const version of versions) {
  for (const [label, configured] of [['the key as typed', key], ['the key with its newline', `${key}\n`]] as const) {
    withKeptnFake(t, `a. ${version} generic-hmac, Secret token "<key>\\n", bridge configured with ${label}: accepted`, async (t, fake) => {
      const { url } = await bridge(t, fake, { FLUX_HMAC_KEYS: configured }, imageBump)
      const out = await forward(version, await controllerEvent('helm-upgrade-succeeded'), url, { token: `${key}\n` })
      const sent = only(t, out)
      // What this notification-controller version signs with (its own Secret → notifier path).
      const rawKey = version === 'v1.6.0' ? key : `${key}\n`
      t.equal(sent.headers['x-signature'], hmac(sent.body, rawKey), `${version} signs with ${version === 'v1.6.0' ? 'the trimmed' : 'the raw'} token`)
      t.equal(sent.status, 202, `bridge answer: ${sent.status} ${sent.answer}`)
      await fake.waitFor(f => ofType(f, 'finished').length === 1, 5_000).catch(() => {})
      t.match(ofType(fake, 'finished'), [{ data: { ...podtato, status: 'succeeded', result: 'pass' } }])
    })
  }
}

// ---- b. generic provider: no signature; a bearer token through the Secret's `headers` key (README)
for (const version of versions) {
  withKeptnFake(t, `b. ${version} generic provider with "Authorization: Bearer" from the Secret's headers, FLUX_WEBHOOK_TOKEN: accepted`, async (t, fake) => {
    const token = 'flux-webhook-token-0123456789abcdef'
    const { url } = await bridge(t, fake, { FLUX_HMAC_KEYS: '', FLUX_WEBHOOK_TOKEN: token }, imageBump)
    const out = await forward(version, await controllerEvent('helm-upgrade-succeeded'), url, { type: 'generic', headers: `Authorization: Bearer ${token}\n` })
    const sent = only(t, out)
    t.notOk(sent.headers['x-signature'], 'generic sends no X-Signature')
    t.equal(sent.headers['authorization'], `Bearer ${token}`)
    t.equal(sent.status, 202, `bridge answer: ${sent.status} ${sent.answer}`)
    await fake.waitFor(f => ofType(f, 'finished').length === 1, 5_000).catch(() => {})
    t.match(ofType(fake, 'finished'), [{ data: { ...podtato, status: 'succeeded', result: 'pass' } }])
  })
}

// ---- c. values-only image bump: the chart's appVersion (0.3.2) is not the image tag Keptn asked for (v0.3.3)
withKeptnFake(t, `c. ${newest} UpgradeSucceeded for a values-only image bump (app-version 0.3.2, image v0.3.3) finishes succeeded`, async (t, fake) => {
  const { url, triggered } = await bridge(t, fake, {}, imageBump)
  const sent = only(t, await forward(newest, await controllerEvent('helm-upgrade-succeeded', { version: '0.3.2', 'app-version': '0.3.2' }), url, { token: key }))
  t.equal(sent.status, 202, `bridge answer: ${sent.status} ${sent.answer}`)
  await fake.waitFor(f => ofType(f, 'finished').length === 1, 5_000).catch(() => {})
  t.match(ofType(fake, 'finished'), [{ triggeredid: triggered.id, data: { ...podtato, status: 'succeeded', result: 'pass' } }])
})

// ---- d. chart from an OCIRepository: revision `<version>+<12 hex of the digest>`, oci-digest metadata
withKeptnFake(t, `d. ${newest} UpgradeSucceeded of an OCI chart finishes; the digest is not reported as a git commit`, async (t, fake) => {
  const { url } = await bridge(t, fake, {}, imageBump)
  const body = await controllerEvent('helm-upgrade-succeeded', { version: `0.3.2+${ociDigest.slice(0, 12)}`, digest: ociDigest })
  const out = await forward(newest, body, url, { token: key })
  const sent = only(t, out)
  t.match(JSON.parse(sent.body), { metadata: { revision: `0.3.2+${ociDigest.slice(0, 12)}`, 'oci-digest': `sha256:${ociDigest}` } }, 'what Flux forwards')
  t.equal(sent.status, 202, `bridge answer: ${sent.status} ${sent.answer}`)
  await fake.waitFor(f => ofType(f, 'finished').length === 1, 5_000).catch(() => {})
  const finished = ofType(fake, 'finished')
  t.match(finished, [{ data: { ...podtato, status: 'succeeded', result: 'pass' } }])
  const deployment = (finished[0]?.data as { deployment?: { gitCommit?: string } } | undefined)?.deployment
  t.notMatch(deployment?.gitCommit ?? '', new RegExp(ociDigest.slice(0, 12)), `data.deployment.gitCommit is not the digest (got ${JSON.stringify(deployment?.gitCommit)})`)
  t.notMatch(finished[0]?.gitcommitid ?? '', new RegExp(ociDigest.slice(0, 12)), 'gitcommitid is not the digest')
})

// ---- e. remediation: upgrade.remediation.retries: 2 (strategy rollback, remediateLastFailure defaults to true)
// One failed attempt = UpgradeFailed (error) then RollbackSucceeded (info, previous chart's revision
// and app-version); helm-controller requeues and upgrades again. See EVENTS.md.
const failedAttempt = async (t: Test, version: string, url: string, n: number) => [
  only(t, await forward(version, await controllerEvent('helm-upgrade-failed', { release: String(2 * n), error: `context deadline exceeded (attempt ${n})` }), url, { token: key })),
  only(t, await forward(version, await controllerEvent('helm-rollback-succeeded', { release: String(2 * n - 1) }), url, { token: key }))
]

// helm-controller patches status.upgradeFailures after each attempt; only status (and the Stalled
// condition) says when retries are exhausted, so the bridge reads the HelmRelease from the API.
async function withHelmRelease (t: Test) {
  const kubeToken = 'service-account-token-0123456789'
  const kube = await startKubernetesFake({ token: kubeToken })
  t.teardown(() => kube.close())
  const state = (upgradeFailures: number, stalled = false) => kube.setObject('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'podtato-dev', 'helloservice', undefined, {
    spec: { interval: '5m', chart: { spec: { chart: 'podtato-head', sourceRef: { kind: 'HelmRepository', name: 'podtato' } } }, upgrade: { remediation: { retries: 2 } } },
    status: {
      lastAttemptedReleaseAction: 'upgrade',
      upgradeFailures,
      conditions: stalled ? [{ type: 'Stalled', status: 'True', reason: 'RetriesExceeded', message: 'Failed to upgrade after 3 attempt(s)' }] : []
    }
  })
  return { env: { KUBERNETES_API_URL: kube.url, KUBERNETES_TOKEN_FILE: file(kubeToken) }, state }
}

withKeptnFake(t, `e. ${newest} UpgradeFailed + RollbackSucceeded while retries remain, then UpgradeSucceeded: one .finished, succeeded`, async (t, fake) => {
  const hr = await withHelmRelease(t)
  const { url, triggered } = await bridge(t, fake, hr.env, imageBump)
  hr.state(1)
  const answers = await failedAttempt(t, newest, url, 1)
  const last = only(t, await forward(newest, await controllerEvent('helm-upgrade-succeeded', { release: '4' }), url, { token: key }))
  t.comment(`bridge answers: ${[...answers, last].map(a => `${a.status} ${a.answer}`).join(' | ')}`)
  await fake.waitFor(f => ofType(f, 'finished').length >= 1, 5_000).catch(() => {})
  t.equal(ofType(fake, 'finished').length, 1, 'exactly one .finished')
  t.match(ofType(fake, 'finished'), [{ triggeredid: triggered.id, data: { ...podtato, status: 'succeeded', result: 'pass' } }])
})

withKeptnFake(t, `e. ${newest} retries exhausted (3 × UpgradeFailed + RollbackSucceeded, then Stalled without an event): errored/fail`, async (t, fake) => {
  const hr = await withHelmRelease(t)
  const { url, triggered } = await bridge(t, fake, hr.env, imageBump)
  const answers = []
  for (let n = 1; n <= 3; n++) {
    hr.state(n, n === 3)
    answers.push(...await failedAttempt(t, newest, url, n))
    if (n === 1) t.equal(ofType(fake, 'finished').length, 0, 'no .finished after the first failed attempt: 2 retries remain')
  }
  t.comment(`bridge answers: ${answers.map(a => `${a.status} ${a.answer}`).join(' | ')}`)
  await fake.waitFor(f => ofType(f, 'finished').length >= 1, 15_000).catch(() => {})
  t.equal(ofType(fake, 'finished').length, 1, 'exactly one .finished')
  t.match(ofType(fake, 'finished'), [{ triggeredid: triggered.id, data: { ...podtato, status: 'errored', result: 'fail' } }])
})

// ---- g. Warnings that are not deployment outcomes, emitted before (or beside) a successful upgrade
// helm-controller v1.5+ (Flux 2.8) emits NamespaceCheckSkipped / InventoryBuildFailed while observing
// the release it is installing (before UpgradeSucceeded); PendingRelease when it unlocks a release
// left pending; DriftDetected / DriftCorrectionFailed concern a release already deployed.
for (const warning of ['helm-namespace-check-skipped', 'helm-inventory-build-failed', 'helm-pending-release-unlocked', 'helm-drift-detected', 'helm-drift-correction-failed']) {
  withKeptnFake(t, `g. ${newest} ${warning} then UpgradeSucceeded: one .finished, succeeded`, async (t, fake) => {
    const { url, triggered } = await bridge(t, fake, {}, imageBump)
    const first = only(t, await forward(newest, await controllerEvent(warning, { error: 'the server could not find the requested resource' }), url, { token: key }))
    await new Promise(resolve => setTimeout(resolve, 300))
    t.equal(ofType(fake, 'finished').length, 0, `no .finished on ${JSON.parse(first.body).reason} (${JSON.parse(first.body).severity}); bridge: ${first.status} ${first.answer}`)
    const last = only(t, await forward(newest, await controllerEvent('helm-upgrade-succeeded'), url, { token: key }))
    t.comment(`bridge answers: ${first.status} ${first.answer} | ${last.status} ${last.answer}`)
    await fake.waitFor(f => ofType(f, 'finished').length >= 1, 5_000).catch(() => {})
    t.match(ofType(fake, 'finished'), [{ triggeredid: triggered.id, data: { ...podtato, status: 'succeeded', result: 'pass' } }])
  })
}

// ---- h. spec.test.enable: UpgradeSucceeded, then TestFailed, then the rollback (EVENTS.md §4).
// The events alone do not say tests will run; recorded, not asserted: what should Keptn get?
withKeptnFake(t, `h. ${newest} UpgradeSucceeded → TestFailed → RollbackSucceeded (tests enabled): what Keptn gets (informational)`, async (t, fake) => {
  const { url } = await bridge(t, fake, {}, imageBump)
  const answers = []
  for (const c of ['helm-upgrade-succeeded', 'helm-test-failed', 'helm-rollback-succeeded']) {
    answers.push(only(t, await forward(newest, await controllerEvent(c, { release: c === 'helm-rollback-succeeded' ? '1' : '2', error: 'pod helloservice-test failed' }), url, { token: key })))
  }
  await new Promise(resolve => setTimeout(resolve, 500))
  t.comment(`bridge answers: ${answers.map(a => `${a.status} ${a.answer}`).join(' | ')}`)
  t.comment(`Keptn got: ${JSON.stringify(ofType(fake, 'finished').map(e => [e.data['status'], e.data['result'], e.data['message']]))}`)
  t.pass('recorded')
})

// ---- f. Kustomization: `main@sha1:<sha>` of the GitOps repo; Keptn's gitcommitid is its config repo
for (const version of versions) {
  withKeptnFake(t, `f. ${version} Kustomization ReconciliationSucceeded main@sha1:<sha> with Keptn's gitcommitid another sha: finished succeeded`, async (t, fake) => {
    const { url, triggered } = await bridge(t, fake, {}, {}, { gitcommitid: keptnConfigSha })
    const out = await forward(version, await controllerEvent('kustomize-succeeded', { commit: gitSha }), url, { token: key })
    const sent = only(t, out)
    t.match(JSON.parse(sent.body), { reason: 'ReconciliationSucceeded', metadata: { revision: `main@sha1:${gitSha}`, commit_status: 'update' } }, 'what Flux forwards')
    t.equal(sent.status, 202, `bridge answer: ${sent.status} ${sent.answer}`)
    await fake.waitFor(f => ofType(f, 'finished').length === 1, 5_000).catch(() => {})
    t.match(ofType(fake, 'finished'), [{ triggeredid: triggered.id, data: { ...podtato, status: 'succeeded', result: 'pass' } }])
  })
}

// ---- what notification-controller forwards: prefixes stripped, token/checksum dropped, eventMetadata merged
t.test('notification-controller rewrites the controller metadata the same way in both versions', async t => {
  const body = await controllerEvent('helm-upgrade-succeeded', { version: `0.3.2+${ociDigest.slice(0, 12)}`, digest: ociDigest })
  for (const version of versions) {
    const out = await forward(version, body, 'http://127.0.0.1:9/hooks/flux', { token: key, eventMetadata: 'cluster=dev-eu', noPost: true })
    const fwd = out.dispatches[0]?.forwarded as { metadata: Record<string, string> }
    t.same(Object.keys(fwd.metadata).sort(), ['app-version', 'cluster', 'keptn-project', 'keptn-service', 'keptn-stage', 'oci-digest', 'revision'], `${version}: forwarded metadata keys`)
  }
})
