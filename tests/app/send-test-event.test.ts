import t from 'tap'
import { fileURLToPath } from 'node:url'
import { build, hmacKey } from '../helpers/app.js'
import { runToExit } from '../helpers/process.js'
import { optionsFromArgs, sendTestEvent } from '../../app/send-test-event.js'

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
  t.match(o, { key: 'k1', token: 'tok', namespace: 'shop-prod', name: 'cart', kind: 'HelmRelease', url: 'http://localhost:8080/hooks/flux' })
})

t.test('as a command: exit code 0 on 2xx, 1 otherwise, usage on --help', async t => {
  const app = await build(t)
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const script = fileURLToPath(new URL('../../dist/app/send-test-event.js', import.meta.url))
  const run = async (args: string[]) => {
    const { code, stdout, stderr } = await runToExit(script, args)
    return { code, out: stdout + stderr }
  }
  const sent = await run(['--url', `${address}/hooks/flux`, '--key', hmacKey, '--reason', 'UpgradeFailed'])
  t.equal(sent.code, 0)
  t.match(sent.out, /^200 .*no pending deployment/)
  t.equal((await run(['--url', `${address}/hooks/flux`, '--key', 'wrong'])).code, 1)
  t.match((await run(['--help'])).out, /sign and send a realistic Flux event/)
  t.equal((await run(['--bogus'])).code, 2)
})
