import t from 'tap'
import { resolverChain } from '../../../app/core/mapping/chain.js'
import { fileResolver, parseMappingRules } from '../../../app/core/mapping/mapping-file.js'
import { labelsResolver } from '../../../app/core/mapping/labels-resolver.js'
import { metadataResolver } from '../../../app/core/mapping/metadata-resolver.js'
import type { MappingInput, Resolver } from '../../../app/core/mapping/types.js'

const file = fileResolver(parseMappingRules('rules:\n  - match: { kind: HelmRelease, namespace: "{project}-{stage}", name: "{service}" }\n', 'mapping.yaml'))
const helmRelease = (metadata: Record<string, string> = {}): MappingInput => ({ object: { kind: 'HelmRelease', namespace: 'shop-dev', name: 'cart' }, metadata })

function recorder () {
  const warnings: Array<{ obj: Record<string, unknown>, msg: string }> = []
  return { warnings, logger: { warn: (obj: object, msg: string) => { warnings.push({ obj: obj as Record<string, unknown>, msg }) } } }
}

t.test('event metadata wins over the mapping file', async t => {
  const chain = resolverChain([metadataResolver(), file])
  t.same(await chain.resolve(helmRelease({ 'keptn-project': 'podtato', 'keptn-stage': 'prod', 'keptn-service': 'helloservice' })),
    { project: 'podtato', stage: 'prod', service: 'helloservice', via: 'metadata' })
})

t.test('partial metadata (only a project) falls through to the mapping file', async t => {
  const chain = resolverChain([metadataResolver(), file])
  t.same(await chain.resolve(helmRelease({ 'keptn-project': 'podtato' })), { project: 'shop', stage: 'dev', service: 'cart', via: 'file' })
})

t.test('payload labels with custom keys answer before metadata', async t => {
  const chain = resolverChain([labelsResolver({ project: 'team/project', stage: 'team/stage', service: 'team/service' }), metadataResolver(), file])
  const input = { ...helmRelease({ 'keptn-project': 'meta', 'keptn-stage': 'm', 'keptn-service': 'm' }), labels: { 'team/project': 'x', 'team/stage': 'y', 'team/service': 'z' } }
  t.same(await chain.resolve(input), { project: 'x', stage: 'y', service: 'z', via: 'labels' })
})

t.test('a throwing or rejecting resolver is logged and skipped', async t => {
  const { warnings, logger } = recorder()
  const throws: Resolver = { name: 'kubernetes', resolve () { throw new Error('API exploded') } }
  const rejects: Resolver = { name: 'slow', resolve: async () => { throw new Error('timed out') } }
  const chain = resolverChain([metadataResolver(), throws, rejects, file], logger)
  t.same(await chain.resolve(helmRelease()), { project: 'shop', stage: 'dev', service: 'cart', via: 'file' })
  t.same(warnings.map(w => [w.obj.resolver, w.obj.err]), [['kubernetes', 'API exploded'], ['slow', 'timed out']])
  t.match(warnings[0], { obj: { object: { kind: 'HelmRelease', name: 'cart' } }, msg: /resolver failed/ })
  await chain.resolve(helmRelease({ 'keptn-project': 'a', 'keptn-stage': 'b', 'keptn-service': 'c' }))
  t.equal(warnings.length, 2, 'resolvers after the answer are not asked')
  t.same(await resolverChain([throws]).resolve(helmRelease()), undefined, 'no logger: still no failure')
})

t.test('async answers are awaited; incomplete answers pass on', async t => {
  const partial: Resolver = { name: 'partial', resolve: async () => ({ project: 'x', stage: '', service: 'z', via: 'partial' }) }
  const later: Resolver = { name: 'kubernetes', resolve: async () => ({ project: 'a', stage: 'b', service: 'c', via: 'kubernetes' }) }
  t.same(await resolverChain([partial, later, file]).resolve(helmRelease()), { project: 'a', stage: 'b', service: 'c', via: 'kubernetes' })
  t.equal(await resolverChain([partial]).resolve(helmRelease()), undefined)
  t.equal(await resolverChain([]).resolve(helmRelease()), undefined)
})
