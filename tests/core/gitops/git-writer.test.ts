import t from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createGitWriter, imageValue, type GitChange, type GitWriterOptions } from '../../../app/core/gitops/git-writer.js'
import type { ResolvedTarget } from '../../../app/core/gitops/targets.js'
import { createRemote, git, helloRelease, raceHook, recordingLogger, tempDir, type Remote, type Teardown } from './fixture.js'

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {service}
spec:
  template:
    spec:
      containers:
        # the app container
        - name: app
          image: ghcr.io/podtato-head/{service}:v1 # pinned by Keptn
`

function targetFor (remote: Remote, over: Partial<ResolvedTarget> = {}): ResolvedTarget {
  return {
    project: 'podtato',
    stage: 'dev',
    service: 'helloservice',
    repo: remote.url,
    branch: 'main',
    file: 'apps/dev/helloservice.yaml',
    path: 'spec.values.image.tag',
    write: 'tag',
    index: 0,
    ...over
  }
}

// Every Keptn deployment has its own triggered id; a write that finds its id on the branch adopts that commit.
let deployments = 0
function changeFor (over: Partial<GitChange> = {}): GitChange {
  return {
    project: 'podtato',
    stage: 'dev',
    service: 'helloservice',
    image: 'ghcr.io/podtato-head/podtato-server:v0.3.2',
    keptnContext: '5f8d3a1e-0c2b-4a8e-9d51-7c1b2e3f4a5b',
    triggeredId: `a1b2c3d4-0000-4000-8000-${String(++deployments).padStart(12, '0')}`,
    ...over
  }
}

async function writerFor (t: Teardown, over: Partial<GitWriterOptions> = {}) {
  const logger = recordingLogger()
  const writer = createGitWriter({ workDir: await tempDir(t, 'kgb-work-'), logger, retryDelayMs: 20, ...over })
  t.teardown(() => writer.close())
  return Object.assign(writer, { logger })
}

t.test('commits the new tag at the path and leaves every other byte of the file alone', async t => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease, 'README.md': 'hi\n' })
  const writer = await writerFor(t)
  const result = await writer.write(targetFor(remote), changeFor())
  t.same(result, { changed: true, commit: await remote.head() })
  t.equal(await remote.show('apps/dev/helloservice.yaml'), helloRelease.replace('tag: "v0.3.1"', 'tag: "v0.3.2"'))
  t.equal(await remote.show('README.md'), 'hi\n')
  t.equal(await remote.count(), 2)
})

t.test('the commit names the Keptn project, stage, service and context, with trailers', async t => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease })
  const writer = await writerFor(t)
  await writer.write(targetFor(remote), changeFor({ triggeredId: 'a1b2c3d4-0000-4000-8000-000000000001' }))
  const message = await git(['log', '-1', '--format=%B', 'main'], remote.bare)
  t.match(message, /^Deploy helloservice v0\.3\.2 to podtato\/dev\n/)
  t.match(message, /project podtato, stage dev, service helloservice, context 5f8d3a1e-0c2b-4a8e-9d51-7c1b2e3f4a5b/)
  t.equal(await git(['log', '-1', '--format=%(trailers:only,unfold)', 'main'], remote.bare),
    'Keptn-Context: 5f8d3a1e-0c2b-4a8e-9d51-7c1b2e3f4a5b\nKeptn-Triggered-Id: a1b2c3d4-0000-4000-8000-000000000001')
  t.equal(await git(['log', '-1', '--format=%an <%ae>', 'main'], remote.bare), 'keptn-gitops-bridge <keptn-gitops-bridge@localhost>')
})

t.test('a newline in event data cannot forge a trailer', async t => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease })
  const writer = await writerFor(t)
  await writer.write(targetFor(remote), changeFor({ keptnContext: 'ctx\n\nKeptn-Triggered-Id: forged', triggeredId: 'a1b2c3d4-0000-4000-8000-000000000001' }))
  t.equal(await git(['log', '-1', '--format=%(trailers:only,unfold)', 'main'], remote.bare),
    'Keptn-Context: ctx Keptn-Triggered-Id: forged\nKeptn-Triggered-Id: a1b2c3d4-0000-4000-8000-000000000001')
})

t.test('write: image puts the whole reference into a list item', async t => {
  const remote = await createRemote(t, { 'apps/dev/carts.yaml': deployment.replaceAll('{service}', 'carts') })
  const writer = await writerFor(t)
  const image = 'registry.local:5000/podtato/carts@sha256:' + 'ab'.repeat(32)
  await writer.write(targetFor(remote, { service: 'carts', file: 'apps/dev/carts.yaml', path: 'spec.template.spec.containers[0].image', write: 'image' }),
    changeFor({ service: 'carts', image }))
  t.equal(await remote.show('apps/dev/carts.yaml'),
    deployment.replaceAll('{service}', 'carts').replace('ghcr.io/podtato-head/carts:v1', image))
})

t.test('a value already in place makes no commit and answers the current head', async t => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease })
  const writer = await writerFor(t)
  const head = await remote.head()
  t.same(await writer.write(targetFor(remote), changeFor({ image: 'ghcr.io/podtato-head/podtato-server:v0.3.1' })), { changed: false, commit: head })
  t.equal(await remote.count(), 1)
})

t.test('a write taken over after its writer died adopts the commit already pushed for it; anyone else\'s stays unchanged', async t => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease })
  const change = changeFor()
  const first = await (await writerFor(t)).write(targetFor(remote), change)
  const other = await writerFor(t)
  t.same(await other.write(targetFor(remote), change), first, 'the same triggered id: its own commit, waited for again')
  t.same(await other.write(targetFor(remote), changeFor({ triggeredId: 'another-deployment' })), { changed: false, commit: first.commit },
    'another deployment of the same image: Git already holds it')
  t.equal(await remote.count(), 2, 'no second commit')
  const rolledBack = await remote.clone('someone')
  await writeFile(join(rolledBack, 'apps/dev/helloservice.yaml'), helloRelease)
  await git(['commit', '-qam', 'roll back'], rolledBack)
  await git(['push', '-q', 'origin', 'HEAD:main'], rolledBack)
  t.same(await other.write(targetFor(remote), change), first, 'rolled back by someone since: still its own commit, not written again')
  t.equal(await remote.count(), 3)
})

t.test('a write whose deployment is gone by the time of the push pushes nothing', async t => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease })
  const writer = await writerFor(t)
  const result = await writer.write(targetFor(remote), changeFor(), async () => false)
  t.match(result, { changed: false, abandoned: true })
  t.equal(await remote.count(), 1)
  t.same(await writer.write(targetFor(remote), changeFor({ triggeredId: 'next' })), { changed: true, commit: await remote.head() }, 'the clone is fine for the next write')
})

t.test('two services in the same repository written at once both land', async t => {
  const remote = await createRemote(t, {
    'apps/dev/helloservice.yaml': helloRelease,
    'apps/dev/carts.yaml': helloRelease.replaceAll('helloservice', 'carts')
  })
  const writer = await writerFor(t)
  const [hello, carts] = await Promise.all([
    writer.write(targetFor(remote), changeFor({ image: 'app:v2' })),
    writer.write(targetFor(remote, { service: 'carts', file: 'apps/dev/carts.yaml' }), changeFor({ service: 'carts', image: 'app:v3' }))
  ])
  t.not(hello.commit, carts.commit)
  t.equal(await remote.count(), 3)
  t.match(await remote.show('apps/dev/helloservice.yaml'), 'tag: "v2"')
  t.match(await remote.show('apps/dev/carts.yaml'), 'tag: "v3"')
})

t.test('two bridge replicas racing on one repository lose no update and never force-push', async t => {
  const services = ['a', 'b', 'c', 'd', 'e', 'f']
  const remote = await createRemote(t, Object.fromEntries(services.map(s => [`apps/${s}.yaml`, helloRelease])))
  const replicas = [await writerFor(t, { maxAttempts: 10 }), await writerFor(t, { maxAttempts: 10 })]
  const results = await Promise.all(services.map((s, i) =>
    replicas[i % 2]!.write(targetFor(remote, { service: s, file: `apps/${s}.yaml` }), changeFor({ service: s, image: `app:${s}-1` }))))
  t.equal(await remote.count(), services.length + 1)
  for (const s of services) t.match(await remote.show(`apps/${s}.yaml`), `tag: "${s}-1"`)
  const history = (await git(['rev-list', 'main'], remote.bare)).split('\n')
  for (const r of results) t.ok(history.includes(r.commit), 'each answered commit is in the branch history')
})

t.test('a push rejected because the branch moved is retried on top of the new head', async t => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease })
  await raceHook(remote, 1)
  const writer = await writerFor(t)
  const announced: string[] = []
  const result = await writer.write(targetFor(remote), changeFor(), async commit => { announced.push(commit); return true })
  t.same(result, { changed: true, commit: await remote.head() })
  t.equal(announced.length, 2, 'each commit is announced before its push')
  t.equal(announced[1], result.commit, 'the last one announced is the one pushed')
  t.equal(await remote.show('race.txt'), 'race 0\n', 'the commit pushed by someone else is kept')
  t.match(await remote.show('apps/dev/helloservice.yaml'), 'tag: "v0.3.2"')
  t.equal(await remote.count(), 3)
  t.ok(writer.logger.lines.some(l => /push rejected, retrying/.test(l.msg)))
})

t.test('gives up with a GitWriteError after the bounded number of attempts', async t => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease })
  await raceHook(remote, 100)
  const writer = await writerFor(t, { maxAttempts: 3 })
  await t.rejects(writer.write(targetFor(remote), changeFor()), {
    name: 'GitWriteError', code: 'GIT_WRITE_FAILED', message: /rejected 3 times as the branch kept moving/
  })
  t.equal(await remote.count(), 4, 'only the three commits of the other writer landed')
  t.notMatch(await remote.show('apps/dev/helloservice.yaml'), 'v0.3.2')
})

t.test('a missing key or file fails with the file and path named, and the writer keeps working', async t => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease })
  const writer = await writerFor(t)
  await t.rejects(writer.write(targetFor(remote, { path: 'spec.values.image.tga' }), changeFor()), {
    name: 'GitWriteError', message: 'apps/dev/helloservice.yaml: spec.values.image.tga: key "tga" not found under spec.values.image'
  })
  await t.rejects(writer.write(targetFor(remote, { file: 'apps/prod/helloservice.yaml' }), changeFor()), {
    name: 'GitWriteError', message: /apps\/prod\/helloservice\.yaml does not exist on branch main/
  })
  await t.rejects(writer.write(targetFor(remote, { branch: 'nope' }), changeFor()), { name: 'GitWriteError', message: /branch nope/ })
  await t.rejects(writer.write(targetFor(remote, { file: 'apps/../../escape.yaml' }), changeFor()), {
    name: 'GitWriteError', message: /outside the repository/
  })
  t.equal((await writer.write(targetFor(remote), changeFor())).changed, true)
  t.equal(await remote.count(), 2)
})

t.test('write: tag takes the tag from any reference and refuses digests', async t => {
  t.equal(imageValue('ghcr.io/podtato-head/podtato-server:v0.3.2', 'tag'), 'v0.3.2')
  t.equal(imageValue('registry.local:5000/app:1.2', 'tag'), '1.2')
  t.equal(imageValue('registry.local:5000/app:1.2', 'image'), 'registry.local:5000/app:1.2')
  t.throws(() => imageValue('registry.local:5000/app', 'tag'), { name: 'GitWriteError', message: /has no tag/ })
  t.throws(() => imageValue('app@sha256:' + '0'.repeat(64), 'tag'), { name: 'GitWriteError', message: /pinned by digest/ })
  t.throws(() => imageValue('app:1.2@sha256:' + '0'.repeat(64), 'tag'), { message: /use write: image/ })
})
