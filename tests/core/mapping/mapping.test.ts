import t from 'tap'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileResolver, loadMappingFile, MappingFileError, parseMappingRules } from '../../../app/core/mapping/mapping-file.js'
import { metadataResolver } from '../../../app/core/mapping/metadata-resolver.js'
import { labelsResolver } from '../../../app/core/mapping/labels-resolver.js'
import { resolverChain } from '../../../app/core/mapping/chain.js'
import type { MappingInput } from '../../../app/core/mapping/types.js'

const input = (kind: string, namespace: string, name: string, metadata: Record<string, string> = {}, labels?: Record<string, string>): MappingInput =>
  ({ object: { kind, namespace, name }, metadata, labels })

const rules = (text: string) => fileResolver(parseMappingRules(text, 'mapping.yaml'))

t.test('Keptn helm-service naming: namespace {project}-{stage}, release {service}', async t => {
  const resolver = rules('rules:\n  - match: { kind: HelmRelease, namespace: "{project}-{stage}", name: "{service}" }\n')
  t.same(resolver.resolve(input('HelmRelease', 'podtato-dev', 'helloservice')), { project: 'podtato', stage: 'dev', service: 'helloservice', via: 'file' })
  t.same(resolver.resolve(input('HelmRelease', 'podtato-prod-eu', 'helloservice')), { project: 'podtato', stage: 'prod-eu', service: 'helloservice', via: 'file' }, 'lazy left to right')
  t.equal(resolver.resolve(input('Kustomization', 'podtato-dev', 'helloservice')), undefined, 'kind must match')
  t.equal(resolver.resolve(input('HelmRelease', 'Podtato_Dev', 'x')), undefined, 'a capture that is no Keptn name does not match')
})

t.test('wildcards, fixed values and the first matching rule', async t => {
  const resolver = rules(`rules:
  - match: { kind: Kustomization, name: "podtato-*" }
    project: podtato
    stage: dev
    service: helloservice
    sequence: evaluation
  - match: { name: "{service}", namespace: "*" }
    project: fallback
    stage: prod
`)
  t.same(resolver.resolve(input('Kustomization', 'flux-system', 'podtato-dev')), { project: 'podtato', stage: 'dev', service: 'helloservice', via: 'file', sequence: 'evaluation' })
  t.same(resolver.resolve(input('HelmRelease', 'any', 'cart')), { project: 'fallback', stage: 'prod', service: 'cart', via: 'file' })
})

t.test('a capture used twice must match the same text', async t => {
  const resolver = rules('rules:\n  - match: { namespace: "{project}-{stage}", name: "{project}-{service}" }\n')
  t.same(resolver.resolve(input('HelmRelease', 'shop-dev', 'shop-cart')), { project: 'shop', stage: 'dev', service: 'cart', via: 'file' })
  t.equal(resolver.resolve(input('HelmRelease', 'shop-dev', 'other-cart')), undefined)
})

t.test('a bad file stops start-up with the line and the reason', async t => {
  const cases: Array<[string, RegExp]> = [
    ['rules: [', /mapping\.yaml:\d+: not valid YAML/],
    ['rule: []', /mapping\.yaml:1: `rules:` must be a list/],
    ['rules:\n  - kind: HelmRelease\n', /mapping\.yaml:2: rule 1: unknown key "kind"/],
    ['rules:\n  - project: a\n    stage: b\n    service: c\n', /mapping\.yaml:2: rule 1 needs a `match:` map/],
    ['rules:\n  - match: { kind: X, nmae: "{service}" }\n    project: a\n    stage: b\n', /mapping\.yaml:2: rule 1: unknown match key "nmae"/],
    ['rules:\n  - match: { name: "{team}" }\n', /rule 1: match\.name: unknown placeholder \{team\}/],
    ['rules:\n  - match: { name: "{service}" }\n    project: a\n', /mapping\.yaml:2: rule 1 can never give a stage/],
    ['rules:\n  - match: { name: "x" }\n    project: Not_A_Name\n    stage: b\n    service: c\n', /mapping\.yaml:3: rule 1: project must be a Keptn name/],
    ['rules:\n  - "just a string"\n', /rule 1 must be a map/],
    ['rules:\n  - match: { name: 3 }\n    project: a\n    stage: b\n    service: c\n', /match\.name must be a non-empty string/]
  ]
  for (const [text, message] of cases) t.throws(() => parseMappingRules(text, 'mapping.yaml'), message, JSON.stringify(text))
  t.throws(() => loadMappingFile('/nonexistent/mapping.yaml'), new MappingFileError('/nonexistent/mapping.yaml: cannot read: ENOENT'))
  const dir = mkdtempSync(join(tmpdir(), 'kgb-mapping-'))
  writeFileSync(join(dir, 'ok.yaml'), 'rules:\n  - match: { name: "{service}" }\n    project: a\n    stage: b\n')
  t.equal(loadMappingFile(join(dir, 'ok.yaml')).length, 1)
})

t.test('metadata: the short keys Flux forwards, the fully prefixed keys, an optional sequence', async t => {
  const resolver = metadataResolver()
  t.same(resolver.resolve(input('HelmRelease', 'ns', 'n', { 'keptn-project': 'p', 'keptn-stage': 's', 'keptn-service': 'svc', 'keptn-sequence': 'smoke' })),
    { project: 'p', stage: 's', service: 'svc', via: 'metadata', sequence: 'smoke' })
  t.same(resolver.resolve(input('HelmRelease', 'ns', 'n', { 'event.toolkit.fluxcd.io/keptn-project': 'p', 'event.toolkit.fluxcd.io/keptn-stage': 's', 'event.toolkit.fluxcd.io/keptn-service': 'svc' })),
    { project: 'p', stage: 's', service: 'svc', via: 'metadata' })
  t.equal(resolver.resolve(input('HelmRelease', 'ns', 'n', { 'keptn-project': 'p' })), undefined, 'partial metadata is no answer')
})

t.test('the chain: first complete answer wins, partial metadata falls through, a failing resolver is skipped and logged', async t => {
  const warnings: string[] = []
  const chain = resolverChain([
    labelsResolver({ project: 'team/project', stage: 'team/stage', service: 'team/service' }),
    metadataResolver(),
    { name: 'broken', resolve () { throw new Error('API exploded') } },
    rules('rules:\n  - match: { namespace: "{project}-{stage}", name: "{service}" }\n')
  ], { warn: (obj, msg) => warnings.push(`${msg} ${JSON.stringify(obj)}`) })
  t.match(await chain.resolve(input('Application', 'a-b', 'c', {}, { 'team/project': 'x', 'team/stage': 'y', 'team/service': 'z' })), { project: 'x', via: 'labels' })
  t.match(await chain.resolve(input('HelmRelease', 'a-b', 'c', { 'keptn-project': 'meta', 'keptn-stage': 'm', 'keptn-service': 'm' })), { project: 'meta', via: 'metadata' })
  t.match(await chain.resolve(input('HelmRelease', 'a-b', 'c', { 'keptn-project': 'only' })), { project: 'a', stage: 'b', service: 'c', via: 'file' })
  t.equal(warnings.length, 1, 'only the lookup that reached the broken resolver logged')
  t.match(warnings[0], /API exploded/)
  t.equal(await resolverChain([]).resolve(input('X', 'y', 'z')), undefined)
})
