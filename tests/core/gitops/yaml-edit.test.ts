import t from 'tap'
import { parseYamlPath, setYamlPath } from '../../../app/core/gitops/yaml-edit.js'
import { helloRelease } from './fixture.js'

t.test('changes only the value at the path, keeping comments, quotes and spacing', async t => {
  const out = setYamlPath(helloRelease, 'spec.values.image.tag', 'v0.3.2')
  t.equal(out.changed, true)
  t.equal(out.text, helloRelease.replace('tag: "v0.3.1"', 'tag: "v0.3.2"'))
})

t.test('addresses list items with [n] and keeps a plain value plain', async t => {
  const out = setYamlPath(helloRelease, 'spec.values.env[0].value', 'green')
  t.equal(out.text, helloRelease.replace('value:   blue', 'value:   green'))
})

t.test('keeps single quotes and edits values inside flow maps', async t => {
  const text = "a: 'x'  # c\nb: {tag: v1, other: y}\n"
  t.equal(setYamlPath(text, 'a', "it's").text, "a: 'it''s'  # c\nb: {tag: v1, other: y}\n")
  t.equal(setYamlPath(text, 'b.tag', 'v2').text, "a: 'x'  # c\nb: {tag: v2, other: y}\n")
})

t.test('quotes a tag that YAML would otherwise read as a number', async t => {
  const out = setYamlPath('tag: 1.9 # version\n', 'tag', '1.10')
  t.equal(out.text, 'tag: "1.10" # version\n')
})

t.test('reports no change when the value is already there', async t => {
  t.same(setYamlPath(helloRelease, 'spec.values.image.tag', 'v0.3.1'), { text: helloRelease, changed: false })
  t.same(setYamlPath('tag: 1.2\n', 'tag', '1.2'), { text: 'tag: 1.2\n', changed: false })
})

t.test('edits the one document of a multi-document file that holds the path', async t => {
  const text = 'kind: Namespace\nmetadata: {name: a}\n---\n# release\nspec:\n  tag: v1\n'
  t.equal(setYamlPath(text, 'spec.tag', 'v2').text, text.replace('tag: v1', 'tag: v2'))
})

t.test('fails clearly when a key on the path is missing instead of adding it', async t => {
  t.throws(() => setYamlPath(helloRelease, 'spec.values.imag.tag', 'v1'), { code: 'YAML_PATH', message: /key "imag" not found under spec.values/ })
  t.throws(() => setYamlPath(helloRelease, 'spec.values.image.digest', 'v1'), { message: /key "digest" not found under spec.values.image/ })
  t.throws(() => setYamlPath(helloRelease, 'spec.values.env[3].value', 'v1'), { message: /spec.values.env has no item \[3\]/ })
  t.throws(() => setYamlPath(helloRelease, 'spec.values.image', 'v1'), { message: /not a plain value/ })
})

t.test('rejects paths it cannot parse', async t => {
  t.same(parseYamlPath('spec.containers[0].image'), ['spec', 'containers', 0, 'image'])
  t.same(parseYamlPath('[1].a'), [1, 'a'])
  for (const bad of ['', 'a..b', '.a', 'a.', 'a[x]', 'a[0', 'a b']) {
    t.throws(() => parseYamlPath(bad), { code: 'YAML_PATH' }, bad)
  }
})
