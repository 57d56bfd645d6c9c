import t from 'tap'
import { readFileSync } from 'node:fs'
import { createHmac } from 'node:crypto'
import { build, hmacKey, logCapture } from '../helpers/app.js'
import { signBody } from '../../app/core/auth.js'

// Flux's own HMAC test vector: the key comes from fluxcd/notification-controller's
// internal/notifier/forwarder_test.go; the body bytes are kept in tests/fixtures/flux.
const vectorBody = readFileSync(new URL('../fixtures/flux/signature-vector.body.json', import.meta.url))
const vectorKey = '7152fed34dd6149a7c75a276c510da27cb6f82b0'
const vectorSignature = 'sha256=65b018549b1254e7226d1c08f9567ee45bc9de0fc4e7b1a40253f9a018b08be7'

function fluxEvent (over: Record<string, unknown> = {}) {
  return {
    involvedObject: { kind: 'HelmRelease', namespace: 'podtato-dev', name: 'helloservice' },
    severity: 'info',
    timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    message: 'Helm upgrade succeeded for release podtato-dev/helloservice.v2 with chart podtato-head@0.3.2',
    reason: 'UpgradeSucceeded',
    reportingController: 'helm-controller',
    ...over
  }
}

const post = (body: Buffer | string, headers: Record<string, string> = {}) => ({
  method: 'POST' as const,
  url: '/hooks/flux',
  headers: { 'content-type': 'application/json', ...headers },
  payload: body
})

const signed = (body: Buffer | string, key = hmacKey, algorithm = 'sha256') => post(body, { 'x-signature': signBody(body, key, algorithm) })

t.test("Flux's signature vector is accepted byte for byte", async t => {
  // The vector dates from 2022: the age check would (rightly) call it stale.
  const app = await build(t, { FLUX_HMAC_KEYS: vectorKey, MAX_EVENT_AGE: '0' })
  const res = await app.inject(post(vectorBody, { 'x-signature': vectorSignature }))
  t.equal(res.statusCode, 200)
  t.match(res.json(), { status: 'ignored', reason: /not a deployment outcome/ })
})

t.test('a flipped byte, a wrong key, a missing or garbage header all get 401 with no hint which', async t => {
  const app = await build(t, { FLUX_HMAC_KEYS: vectorKey })
  const flipped = Buffer.from(vectorBody)
  flipped[10] = flipped[10]! ^ 1
  const attempts = [
    post(flipped, { 'x-signature': vectorSignature }),
    signed(vectorBody, 'another-key-entirely-0123456789abcdef'),
    post(vectorBody),
    post(vectorBody, { 'x-signature': 'garbage' }),
    post(vectorBody, { 'x-signature': 'sha256=' + 'zz'.repeat(32) }),
    post(vectorBody, { 'x-signature': vectorSignature.slice(0, -2) }),
    post(vectorBody, { 'x-signature': 'md5=' + createHmac('md5', vectorKey).update(vectorBody).digest('hex') }),
    post(vectorBody, { 'x-signature': vectorSignature.replace('sha256', 'sha512') })
  ]
  for (const request of attempts) {
    const res = await app.inject(request)
    t.equal(res.statusCode, 401, String((request.headers as Record<string, string>)['x-signature']))
    t.equal(res.json().message, 'missing, malformed or wrong credentials')
  }
  t.match((await app.inject('/metrics')).body, `kgb_events_received_total{source="flux",reason="http-401",result="rejected"} ${attempts.length}`)
})

t.test('sha224, sha256, sha384 and sha512 signatures are each accepted', async t => {
  const app = await build(t)
  const body = JSON.stringify(fluxEvent({ reason: 'Progressing' }))
  for (const algorithm of ['sha224', 'sha256', 'sha384', 'sha512']) {
    const res = await app.inject(signed(body, hmacKey, algorithm))
    t.equal(res.statusCode, 200, algorithm)
  }
  const upper = signBody(body, hmacKey).toUpperCase().replace('SHA256', 'sha256')
  t.equal((await app.inject(post(body, { 'x-signature': upper }))).statusCode, 200, 'hex case does not matter')
})

t.test('key rotation: every configured key is accepted, a removed one is not', async t => {
  const app = await build(t, { FLUX_HMAC_KEYS: 'old-key-0123456789abcdef0123456789,new-key-0123456789abcdef0123456789' })
  const body = JSON.stringify(fluxEvent({ reason: 'Progressing' }))
  t.equal((await app.inject(signed(body, 'old-key-0123456789abcdef0123456789'))).statusCode, 200)
  t.equal((await app.inject(signed(body, 'new-key-0123456789abcdef0123456789'))).statusCode, 200)
  t.equal((await app.inject(signed(body, hmacKey))).statusCode, 401)
})

