import t from 'tap'
import { labelsResolver, mappingFromLabels } from '../../../app/core/mapping/labels-resolver.js'
import type { MappingInput } from '../../../app/core/mapping/types.js'

const argo = (labels?: Record<string, string>): MappingInput => ({ object: { kind: 'Application', namespace: 'argocd', name: 'cart' }, metadata: {}, labels })

t.test('keptn.sh/* labels by default, with an optional sequence', async t => {
  const resolver = labelsResolver()
  t.same(resolver.resolve(argo({ 'keptn.sh/project': 'shop', 'keptn.sh/stage': 'dev', 'keptn.sh/service': 'cart', 'keptn.sh/sequence': 'smoke-test' })),
    { project: 'shop', stage: 'dev', service: 'cart', via: 'labels', sequence: 'smoke-test' })
  t.same(resolver.resolve(argo({ 'keptn.sh/project': 'shop', 'keptn.sh/stage': 'dev', 'keptn.sh/service': 'cart', 'app.kubernetes.io/name': 'cart' })),
    { project: 'shop', stage: 'dev', service: 'cart', via: 'labels' })
})

t.test('custom label keys replace the defaults', async t => {
  const resolver = labelsResolver({ project: 'team.io/project', stage: 'team.io/env', service: 'app.kubernetes.io/name' })
  t.same(resolver.resolve(argo({ 'team.io/project': 'shop', 'team.io/env': 'prod', 'app.kubernetes.io/name': 'cart' })),
    { project: 'shop', stage: 'prod', service: 'cart', via: 'labels' })
  t.equal(resolver.resolve(argo({ 'keptn.sh/project': 'shop', 'keptn.sh/stage': 'dev', 'keptn.sh/service': 'cart' })), undefined, 'the default keys no longer count')
})

t.test('no answer without labels, with a key missing, or with a value Keptn would refuse', async t => {
  const resolver = labelsResolver()
  t.equal(resolver.resolve(argo()), undefined, 'Flux payloads carry no labels')
  t.equal(resolver.resolve(argo({ 'keptn.sh/project': 'shop', 'keptn.sh/stage': 'dev' })), undefined)
  t.equal(resolver.resolve(argo({ 'keptn.sh/project': 'Shop', 'keptn.sh/stage': 'dev', 'keptn.sh/service': 'cart' })), undefined)
})

t.test('mappingFromLabels names the resolver it answers for and drops an invalid sequence', async t => {
  const keys = { project: 'p', stage: 's', service: 'v', sequence: 'q' }
  t.same(mappingFromLabels({ p: 'shop', s: 'dev', v: 'cart', q: 'Not Valid' }, keys, 'kubernetes'), { project: 'shop', stage: 'dev', service: 'cart', via: 'kubernetes' })
  t.equal(mappingFromLabels(undefined, keys, 'kubernetes'), undefined)
})
