import t from 'tap'
import { metadataResolver } from '../../../app/core/mapping/metadata-resolver.js'
import type { MappingInput } from '../../../app/core/mapping/types.js'

const flux = (metadata: Record<string, string>): MappingInput => ({ object: { kind: 'HelmRelease', namespace: 'shop-dev', name: 'cart' }, metadata })
const resolver = metadataResolver()

t.test('the keys Flux forwards from event.toolkit.fluxcd.io/keptn-* annotations, with an optional sequence', async t => {
  t.same(resolver.resolve(flux({ revision: '1.2.0', 'keptn-project': 'shop', 'keptn-stage': 'dev', 'keptn-service': 'cart', 'keptn-sequence': 'smoke-test' })),
    { project: 'shop', stage: 'dev', service: 'cart', via: 'metadata', sequence: 'smoke-test' })
})

t.test('fully prefixed and keptn.sh/* keys are accepted too, even mixed', async t => {
  t.same(resolver.resolve(flux({ 'event.toolkit.fluxcd.io/keptn-project': 'shop', 'event.toolkit.fluxcd.io/keptn-stage': 'dev', 'event.toolkit.fluxcd.io/keptn-service': 'cart' })),
    { project: 'shop', stage: 'dev', service: 'cart', via: 'metadata' })
  t.same(resolver.resolve(flux({ 'keptn.sh/project': 'shop', 'keptn.sh/stage': 'dev', 'keptn.sh/service': 'cart', 'keptn.sh/sequence': 'evaluation' })),
    { project: 'shop', stage: 'dev', service: 'cart', via: 'metadata', sequence: 'evaluation' })
  t.same(resolver.resolve(flux({ 'keptn-project': 'shop', 'keptn.sh/stage': 'dev', 'event.toolkit.fluxcd.io/keptn-service': 'cart' })),
    { project: 'shop', stage: 'dev', service: 'cart', via: 'metadata' })
})

t.test('the short key wins over the prefixed ones', async t => {
  t.match(resolver.resolve(flux({ 'keptn-project': 'alert', 'keptn.sh/project': 'annotation', 'keptn-stage': 'dev', 'keptn-service': 'cart' })), { project: 'alert' })
})

t.test('partial or invalid metadata is no answer', async t => {
  t.equal(resolver.resolve(flux({ 'keptn-project': 'shop' })), undefined)
  t.equal(resolver.resolve(flux({ 'keptn-project': 'shop', 'keptn-stage': 'Prod EU', 'keptn-service': 'cart' })), undefined)
  t.equal(resolver.resolve(flux({})), undefined)
})