t.test('key rotation: spaces around the commas are not part of a key', async t => {
  const app = await build(t, { FLUX_HMAC_KEYS: 'old-key-0123456789abcdef0123456789, new-key-0123456789abcdef0123456789 ,' })
  const body = JSON.stringify(fluxEvent({ reason: 'Progressing' }))
  t.equal((await app.inject(signed(body, 'old-key-0123456789abcdef0123456789'))).statusCode, 200)
  t.equal((await app.inject(signed(body, 'new-key-0123456789abcdef0123456789'))).statusCode, 200)
})

t.test('a Secret made --from-file signs with its trailing newline on some Flux versions: accepted either way', async t => {
  const key = 'from-file-key-0123456789abcdef0123456789'
  const body = JSON.stringify(fluxEvent({ reason: 'Progressing' }))
  for (const configured of [key, `${key}\n`]) {
    const app = await build(t, { FLUX_HMAC_KEYS: configured })
    // notification-controller 1.7+ (raw token), 1.3-1.6 (trimmed), a CRLF file.
    for (const used of [`${key}\n`, key, `${key}\r\n`]) {
      t.equal((await app.inject(signed(body, used))).statusCode, 200, `configured ${JSON.stringify(configured)}, signed ${JSON.stringify(used)}`)
    }
    t.equal((await app.inject(signed(body, `${key}x`))).statusCode, 401, 'anything else is still refused')
    t.equal((await app.inject(signed(body, `${key}\n\n`))).statusCode, 401)
  }
})

t.test('a bearer token alone, and both together, are enforced', async t => {
  const token = 'bearer-token-0123456789'
  const body = JSON.stringify(fluxEvent({ reason: 'Progressing' }))
  const tokenOnly = await build(t, { FLUX_HMAC_KEYS: '', FLUX_WEBHOOK_TOKEN: token })
  t.equal((await tokenOnly.inject(post(body))).statusCode, 401)
  t.equal((await tokenOnly.inject(post(body, { authorization: 'Bearer wrong-token-0123456789' }))).statusCode, 401)
  t.equal((await tokenOnly.inject(post(body, { authorization: `Basic ${token}` }))).statusCode, 401)
  t.equal((await tokenOnly.inject(post(body, { authorization: `Bearer ${token}` }))).statusCode, 200)

  const both = await build(t, { FLUX_WEBHOOK_TOKEN: token })
  t.equal((await both.inject(signed(body))).statusCode, 401, 'signature without token')
  t.equal((await both.inject(post(body, { authorization: `Bearer ${token}` }))).statusCode, 401, 'token without signature')
  t.equal((await both.inject(post(body, { authorization: `Bearer ${token}`, 'x-signature': signBody(body, hmacKey) }))).statusCode, 200)
})

t.test('bad JSON and schema violations get 400 naming the problem; extra fields are fine', async t => {
  const app = await build(t)
  const bad = await app.inject(signed('{"involvedObject": '))
  t.equal(bad.statusCode, 400)
  t.match(bad.json().message, /not valid JSON/)

  const numberKind = JSON.stringify(fluxEvent({ involvedObject: { kind: 1, namespace: 'a', name: 'b' } }))
  const coerced = await app.inject(signed(numberKind))
  t.equal(coerced.statusCode, 400, 'a number is not quietly turned into a string')
  t.match(coerced.json().message, /\/involvedObject\/kind/)

  const noReason = fluxEvent()
  delete (noReason as Record<string, unknown>).reason
  const missing = await app.inject(signed(JSON.stringify(noReason)))
  t.equal(missing.statusCode, 400)
  t.match(missing.json().message, /\/reason/)

  const hugeRevision = await app.inject(signed(JSON.stringify(fluxEvent({ metadata: { revision: '1.'.repeat(40_000) + '1!@main' } }))))
  t.equal(hugeRevision.statusCode, 400, 'a metadata value over 4 KiB is refused')
  t.match(hugeRevision.json().message, /\/metadata\/revision/)

  const poisoned = await app.inject(signed('{"__proto__": {"admin": true}}'))
  t.equal(poisoned.statusCode, 400)

  const newer = await app.inject(signed(JSON.stringify(fluxEvent({ reason: 'Progressing', futureField: { nested: true } }))))
  t.equal(newer.statusCode, 200, 'unknown extra fields from newer Flux versions are accepted')
})

t.test('invalid UTF-8 is refused with 400 on every hook, never decoded lossily', async t => {
  const app = await build(t, { ARGOCD_WEBHOOK_TOKEN: 'argocd-token-0123456789' })
  const json = JSON.stringify(fluxEvent({ message: 'Helm upgrade succeeded XX' }))
  const bytes = Buffer.from(json)
  const at = bytes.indexOf('XX')
  bytes[at] = 0xc3
  bytes[at + 1] = 0x28 // not a continuation byte
  const flux = await app.inject(signed(bytes))
  t.equal(flux.statusCode, 400)
  t.match(flux.json().message, /not valid UTF-8/)
  const keptn = await app.inject({ method: 'POST', url: '/events/keptn', headers: { 'content-type': 'application/json' }, payload: Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xff]), Buffer.from('"}')]) })
  t.equal(keptn.statusCode, 400)
  t.match(keptn.json().message, /not valid UTF-8/)
  const argocd = await app.inject({ method: 'POST', url: '/hooks/argocd', headers: { 'content-type': 'application/json', authorization: 'Bearer argocd-token-0123456789' }, payload: Buffer.from([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d]) })
  t.equal(argocd.statusCode, 400, 'an encoded surrogate is not UTF-8 either')
  t.match(argocd.json().message, /not valid UTF-8/)
})

