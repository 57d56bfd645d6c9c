import t from 'tap'
import { fileURLToPath } from 'node:url'
import { fileResolver, loadMappingFile, MappingFileError, parseMappingRules } from '../../../app/core/mapping/mapping-file.js'
import type { MappingInput } from '../../../app/core/mapping/types.js'

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/mapping/${name}`, import.meta.url))
const obj = (kind: string, namespace: string, name: string): MappingInput => ({ object: { kind, namespace, name }, metadata: {} })
const resolverFor = (text: string) => fileResolver(parseMappingRules(text, 'mapping.yaml'))

t.test('Keptn helm-service naming: namespace {project}-{stage}, release {service}', async t => {
  const resolver = fileResolver(loadMappingFile(fixture('helm-service.yaml')))
  t.same(resolver.resolve(obj('HelmRelease', 'podtato-dev', 'helloservice')), { project: 'podtato', stage: 'dev', service: 'helloservice', via: 'file' })
  t.same(resolver.resolve(obj('HelmRelease', 'podtato-prod-eu', 'helloservice')), { project: 'podtato', stage: 'prod-eu', service: 'helloservice', via: 'file' }, 'the first - splits project from stage')
  t.equal(resolver.resolve(obj('helmrelease', 'podtato-dev', 'helloservice')), undefined, 'kind is matched case-sensitively')
})

t.test('a * wildcard with fixed values and a sequence', async t => {
  const resolver = fileResolver(loadMappingFile(fixture('helm-service.yaml')))
  const podtato = { project: 'podtato', stage: 'dev', service: 'helloservice', sequence: 'evaluation', via: 'file' }
  t.same(resolver.resolve(obj('Kustomization', 'flux-system', 'podtato-frontend')), podtato)
  t.same(resolver.resolve(obj('Kustomization', 'flux-system', 'podtato-')), podtato, '* matches nothing too')
  t.equal(resolver.resolve(obj('Kustomization', 'flux-system', 'other')), undefined, 'no rule matches: no answer')
})

t.test('the first rule that matches and yields all three wins', async t => {
  const resolver = resolverFor(`rules:
  - match: { name: "cart" }
    project: shop
    stage: dev
    service: cart
  - match: { name: "{service}" }
    project: fallback
    stage: prod
`)
  t.match(resolver.resolve(obj('HelmRelease', 'x', 'cart')), { project: 'shop' })
  t.match(resolver.resolve(obj('HelmRelease', 'x', 'orders')), { project: 'fallback', service: 'orders' })
})

t.test('a capture that is no Keptn name makes the rule fall through to the next', async t => {
  const resolver = resolverFor(`rules:
  - match: { namespace: "{project}-{stage}", name: "{service}" }
  - match: { name: "*" }
    project: catch-all
    stage: dev
    service: unknown
`)
  t.match(resolver.resolve(obj('HelmRelease', 'Shop-dev', 'cart')), { project: 'catch-all' }, 'upper case project')
  t.match(resolver.resolve(obj('HelmRelease', 'shop-dev', 'cart_v2')), { project: 'catch-all' }, 'underscore in service')
  t.match(resolver.resolve(obj('HelmRelease', 'shop-dev', 'cart')), { project: 'shop' })
})

t.test('a fixed value wins over a capture of the same field', async t => {
  const resolver = resolverFor('rules:\n  - match: { namespace: "{project}-{stage}", name: "{service}" }\n    stage: production\n')
  t.same(resolver.resolve(obj('HelmRelease', 'shop-Staging', 'cart')), { project: 'shop', stage: 'production', service: 'cart', via: 'file' })
})

t.test('a placeholder used in two fields must capture the same text in both', async t => {
  const resolver = resolverFor('rules:\n  - match: { namespace: "{project}-{stage}", name: "{project}-{service}" }\n')
  t.same(resolver.resolve(obj('HelmRelease', 'shop-dev', 'shop-cart')), { project: 'shop', stage: 'dev', service: 'cart', via: 'file' })
  t.equal(resolver.resolve(obj('HelmRelease', 'shop-dev', 'blog-cart')), undefined)
})

t.test('a bad file names the line and the reason', async t => {
  const good = '  - match: { name: "{service}" }\n    project: a\n    stage: b\n'
  const cases: Array<[string, string, string]> = [
    ['YAML syntax', 'rules:\n  - match: { name: "x"\n', 'mapping.yaml:3: not valid YAML'],
    ['empty file', '', 'mapping.yaml:1: expected a map with a `rules:` list'],
    ['top-level typo', '# mapping\nrule:\n' + good, 'mapping.yaml:2: unknown key "rule" (the file holds only `rules:`)'],
    ['rules not a list', 'rules:\n  match: { name: x }\n', 'mapping.yaml:2: `rules:` must be a list of rules'],
    ['rules empty', 'rules:\n', 'mapping.yaml:1: `rules:` must be a list of rules'],
    ['rule not a map', 'rules:\n' + good + '  - podtato\n', 'mapping.yaml:5: rule 2 must be a map with a `match:`'],
    ['rule without match', 'rules:\n' + good + '  - project: a\n    stage: b\n    service: c\n', 'mapping.yaml:5: rule 2 has no `match:`'],
    ['match not a map', 'rules:\n  - match: HelmRelease\n    project: a\n    stage: b\n    service: c\n', 'mapping.yaml:2: rule 1: `match:` must be a map of kind, namespace, name'],
    ['typo in a rule', 'rules:\n' + good + '  - match: { name: x }\n    project: a\n    stage: b\n    servce: c\n', 'mapping.yaml:8: rule 2: unknown key "servce" (allowed: match, project, stage, service, sequence)'],
    ['typo in match', 'rules:\n  - match:\n      kind: HelmRelease\n      nmae: "{service}"\n    project: a\n    stage: b\n', 'mapping.yaml:4: rule 1: unknown match key "nmae" (allowed: kind, namespace, name)'],
    ['unknown placeholder', 'rules:\n  - match:\n      namespace: "{team}-{stage}"\n      name: "{service}"\n    project: a\n', 'mapping.yaml:3: rule 1: match.namespace: unknown placeholder {team}'],
    ['can never give a stage', 'rules:\n' + good + '  - match: { name: "{service}" }\n    project: a\n', 'mapping.yaml:5: rule 2 can never give a stage: capture {stage} in match or set stage:'],
    ['fixed value no Keptn name', 'rules:\n  - match: { name: x }\n    project: My_Project\n    stage: b\n    service: c\n', 'mapping.yaml:3: rule 1: project must be a Keptn name'],
    ['pattern not a string', 'rules:\n  - match: { name: 2024 }\n    project: a\n    stage: b\n    service: c\n', 'mapping.yaml:2: rule 1: match.name must be a non-empty string (quote numbers)']
  ]
  for (const [what, text, message] of cases) {
    const err = t.throws(() => parseMappingRules(text, 'mapping.yaml'), MappingFileError, what) as MappingFileError
    t.ok(err.message.startsWith(message), `${what}: ${err.message}`)
    t.equal(err.code, 'MAPPING_FILE_INVALID')
  }
})

t.test('loadMappingFile names the file it could not use', async t => {
  t.throws(() => loadMappingFile(fixture('typo.yaml')), { message: `${fixture('typo.yaml')}:6: rule 2: unknown key "servce" (allowed: match, project, stage, service, sequence)` })
  t.throws(() => loadMappingFile(fixture('missing.yaml')), { message: `${fixture('missing.yaml')}: cannot read: ENOENT` })
  t.equal(loadMappingFile(fixture('helm-service.yaml')).length, 2)
})
