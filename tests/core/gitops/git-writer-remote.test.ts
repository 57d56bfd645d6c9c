import { createHmac } from 'node:crypto'
import { once } from 'node:events'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { createServer as createHttpServer, type IncomingMessage } from 'node:http'
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { createGitWriter, type GitChange, type GitWriterOptions } from '../../../app/core/gitops/git-writer.js'
import { gitAuthEnv } from '../../../app/core/gitops/git.js'
import type { ResolvedTarget } from '../../../app/core/gitops/targets.js'
import { createRemote, helloRelease, recordingLogger, serveGitHttp, tempDir, type Teardown } from './fixture.js'

const token = 'ghp_s3cr3tT0kenValue1234567890'
const basic = `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`

const target = (repo: string): ResolvedTarget => ({
  project: 'podtato',
  stage: 'dev',
  service: 'helloservice',
  repo,
  branch: 'main',
  file: 'apps/dev/helloservice.yaml',
  path: 'spec.values.image.tag',
  write: 'tag',
  index: 0
})
const change: GitChange = {
  project: 'podtato',
  stage: 'dev',
  service: 'helloservice',
  image: 'ghcr.io/podtato-head/podtato-server:v0.3.2',
  keptnContext: 'ctx-1',
  triggeredId: 'tid-1'
}

async function writerFor (t: Teardown, over: Partial<GitWriterOptions> = {}) {
  const workDir = await tempDir(t, 'kgb-work-')
  const logger = recordingLogger()
  const writer = createGitWriter({ workDir, logger, retryDelayMs: 20, ...over })
  t.teardown(() => writer.close())
  return Object.assign(writer, { workDir, logger })
}

async function tokenFile (t: Teardown, value: string): Promise<string> {
  const file = join(await tempDir(t, 'kgb-secret-'), 'token')
  await writeFile(file, value + '\n')
  return file
}

t.test('over HTTPS-style remotes the token is sent per command and never stored', async t => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease })
  const server = await serveGitHttp(t, remote.root, basic)
  const writer = await writerFor(t, { tokenFile: await tokenFile(t, token) })
  const result = await writer.write(target(`${server.url}/remote.git`), change)
  t.same(result, { changed: true, commit: await remote.head() })
  t.ok(server.authorizations.length > 0 && server.authorizations.every(a => a === basic), 'every request carried the token')
  const [clone] = await readdir(writer.workDir)
  const config = await readFile(join(writer.workDir, clone as string, '.git', 'config'), 'utf8')
  t.notMatch(config, token)
  t.notMatch(config, basic.slice(6))
  t.notMatch(config, /extraheader/i)
})

t.test('a rejected token fails with a GitWriteError that does not reveal it', async t => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease })
  const server = await serveGitHttp(t, remote.root, basic)
  const writer = await writerFor(t, { tokenFile: await tokenFile(t, 'bridge:wrong-' + token) })
  const err = await writer.write(target(`${server.url}/remote.git`), change).then(() => new Error('resolved'), (e: Error) => e)
  t.match(err, { name: 'GitWriteError', message: /git clone failed.*check GIT_TOKEN_FILE/ })
  t.notMatch(err.message, token)
  t.notMatch(JSON.stringify(writer.logger.lines), token)
  t.equal(await remote.count(), 1)
})

t.test('credentials in a URL are redacted from error messages', async t => {
  const writer = await writerFor(t, { commandTimeoutMs: 10_000 })
  const err = await writer.write(target('http://bridge:hunter2secret@127.0.0.1:9/x.git'), change).then(() => new Error('resolved'), (e: Error) => e)
  t.match(err, { name: 'GitWriteError', message: /http:\/\/\*\*\*@127\.0\.0\.1:9/ })
  t.notMatch(err.message, 'hunter2secret')
})