t.test('a POST with no body at all is a bad request, not a crash, on every hook', async t => {
  const app = await build(t, { ARGOCD_WEBHOOK_TOKEN: 'argocd-token-0123456789' })
  const empty = (url: string, headers: Record<string, string>) => app.inject({ method: 'POST', url, headers })
  const forged = await empty('/hooks/flux', { 'x-signature': 'sha256=' + 'ab'.repeat(32) })
  t.equal(forged.statusCode, 401, 'no body and a made-up signature: unauthorized')
  const signedEmpty = await empty('/hooks/flux', { 'x-signature': signBody('', hmacKey) })
  t.equal(signedEmpty.statusCode, 400, 'a correctly signed empty body is not JSON')
  t.match(signedEmpty.json().message, /not valid JSON/)
  const argo = await empty('/hooks/argocd', { authorization: 'Bearer argocd-token-0123456789' })
  t.equal(argo.statusCode, 400)
  t.match(argo.json().message, /not valid JSON: Unexpected end of JSON input/)
  const keptn = await empty('/events/keptn', {})
  t.equal(keptn.statusCode, 400)
  t.match(keptn.json().message, /not valid JSON: Unexpected end of JSON input/)
})

t.test('a 3 MiB event (legal for Flux) is accepted; a larger body gets 413; other content types 415', async t => {
  const app = await build(t)
  const large = JSON.stringify(fluxEvent({ reason: 'Progressing', message: 'x'.repeat(3 * 1024 * 1024 - 400) }))
  t.ok(Buffer.byteLength(large) > 3 * 1024 * 1024 - 1024)
  t.equal((await app.inject(signed(large))).statusCode, 200)

  const huge = JSON.stringify(fluxEvent({ message: 'x'.repeat(5 * 1024 * 1024) }))
  t.equal((await app.inject(signed(huge))).statusCode, 413)

  const body = JSON.stringify(fluxEvent())
  const text = await app.inject({ ...signed(body), headers: { 'content-type': 'text/plain', 'x-signature': signBody(body, hmacKey) } })
  t.equal(text.statusCode, 415)
  const charset = await app.inject({ ...signed(body), headers: { 'content-type': 'application/json; charset=utf-8', 'x-signature': signBody(body, hmacKey) } })
  t.ok(charset.statusCode < 300, 'application/json with a charset is JSON')
})

t.test('keys and tokens never appear in a log line, at any level', async t => {
  const logs = logCapture()
  const token = 'bearer-token-never-logged-0123'
  const app = await build(t, { LOG_LEVEL: 'trace', FLUX_WEBHOOK_TOKEN: token, KEPTN_API_URL: 'http://127.0.0.1:9/api', KEPTN_API_TOKEN: 'keptn-token-never-logged' }, { logDestination: logs.stream })
  const body = JSON.stringify(fluxEvent({ reason: 'Progressing' }))
  await app.inject(post(body, { authorization: `Bearer ${token}`, 'x-signature': signBody(body, hmacKey), 'x-token': 'keptn-token-never-logged' }))
  await app.inject(post(body, { authorization: `Bearer ${hmacKey}` }))
  app.log.error({ err: new Error(`failed with ${hmacKey} and ${token}`) }, `oops ${token}`)
  t.ok(logs.lines.length > 3, 'something was logged')
  for (const secret of [hmacKey, token, 'keptn-token-never-logged']) {
    t.notMatch(logs.text(), secret, 'no log line carries the secret')
  }
  t.match(logs.text(), /\[REDACTED\]/)
  t.match(logs.text(), /"reqId"/, 'requests are logged with a request id')
})

t.test('an open hook (no key, no token) works for a first try and says so loudly', async t => {
  const logs = logCapture()
  const app = await build(t, { FLUX_HMAC_KEYS: '', LOG_LEVEL: 'warn' }, { logDestination: logs.stream })
  const res = await app.inject(post(JSON.stringify(fluxEvent({ reason: 'Progressing' }))))
  t.equal(res.statusCode, 200)
  t.match(logs.text(), /\/hooks\/flux is OPEN/)
  t.match(logs.text(), /IN-MEMORY store/)
  t.match(logs.text(), /only LOGGED, never sent/)
})

t.test('a short HMAC key makes start-up warn', async t => {
  const logs = logCapture()
  await build(t, { FLUX_HMAC_KEYS: 'short-key', LOG_LEVEL: 'warn' }, { logDestination: logs.stream })
  t.match(logs.text(), /shorter than 32 bytes/)
  t.notMatch(logs.text(), /short-key/)
})
