import t from 'tap'
import { compilePattern, PatternError } from '../../../app/core/mapping/pattern.js'

t.test('captures are lazy, left to right: {project}-{stage} on podtato-prod-eu', async t => {
  const pattern = compilePattern('{project}-{stage}')
  t.same(pattern.captures, ['project', 'stage'])
  t.same(pattern.match('podtato-prod-eu'), { project: 'podtato', stage: 'prod-eu' })
  t.equal(pattern.match('podtato'), undefined, 'no separator, no match')
  t.equal(pattern.match('-dev'), undefined, 'a capture is never empty')
})

t.test('* matches any run of characters, including none', async t => {
  const pattern = compilePattern('podtato-*')
  t.same(pattern.match('podtato-'), {})
  t.same(pattern.match('podtato-dev.eu/1'), {})
  t.equal(pattern.match('xpodtato-dev'), undefined, 'anchored at both ends')
  t.same(compilePattern('*-{service}').match('apps-dev-cart'), { service: 'dev-cart' }, '* is lazy too')
})

t.test('everything else matches itself, case-sensitively', async t => {
  t.same(compilePattern('HelmRelease').match('HelmRelease'), {})
  t.equal(compilePattern('HelmRelease').match('helmrelease'), undefined)
  t.equal(compilePattern('a.b').match('axb'), undefined, 'a dot is no regex wildcard')
  t.same(compilePattern('a+(b)').match('a+(b)'), {})
})

t.test('a placeholder used twice must capture the same text', async t => {
  const pattern = compilePattern('{service}-{service}')
  t.same(pattern.captures, ['service'])
  t.same(pattern.match('cart-cart'), { service: 'cart' })
  t.equal(pattern.match('cart-shop'), undefined)
})

t.test('an unknown placeholder is refused when compiling', async t => {
  t.throws(() => compilePattern('{team}-{stage}'), new PatternError('unknown placeholder {team} (use {project}, {stage} or {service})'))
  t.throws(() => compilePattern('{}'), PatternError)
})

t.test('values longer than any Kubernetes name never match', async t => {
  t.equal(compilePattern('*').match('a'.repeat(254)), undefined)
  t.same(compilePattern('*').match('a'.repeat(253)), {})
})