t.test('an unreachable remote fails fast with a GitWriteError', async t => {
  const writer = await writerFor(t, { commandTimeoutMs: 10_000 })
  await t.rejects(writer.write(target('file:///nonexistent/deploy.git'), change), { name: 'GitWriteError', message: /git clone failed/ })
  const closed = createTcpServer()
  closed.listen(0, '127.0.0.1')
  await once(closed, 'listening')
  const port = (closed.address() as AddressInfo).port
  closed.close()
  await t.rejects(writer.write(target(`http://127.0.0.1:${port}/deploy.git`), change), { name: 'GitWriteError', message: /Failed to connect|Couldn't connect/ })
})

t.test('a remote that never answers is given up on after the command timeout', async t => {
  const sockets = new Set<Socket>()
  const silent = createTcpServer(socket => { sockets.add(socket) })
  silent.listen(0, '127.0.0.1')
  await once(silent, 'listening')
  t.teardown(() => { for (const s of sockets) s.destroy(); silent.close() })
  const writer = await writerFor(t, { commandTimeoutMs: 800 })
  const started = Date.now()
  await t.rejects(writer.write(target(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/deploy.git`), change), {
    name: 'GitWriteError', message: /git clone timed out after 800 ms/
  })
  t.ok(Date.now() - started < 5000, `gave up after ${Date.now() - started} ms`)
})

async function receiver (t: Teardown, status = 200) {
  const requests: Array<{ req: IncomingMessage, body: string }> = []
  let arrived: () => void = () => {}
  const got = new Promise<void>(resolve => { arrived = resolve })
  const server = createHttpServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += String(chunk)
    requests.push({ req, body })
    res.writeHead(status).end()
    arrived()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/abc`, requests, got }
}

t.test('after a push, a generic-hmac Flux Receiver is nudged with a valid signature', async t => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease })
  const hook = await receiver(t)
  const writer = await writerFor(t, { receiver: { url: hook.url, token: 'receiver-token' } })
  await writer.write(target(remote.url), change)
  await hook.got
  const [{ req, body }] = hook.requests as [{ req: IncomingMessage, body: string }]
  t.equal(req.method, 'POST')
  t.equal(req.url, '/hook/abc')
  t.equal(body, '{}')
  t.equal(req.headers['x-signature'], `sha256=${createHmac('sha256', 'receiver-token').update(body).digest('hex')}`)
})

t.test('a generic Receiver gets an unsigned nudge, and none when nothing changed', async t => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease })
  const hook = await receiver(t)
  const writer = await writerFor(t, { receiver: { url: hook.url } })
  await writer.write(target(remote.url), change)
  await hook.got
  t.equal(hook.requests[0]?.req.headers['x-signature'], undefined)
  await writer.write(target(remote.url), { ...change, triggeredId: 'another-deployment-of-the-same-image' })
  await writer.close()
  t.equal(hook.requests.length, 1)
})

t.test('a failing nudge is logged and does not fail the write', async t => {
  const remote = await createRemote(t, { 'apps/dev/helloservice.yaml': helloRelease })
  const hook = await receiver(t, 500)
  const writer = await writerFor(t, { receiver: { url: hook.url, token: 'receiver-token' } })
  t.equal((await writer.write(target(remote.url), change)).changed, true)
  await writer.close()
  t.match(writer.logger.lines, [{ level: 'info' }, { level: 'warn', msg: 'Flux receiver nudge failed', obj: { err: /500/ } }])
  t.notMatch(JSON.stringify(writer.logger.lines), 'hook/abc')
})

t.test('an SSH key is passed per command with host key checks that never prompt', async t => {
  const { env } = gitAuthEnv({ repo: 'ssh://git@example.com/r.git', token, sshKeyFile: "/keys/it's id" })
  t.equal(env.GIT_SSH_COMMAND,
    "ssh -i '/keys/it'\\''s id' -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o BatchMode=yes -o ConnectTimeout=15")
  t.equal(env.GIT_CONFIG_COUNT, undefined, 'the HTTPS token is not offered to an ssh remote')
})
