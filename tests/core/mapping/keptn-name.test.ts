import t from 'tap'
import { isKeptnName, KEPTN_NAME_MAX } from '../../../app/core/mapping/keptn-name.js'

t.test('accepts what Keptn accepts for projects, stages and services', async t => {
  for (const name of ['p', 'podtato', 'prod-eu', 'hello-service2', 'a'.repeat(KEPTN_NAME_MAX)]) t.ok(isKeptnName(name), name)
})

t.test('refuses what Keptn would refuse', async t => {
  const bad = ['', 'Podtato', 'prod_eu', '2nd', '-dev', 'dev-', 'my.service', 'a b', 'a'.repeat(KEPTN_NAME_MAX + 1), undefined, 3]
  for (const name of bad) t.notOk(isKeptnName(name), JSON.stringify(name))
})
