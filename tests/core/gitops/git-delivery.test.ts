import t from 'tap'
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createGitDelivery } from '../../../app/core/gitops/git-delivery.js'
import { createMemoryStore } from '../../../app/store/memory/memory-store.js'
import type { TriggeredDeployment } from '../../../app/core/types.js'
import { createRemote, helloRelease, recordingLogger, tempDir } from './fixture.js'

// The Git write claim against a writer that is slower than its lease.

t.test('a write slower than its lease keeps its claim: no second writer starts meanwhile', async t => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease })
  const release = join(remote.root, 'release-push')
  const hook = join(remote.bare, 'hooks', 'pre-receive')
  await writeFile(hook, `#!/bin/sh\nwhile [ ! -e '${release}' ]; do sleep 0.02; done\nexit 0\n`)
  await chmod(hook, 0o755)
  const store = createMemoryStore()
  const delivery = createGitDelivery({
    targets: [{ project: 'podtato', stage: 'dev', service: 'helloservice', repo: remote.url, branch: 'main', file: 'apps/dev/helloservice.yaml', path: 'spec.values.image.tag', write: 'tag', index: 0, line: 1 }],
    workDir: join(await tempDir(t), 'work'),
    store,
    clock: Date.now,
    logger: { ...recordingLogger(), debug: () => {}, error: () => {} },
    wake: () => {},
    leaseMs: 90
  })
  t.teardown(() => delivery.close())
  const td: TriggeredDeployment = {
    project: 'podtato', stage: 'dev', service: 'helloservice', triggeredId: 'slow', keptnContext: 'ctx', image: 'app:v9', receivedAt: Date.now(), deadline: Date.now() + 60_000
  }
  await store.addTriggered(td, 60_000, Date.now())
  delivery.onTriggered(td)
  const deadline = Date.now() + 15_000
  while ((await store.snapshot(1)).pending[0]?.commit === undefined && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  await new Promise(resolve => setTimeout(resolve, 300))
  t.equal(await store.claimGitWrite(td, 90, Date.now()), undefined, 'still claimed after more than three leases')
  await writeFile(release, '')
  await delivery.close()
  t.equal((await store.snapshot(1)).pending[0]?.pushed, await remote.head(), 'pushed once the remote let it')
  t.equal(await remote.count(), 2)
})
