import t from 'tap'
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createGitDelivery } from '../../../app/core/gitops/git-delivery.js'
import { createMemoryStore } from '../../../app/store/memory/memory-store.js'
import type { Store } from '../../../app/core/store.js'
import type { TriggeredDeployment } from '../../../app/core/types.js'
import { createRemote, helloRelease, recordingLogger, tempDir } from './fixture.js'
import { waitFor } from '../../helpers/wait.js'

// The Git write claim against a writer that is slower than its lease.

t.test('a write slower than its lease keeps its claim: no second writer starts meanwhile', async t => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease })
  const release = join(remote.root, 'release-push')
  const hook = join(remote.bare, 'hooks', 'pre-receive')
  await writeFile(hook, `#!/bin/sh\nwhile [ ! -e '${release}' ]; do sleep 0.02; done\nexit 0\n`)
  await chmod(hook, 0o755)
  const store = createMemoryStore()
  // Counts the renewals that kept the claim: the proof that time passed while the push hung.
  let renewed = 0
  const renew = store.renewGitWrite.bind(store)
  store.renewGitWrite = async (...args) => { const kept = await renew(...args); if (kept) renewed++; return kept }
  const delivery = createGitDelivery({
    targets: [{ project: 'podtato', stage: 'dev', service: 'helloservice', repo: remote.url, branch: 'main', file: 'apps/dev/helloservice.yaml', path: 'spec.values.image.tag', write: 'tag', index: 0, line: 1 }],
    workDir: join(await tempDir(t), 'work'),
    store,
    clock: Date.now,
    logger: { ...recordingLogger(), debug: () => {}, error: () => {} },
    wake: () => {},
    leaseMs: 600
  })
  t.teardown(() => delivery.close())
  const td: TriggeredDeployment = {
    project: 'podtato', stage: 'dev', service: 'helloservice', triggeredId: 'slow', keptnContext: 'ctx', image: 'app:v9', receivedAt: Date.now(), deadline: Date.now() + 60_000
  }
  await store.addTriggered(td, 60_000, Date.now())
  delivery.onTriggered(td)
  const deadline = Date.now() + 15_000
  while ((await store.snapshot(1)).pending[0]?.commit === undefined && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  const since = Date.now()
  // Renewed every third of the lease: six renewals span two leases of a push that hangs.
  await waitFor('six kept renewals over two leases', () => renewed >= 6 && Date.now() - since >= 1200)
  t.ok(renewed >= 6, 'the claim was renewed while the push hung')
  t.equal(await store.claimGitWrite(td, 'another-replica', 600, Date.now()), undefined, 'still claimed after two leases')
  await writeFile(release, '')
  await delivery.close()
  t.equal((await store.snapshot(1)).pending[0]?.pushed, await remote.head(), 'pushed once the remote let it')
  t.equal(await remote.count(), 2)
})

t.test('a write whose claim was lost to another replica is abandoned before its push', async t => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease })
  const memory = createMemoryStore()
  let now = 1000
  const leaseMs = 60_000
  // This replica stalls past its lease right after claiming, and another replica claims the write.
  const store: Store = {
    ...memory,
    async claimGitWrite (td, owner, lease, at) {
      const claimed = await memory.claimGitWrite(td, owner, lease, at)
      now += lease + 1
      t.ok(await memory.claimGitWrite(td, 'another-replica', lease, now), 'the other replica took the lapsed claim')
      return claimed
    }
  }
  const logger = recordingLogger()
  const delivery = createGitDelivery({
    targets: [{ project: 'podtato', stage: 'dev', service: 'helloservice', repo: remote.url, branch: 'main', file: 'apps/dev/helloservice.yaml', path: 'spec.values.image.tag', write: 'tag', index: 0, line: 1 }],
    workDir: join(await tempDir(t), 'work'),
    store,
    clock: () => now,
    logger: { ...logger, debug: () => {}, error: () => {} },
    wake: () => {},
    leaseMs
  })
  t.teardown(() => delivery.close())
  const td: TriggeredDeployment = {
    project: 'podtato', stage: 'dev', service: 'helloservice', triggeredId: 'lost', keptnContext: 'ctx', image: 'app:v9', receivedAt: 1000, deadline: 1e12
  }
  await store.addTriggered(td, 60_000, 1000)
  delivery.onTriggered(td)
  await delivery.close()
  t.equal(await remote.count(), 1, 'nothing pushed')
  const [pending] = (await store.snapshot(1)).pending
  t.equal(pending?.commit, undefined, 'still pending, waiting for no commit of this writer')
  t.ok(logger.lines.some(l => l.level === 'warn' && /claim ran out/.test(l.msg)), 'said why')
  t.equal(await store.renewGitWrite(td, 'another-replica', leaseMs, now), true, 'the claim is still the other replica\'s')
})
