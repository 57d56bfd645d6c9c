import t from 'tap'
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium } from 'playwright-core'
import { renderStatusPage } from '../../app/core/status-page.js'
import type { StoreSnapshot } from '../../app/core/store.js'
import type { TriggeredDeployment } from '../../app/core/types.js'

const chromiumPath = '/usr/bin/chromium'
const screenshot = '/tmp/kgb-status.png'
const now = Date.now()
const min = 60_000
const hostile = '<img src=x onerror=alert(1)>'

function td (service: string, n: number, ageMin: number, deadlineMin: number, over: Partial<TriggeredDeployment> = {}): TriggeredDeployment {
  return {
    project: 'webshop',
    stage: 'production',
    service,
    triggeredId: `7d1e${n}c2a-5b0e-4f7a-9a61-0c2f3e4d5a6${n}`,
    keptnContext: `c0ffee${n}0-1234-4abc-8def-00000000000${n}`,
    receivedAt: now - ageMin * min,
    deadline: now + deadlineMin * min,
    ...over
  }
}

const snapshot: StoreSnapshot = {
  pending: [
    td('carts', 1, 3.2, 11, { version: '2.4.1', commit: '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432' }),
    td('catalogue', 2, 42, -7, { version: '1.12.0' }),
    td('payment', 3, 0.5, 14.5, { commit: 'ab12cd3' })
  ],
  pendingCount: 3,
  recent: [
    { project: 'webshop', stage: 'production', service: 'orders', triggeredId: 't-ok', keptnContext: 'ctx-ok', kind: 'finished', status: 'succeeded', result: 'pass', revision: 'main@sha1:1a2b3c4d5e6f', message: 'HelmRelease webshop/orders upgraded to 3.1.0', at: now - 2 * min },
    { project: 'webshop', stage: 'staging', service: 'frontend', triggeredId: 't-fail', keptnContext: 'ctx-fail', kind: 'finished', status: 'errored', result: 'fail', revision: '0.9.3', message: `Argo CD sync failed: ${hostile}`, at: now - 6 * min },
    { project: 'webshop', stage: 'production', service: 'shipping', triggeredId: 't-late', keptnContext: 'ctx-late', kind: 'timeout', status: 'errored', result: 'fail', message: 'no deployment result before the deadline (15m)', at: now - 20 * min },
    { project: 'webshop', stage: 'dev', service: 'users', keptnContext: 'ctx-trig', kind: 'trigger', revision: 'v5.0.0', message: 'triggered dev.delivery', at: now - 65 * min }
  ],
  deadLetters: [{
    entry: { id: 'obx-4711', kind: 'started', pending: td('carts', 4, 90, -75) },
    attempts: [
      { at: now - 88 * min, status: 503, message: 'service unavailable' },
      { at: now - 80 * min, status: 401, message: 'invalid x-token for the Keptn API' }
    ],
    deadAt: now - 80 * min
  }],
  outboxDepth: 2
}

t.test('the status page renders readably in a real browser and hostile text stays text', async t => {
  if (!existsSync(chromiumPath)) {
    t.fail(`${chromiumPath} is missing: run \`apt-get install -y chromium\` to run the browser test`)
    return
  }
  const html = renderStatusPage(snapshot, { now, storeKind: 'redis', keptnMode: 'api', version: '0.1.0', refreshSeconds: 0 })
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(html)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => server.close(() => resolve())))
  const { port } = server.address() as AddressInfo

  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  const dialogs: string[] = []
  page.on('dialog', d => { dialogs.push(d.message()); d.dismiss().catch(() => {}) })
  const requests: string[] = []
  page.on('request', r => { requests.push(r.url()) })

  // networkidle gives an injected <img onerror> time to load, fail and fire its handler
  await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: 'networkidle' })
  await page.screenshot({ path: screenshot, fullPage: true })

  const rows = (section: string) => page.locator(`h2:has-text("${section}") + div tbody tr`)
  t.equal(await rows('Pending deployments').count(), 3, 'three pending rows')
  t.equal(await rows('Recent outcomes').count(), 4, 'four outcome rows')
  t.equal(await rows('Dead letters').count(), 1, 'one dead letter row')

  const text = await page.locator('body').innerText()
  t.match(text, `Argo CD sync failed: ${hostile}`, 'the hostile message is shown as plain text')
  t.equal(await page.locator('main img').count(), 0, 'no injected element')
  t.same(dialogs, [], 'no dialog fired')
  t.same(requests, [`http://127.0.0.1:${port}/`], 'no request beyond the page itself')

  const overdue = page.locator('tr.overdue')
  t.equal(await overdue.count(), 1)
  t.match(await overdue.innerText(), /catalogue[\s\S]*overdue 7m/)
  t.match(text, /carts[\s\S]*in 11m/)
  t.match(text, /invalid x-token for the Keptn API/)
  t.match(text, /HTTP 401/)
  t.match(text, /store redis/)
  t.match(text, /keptn api/)
  t.match(text, /outbox 2/)

  const width = await page.evaluate(() => document.documentElement.scrollWidth)
  t.ok(width <= 1280, `no horizontal scrolling at 1280px (page is ${width}px wide)`)
})
