import t from 'tap'
import { createMemoryStore } from '../../app/store/memory/memory-store.js'
import { storeBehaviour } from './store-behaviour.js'

storeBehaviour(t, async () => createMemoryStore())

t.test('a delivery is a duplicate inside its window and forgotten after it', async t => {
  const store = createMemoryStore()
  const finished = { status: 'succeeded' as const, result: 'pass' as const, message: 'm', deploymentNames: ['s'], source: 'flux', finishedAt: 0 }
  const key = { project: 'p', stage: 's', service: 'v' }
  for (let i = 0; i < 100; i++) await store.resolve({ key, deliveryId: `d${i}`, versions: [], finished, dedupeTtlMs: 1000, retentionMs: 1000, now: 1000 })
  t.same(await store.resolve({ key, deliveryId: 'd1', versions: [], finished, dedupeTtlMs: 1000, retentionMs: 1000, now: 1500 }), { status: 'duplicate' }, 'still a duplicate inside its window')
  t.same(await store.resolve({ key, deliveryId: 'd2', versions: [], finished, dedupeTtlMs: 1000, retentionMs: 1000, now: 120_000 }), { status: 'no-pending' }, 'forgotten after it')
})

t.test('a Git write claim is only for the record of that very service, as in Redis', async t => {
  const store = createMemoryStore()
  const td = { project: 'p', stage: 's', service: 'v', triggeredId: 'g', keptnContext: 'c', image: 'app:v1', receivedAt: 0, deadline: 1e12 }
  await store.addTriggered(td, 60_000, 0)
  t.equal(await store.claimGitWrite({ ...td, service: 'other' }, 'writer', 1000, 0), undefined)
  t.ok(await store.claimGitWrite(td, 'writer', 1000, 0))
})
