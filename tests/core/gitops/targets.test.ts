import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { findTarget, imageMatcher, loadGitTargets, parseGitTargets } from '../../../app/core/gitops/targets.js'
import { tempDir } from './fixture.js'

const good = `targets:
  - project: podtato            # stage/service may be "*"
    stage: dev
    service: helloservice
    repo: https://git.example.com/podtato/deploy.git
    branch: main
    file: apps/{stage}/{service}.yaml
    path: spec.values.image.tag
    write: tag
  - project: podtato
    stage: "*"
    service: "*"
    repo: ssh://git@git.example.com/podtato/deploy.git
    file: apps/{stage}/{service}.yaml
    path: spec.template.spec.containers[0].image
    write: image
`

t.test('reads targets, filling defaults for branch, write, stage and service', async t => {
  const targets = parseGitTargets(good + '  - {project: other, repo: "git@github.com:o/r.git", file: a.yaml, path: tag}\n', 'targets.yaml')
  t.equal(targets.length, 3)
  t.match(targets[0], { project: 'podtato', stage: 'dev', service: 'helloservice', branch: 'main', write: 'tag', index: 0, line: 2 })
  t.match(targets[2], { project: 'other', stage: '*', service: '*', branch: 'main', write: 'tag', index: 2, line: 17 })
})

t.test('picks the entry naming the service over a wildcard and fills in the file name', async t => {
  const targets = parseGitTargets(good, 'targets.yaml')
  t.same(findTarget(targets, { project: 'podtato', stage: 'dev', service: 'helloservice' }), {
    project: 'podtato',
    stage: 'dev',
    service: 'helloservice',
    repo: 'https://git.example.com/podtato/deploy.git',
    branch: 'main',
    file: 'apps/dev/helloservice.yaml',
    path: 'spec.values.image.tag',
    write: 'tag',
    index: 0
  })
  t.match(findTarget(targets, { project: 'podtato', stage: 'prod', service: 'helloservice' }), {
    index: 1, file: 'apps/prod/helloservice.yaml', write: 'image'
  })
  t.equal(findTarget(targets, { project: 'sockshop', stage: 'dev', service: 'carts' }), undefined)
})

const broken: Array<[string, string, RegExp]> = [
  ['unknown key', '  - {project: p, repo: "file:///r", file: f.yaml, path: tag, brnach: dev}\n', /targets\[1\] \(line 11\): unknown key "brnach"/],
  ['missing repo', '  - {project: p, file: f.yaml, path: tag}\n', /targets\[1\] \(line 11\): missing "repo"/],
  ['missing file', '  - {project: p, repo: "file:///r", path: tag}\n', /missing "file"/],
  ['missing path', '  - {project: p, repo: "file:///r", file: f.yaml}\n', /missing "path"/],
  ['bad write', '  - {project: p, repo: "file:///r", file: f.yaml, path: tag, write: digest}\n', /bad "write": "digest"/],
  ['bad path', '  - {project: p, repo: "file:///r", file: f.yaml, path: "spec..tag"}\n', /bad "path": cannot parse path "spec..tag"/],
  ['bad scheme', '  - {project: p, repo: "ftp://host/r.git", file: f.yaml, path: tag}\n', /unsupported repo scheme "ftp:"/],
  ['password in repo', '  - {project: p, repo: "https://u:secret@host/r.git", file: f.yaml, path: tag}\n', /must not carry a password/],
  ['unknown placeholder', '  - {project: p, repo: "file:///r", file: "{app}.yaml", path: tag}\n', /unknown placeholder "\{app\}"/],
  ['file outside the repo', '  - {project: p, repo: "file:///r", file: ../x.yaml, path: tag}\n', /must be a path inside the repository/],
  ['an imagePattern that is no regular expression', '  - {project: p, repo: "file:///r", file: f.yaml, path: tag, imagePattern: "ghcr.io/(app"}\n', /bad "imagePattern": .*Unterminated group/]
]

for (const [name, entry, message] of broken) {
  t.test(`stops on a target with ${name}, naming the entry and the reason`, async t => {
    const text = `targets:\n  - project: p\n    stage: dev\n    service: s\n    repo: https://git.example.com/p.git\n    file: f.yaml\n    path: tag\n\n\n# next\n${entry}`
    t.throws(() => parseGitTargets(text, 'targets.yaml'), { code: 'GIT_TARGETS_INVALID', message })
  })
}

t.test('names the file and line of a YAML syntax error or a wrong shape', async t => {
  t.throws(() => parseGitTargets('targets:\n  - project: p\n   repo: [\n', 'g.yaml'), { message: /^g\.yaml: \(line \d\): not valid YAML/ })
  t.throws(() => parseGitTargets('target:\n  - project: p\n', 'g.yaml'), { message: /unknown top-level key "target"/ })
  t.throws(() => parseGitTargets('targets: {}\n', 'g.yaml'), { message: /"targets" must be a list/ })
})

t.test('loads a targets file from disk and reports a missing one', async t => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'targets.yaml'), good)
  t.equal((await loadGitTargets(join(dir, 'targets.yaml'))).length, 2)
  await t.rejects(loadGitTargets(join(dir, 'nope.yaml')), { code: 'GIT_TARGETS_INVALID', message: /nope\.yaml: cannot read the file/ })
})

t.test('imagePattern matches the whole image, never a part of it', async t => {
  const allowed = imageMatcher('ghcr\\.io/acme/cart:v[0-9.]+')
  t.ok(allowed('ghcr.io/acme/cart:v1.2.3'))
  t.notOk(allowed('evil.example/ghcr.io/acme/cart:v1.2.3'), 'no prefix')
  t.notOk(allowed('ghcr.io/acme/cart:v1.2.3-evil'), 'no suffix')
  t.notOk(allowed('ghcr.io/acme/cart:v1' + '.1'.repeat(600)), 'absurd lengths are refused outright')
})
