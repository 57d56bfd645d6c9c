import t from 'tap'
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { build } from '../helpers/app.js'
import { createRedisStore } from '../../app/store/redis/redis-store.js'
import { StoreUnavailableError } from '../../app/core/store.js'
import { testRedisUrl, uniquePrefix } from '../helpers/redis.js'
import { withKeptnFake, makeTriggered, type KeptnFake, pushTriggered, ofType } from '../helpers/keptn-fake.js'
import { fluxEvent, fluxRequest } from '../helpers/flux.js'
import { createRemote, helloRelease, tempDir, writeTargets } from '../core/gitops/fixture.js'
import { waitFor } from '../helpers/wait.js'

// Keptn-driven delivery through Git: Keptn asks, the bridge writes Git, Flux deploys, Keptn hears back.

const redisUrl = await testRedisUrl()
const podtato = { project: 'podtato', stage: 'dev', service: 'helloservice' }
const file = 'apps/dev/helloservice.yaml'

async function setup (t: Parameters<typeof build>[0], fake: KeptnFake, repoUrl?: string, opts: Parameters<typeof build>[2] = {}) {
  const remote = await createRemote(t, { [file]: helloRelease })
  const dir = await tempDir(t)
  const targets = await writeTargets(dir, repoUrl ?? remote.url)
  const app = await build(t, {
    REDIS_URL: redisUrl,
    KEY_PREFIX: uniquePrefix(),
    KEPTN_API_URL: fake.url,
    KEPTN_API_TOKEN: fake.token,
    KEPTN_POLL_INTERVAL: '0',
    GIT_TARGETS: targets,
    GIT_WORKDIR: join(dir, 'work')
  }, opts)
  return { app, remote }
}

async function triggerDelivery (app: FastifyInstance, fake: KeptnFake, image: string) {
  const ev = makeTriggered({ ...podtato, configurationChange: { values: { image } } })
  const res = await app.inject(pushTriggered(fake, ev))
  return { ev, res }
}

/** Waits until the bridge has pushed the commit the pending deployment waits for, and returns it. */
async function writtenCommit (app: FastifyInstance): Promise<string> {
  let commit: string | undefined
  await waitFor('the commit is pushed', async () => Boolean(commit = (await app.inject('/api/v1/deployments')).json().pending[0]?.pushed))
  return commit!
}

const kustomization = (commit: string) => fluxEvent({
  involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: 'podtato-dev' },
  reason: 'ReconciliationSucceeded',
  message: 'Reconciliation finished in 1.2s, next run in 10m0s',
  metadata: { revision: `main@sha1:${commit}`, 'keptn-project': 'podtato', 'keptn-stage': 'dev', 'keptn-service': 'helloservice' },
  reportingController: 'kustomize-controller'
})

