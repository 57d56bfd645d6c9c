import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { build } from '../helpers/app.js'
import { withKeptnFake, makeTriggered, type KeptnFake, pushTriggered, ofType } from '../helpers/keptn-fake.js'
import type { KeptnCloudEvent } from '../../schemas/keptn-event.js'

// Argo CD Notifications, as Argo CD runs them, against the bridge: tests/peers/argocd builds
// argocd-notify, which loads deploy/argocd/argocd-notifications-cm.yaml with notifications-engine's
// own config parsing, evaluates its triggers with the engine's controller over Applications built
// with Argo CD's v1alpha1 types (oncePer state in the notified.notifications.argoproj.io annotation,
// kept between steps) and POSTs the rendered template with the engine's webhook service.
// Build first: bash tests/peers/argocd/build.sh (npm run test:peers does).

const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = join(root, 'tests/peers/.bin/argocd-notify')
if (!existsSync(bin)) throw new Error(`${bin} is missing: build it with \`bash tests/peers/argocd/build.sh\` (npm run test:peers does)`)

t.setTimeout(300_000)

const token = 'argocd-peer-token-0123456789'
const podtato = { project: 'podtato', stage: 'dev', service: 'helloservice' }
const image = 'ghcr.io/podtato-head/podtato-server'

interface Answer { trigger: string, status: number, body: Record<string, unknown> }
interface Report { step: string, description: string, skipped?: string, fired: string[], alreadyNotified: string[], answers: Answer[], errors: string[], notified: string }

// Asynchronous: the bridge answering the peer's webhook runs in this process.
async function notify (args: string[]) {
  try {
    const { stdout } = await promisify(execFile)(bin, args, { cwd: root, encoding: 'utf8', timeout: 90_000 })
    return JSON.parse(stdout) as unknown
  } catch (err) {
    throw new Error(`argocd-notify ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr ?? String(err)}`)
  }
}

// Rollouts of the example Application (podtato/dev/helloservice through its labels). Each starts
// with a Keptn deployment.triggered for the image it deploys; `done` is the step that must send
// exactly one notification, and what Keptn must then receive. Every other step sends nothing.
const rollouts = [
  { first: 'r1-running', tag: 'v0.3.2', done: 'r1-healthy', trigger: 'keptn-on-deployed', status: 'succeeded', result: 'pass' },
  { first: 'r2-running', tag: 'v0.3.3', done: 'r2-healthy', trigger: 'keptn-on-deployed', status: 'succeeded', result: 'pass' },
  { first: 'r3-running', tag: 'v0.3.4', done: 'r3-failed', trigger: 'keptn-on-sync-failed', status: 'errored', result: 'fail' },
  { first: 'r4-running', tag: 'v0.3.5', done: 'r4-degraded', trigger: 'keptn-on-health-degraded', status: 'errored', result: 'fail' }
]

async function trigger (app: FastifyInstance, fake: KeptnFake, tag: string): Promise<KeptnCloudEvent> {
  const ev = makeTriggered({ ...podtato, configurationChange: { values: { image: `${image}:${tag}` } } })
  const res = await app.inject(pushTriggered(fake, ev))
  if (res.statusCode >= 300) throw new Error(`/events/keptn answered ${res.statusCode}: ${res.body}`)
  return ev
}

withKeptnFake(t, 'each rollout is reported once, when it is done: Healthy, sync failed, Degraded', async (t, fake) => {
  const app = await build(t, { KEPTN_API_URL: fake.url, KEPTN_API_TOKEN: fake.token, KEPTN_POLL_INTERVAL: '0', ARGOCD_WEBHOOK_TOKEN: token })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const dir = mkdtempSync(join(tmpdir(), 'argocd-peer-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const state = join(dir, 'application.json')

  const steps = await notify(['-list']) as Array<{ step: string, description: string }>
  t.same(steps.filter(s => rollouts.some(r => r.first === s.step || r.done === s.step)).length, rollouts.length * 2, 'the peer knows every step named here')

  const triggered = new Map<string, KeptnCloudEvent>()
  let rollout: (typeof rollouts)[number] | undefined
  for (const { step, description } of steps) {
    const starting = rollouts.find(r => r.first === step)
    if (starting) {
      rollout = starting
      triggered.set(starting.tag, await trigger(app, fake, starting.tag))
    }
    const before = ofType(fake, 'finished').length
    const report = await notify(['-url', url, '-token', token, '-state', state, '-step', step]) as Report
    await t.test(`${step}: ${description}`, async t => {
      t.same(report.errors, [], 'no engine or delivery error')
      t.notOk(report.skipped, 'Argo CD\'s notification controller would evaluate this state')
      if (rollout?.done === step) {
        t.comment(`bridge answered: ${JSON.stringify(report.answers)}`)
        t.same(report.fired, [rollout.trigger], `${rollout.trigger} fires`)
        t.equal(report.answers.length, 1, 'one webhook request')
        t.match(report.answers[0], { trigger: rollout.trigger, status: 202, body: { status: 'accepted', ...podtato, triggeredId: triggered.get(rollout.tag)!.id } },
          'the bridge accepts it for this rollout\'s deployment')
        await fake.waitFor(f => ofType(f, 'finished').length === before + 1)
        const done = ofType(fake, 'finished').at(-1)!
        t.match(done, { triggeredid: triggered.get(rollout.tag)!.id, data: { ...podtato, status: rollout.status, result: rollout.result } },
          `Keptn receives ${rollout.status}/${rollout.result}`)
      } else {
        t.same(report.fired, [], 'nothing fires')
        t.same(report.answers, [], 'no webhook request: the bridge hears nothing')
        t.equal(ofType(fake, 'finished').length, before, 'no .finished')
      }
    })
  }

  for (const r of rollouts) {
    const mine = ofType(fake, 'finished').filter(e => e.triggeredid === triggered.get(r.tag)!.id)
    t.equal(mine.length, 1, `exactly one .finished for ${r.tag} (${r.status}/${r.result})`)
  }
  t.equal(ofType(fake, 'finished').length, rollouts.length, 'no other .finished')
})