withKeptnFake(t, 'the image is written to Git and the Flux report of that commit finishes the deployment', async (t, fake) => {
  const { app, remote } = await setup(t, fake)
  const before = await remote.head()
  const { ev } = await triggerDelivery(app, fake, 'ghcr.io/podtato-head/podtato-server:v0.3.2')
  const commit = await writtenCommit(app)
  t.equal(commit, await remote.head(), 'the pushed commit is what the deployment waits for')
  t.match((await app.inject('/api/v1/deployments')).json().pending[0], { toGit: true, pushed: commit }, 'marked as written by the bridge, and pushed')
  t.not(commit, before, 'a commit was pushed')
  t.match(await remote.show(file), /tag: "v0\.3\.2" {3}# current release/, 'the tag changed in place, comment kept')
  const metrics = (await app.inject('/metrics')).body
  t.match(metrics, 'kgb_git_writes_total{result="pushed"} 1', 'the push is counted')
  t.match(metrics, /kgb_git_write_duration_seconds_count 1\n/)

  const stale = await app.inject(fluxRequest(kustomization(before)))
  t.match(stale.json(), { status: 'ignored', reason: 'no pending deployment' }, 'a report of the old commit finishes nothing')
  const res = await app.inject(fluxRequest(kustomization(commit)))
  t.match(res.json(), { status: 'accepted', triggeredId: ev.id })
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  t.match(ofType(fake, 'finished')[0], { triggeredid: ev.id, data: { status: 'succeeded', result: 'pass', deployment: { gitCommit: commit } } })
})

withKeptnFake(t, 'Git already at that value: no commit, finished at once as succeeded', async (t, fake) => {
  const { app, remote } = await setup(t, fake)
  const before = await remote.count()
  const { ev } = await triggerDelivery(app, fake, 'ghcr.io/podtato-head/podtato-server:v0.3.1')
  await fake.waitFor(f => ofType(f, 'finished').length === 1, 15_000)
  t.equal(await remote.count(), before, 'no empty commit')
  t.match(ofType(fake, 'finished')[0], { triggeredid: ev.id, data: { status: 'succeeded', result: 'pass', message: /already holds/ } })
})

withKeptnFake(t, 'an unreachable remote finishes errored/fail with the reason; nothing hangs', async (t, fake) => {
  const { app } = await setup(t, fake, 'file:///nonexistent/kgb/repo.git')
  const { ev } = await triggerDelivery(app, fake, 'ghcr.io/podtato-head/podtato-server:v0.3.2')
  await fake.waitFor(f => ofType(f, 'finished').length === 1, 15_000)
  t.match(ofType(fake, 'finished')[0], { triggeredid: ev.id, data: { status: 'errored', result: 'fail', message: /Could not write .* to Git/ } })
  t.equal((await app.inject('/api/v1/deployments')).json().pendingCount, 0, 'the pending entry is closed')
})

withKeptnFake(t, 'a HelmRelease whose chart is built from Git reports <chart>+<commit>: that finishes it too', async (t, fake) => {
  const { app, remote } = await setup(t, fake)
  const { ev } = await triggerDelivery(app, fake, 'ghcr.io/podtato-head/podtato-server:v0.3.2')
  const commit = await writtenCommit(app)
  t.equal(commit, await remote.head())
  const stale = fluxEvent({
    involvedObject: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps' },
    reason: 'ReconciliationSucceeded',
    reportingController: 'kustomize-controller',
    message: 'Reconciliation finished in 1s, next run in 10m0s',
    metadata: { revision: `main@sha1:${'0123456789ab'.repeat(4).slice(0, 40)}`, 'keptn-project': 'podtato', 'keptn-stage': 'dev', 'keptn-service': 'helloservice' }
  })
  t.match((await app.inject(fluxRequest(stale))).json(), { status: 'ignored' }, 'another commit does not finish it')
  // `<chart>+<12 hex>` may be an OCI or Bucket digest as well as a commit: it matches the commit the
  // bridge pushed, but a different one is no evidence either way, and it is never reported as a commit.
  const upgraded = fluxEvent({ metadata: { revision: `0.1.0+${commit.slice(0, 12)}`, 'keptn-project': 'podtato', 'keptn-stage': 'dev', 'keptn-service': 'helloservice' } })
  t.match((await app.inject(fluxRequest(upgraded))).json(), { status: 'accepted', triggeredId: ev.id }, 'the commit in the revision matches; the chart version 0.1.0 is not held against the image tag v0.3.2')
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  t.equal((ofType(fake, 'finished')[0]!.data['deployment'] as { gitCommit: string }).gitCommit, commit, 'the commit the bridge pushed, not the 12 hex')
})

withKeptnFake(t, 'the answer to taking the event on was lost: Keptn\'s retry of it still gets the change written to Git, once', async (t, fake) => {
  const store = createRedisStore(new Redis(redisUrl), uniquePrefix())
  const claims: unknown[] = []
  let lose = true
  const losing = Object.assign(Object.create(store) as typeof store, {
    // Redis took it on, then the reply went missing (a timeout, or no replica confirmed it in time).
    addTriggered: async (...args: Parameters<typeof store.addTriggered>) => {
      const taken = await store.addTriggered(...args)
      if (lose) { lose = false; throw new StoreUnavailableError('redis: NOREPLICAS write not confirmed by 1 replica(s) within 250 ms') }
      return taken
    },
    claimGitWrite: async (...args: Parameters<typeof store.claimGitWrite>) => {
      const claimed = await store.claimGitWrite(...args)
      claims.push(claimed)
      return claimed
    }
  })
  const { app, remote } = await setup(t, fake, undefined, { store: losing })
  const before = await remote.head()
  const { ev, res } = await triggerDelivery(app, fake, 'ghcr.io/podtato-head/podtato-server:v0.3.2')
  t.equal(res.statusCode, 503, 'the sender is told to retry')
  const again = await app.inject(pushTriggered(fake, ev))
  t.equal(again.json().status, 'duplicate')
  const commit = await writtenCommit(app)
  t.not(commit, before, 'the change was written after all')
  t.equal(commit, await remote.head())
  const looked = claims.length
  await app.inject(pushTriggered(fake, ev))
  // Seen again, the Git delivery asks for the write's claim, and writes only with it.
  await waitFor('the Git delivery has looked at the event again', () => claims.length > looked)
  t.equal(claims.at(-1), undefined, 'the written change is not claimed again')
  t.equal(await remote.count(), 2, 'seeing the event again once written writes nothing more')
  t.match((await app.inject(fluxRequest(kustomization(commit)))).json(), { status: 'accepted', triggeredId: ev.id })
  await fake.waitFor(f => ofType(f, 'finished').length === 1)
  t.equal(ofType(fake, 'started').length, 1)
})

withKeptnFake(t, 'the deployment waits for its commit before the push, so a replica dying right after the push loses nothing', async (t, fake) => {
  const { app, remote } = await setup(t, fake)
  const before = await remote.head()
  const release = join(remote.root, 'release-push')
  const hook = join(remote.bare, 'hooks', 'pre-receive')
  await writeFile(hook, `#!/bin/sh\nwhile [ ! -e '${release}' ]; do sleep 0.05; done\nexit 0\n`)
  await chmod(hook, 0o755)
  const { ev } = await triggerDelivery(app, fake, 'ghcr.io/podtato-head/podtato-server:v0.3.2')
  let pending: { commit?: string, pushed?: string } | undefined
  await waitFor('the commit is recorded', async () => Boolean((pending = (await app.inject('/api/v1/deployments')).json().pending[0])?.commit))
  t.ok(pending?.commit, 'the commit is recorded while the push is still in flight')
  t.equal(pending?.pushed, undefined)
  t.equal(await remote.head(), before, 'not on the remote yet')
  await writeFile(release, '')
  const pushed = await writtenCommit(app)
  t.equal(pushed, pending?.commit, 'the recorded commit is the one pushed')
  t.match((await app.inject(fluxRequest(kustomization(pushed)))).json(), { status: 'accepted', triggeredId: ev.id })
})
