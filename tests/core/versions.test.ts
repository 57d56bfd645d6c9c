import t from 'tap'
import { commitFromRevision, isCommitLike, normaliseVersion, versionsFromRevision } from '../../app/core/versions.js'

const sha1 = '2f0a5c3e9b7d4f61a8c2e0b3d5f7a9c1e3b5d7f9'
const sha256 = '7e887edb52b723997076a9f5a72bef4473227a303cbc2cf5118e7be261f41c13'

t.test('versions that differ only in case, spaces or a leading v compare equal', async t => {
  for (const written of ['v1.2.0', 'V1.2.0', ' 1.2.0 ', '1.2.0']) t.equal(normaliseVersion(written), '1.2.0', written)
  t.equal(normaliseVersion('vnext'), 'vnext', 'a v not followed by a digit stays')
  t.equal(normaliseVersion('1.2.0-RC.1'), '1.2.0-rc.1')
})

t.test('full and abbreviated shas are commit-like; versions and words are not', async t => {
  for (const s of ['2f0a5c3', sha1, sha1.toUpperCase(), sha256]) t.ok(isCommitLike(s), s)
  for (const s of ['2f0a5c', '1.2.3', 'main', 'g2f0a5c3', sha256 + 'a']) t.notOk(isCommitLike(s), s)
})

t.test('the git commit is read from every Flux revision form that names one', async t => {
  const cases: Array<[string, string | undefined]> = [
    [`main@sha1:${sha1}`, sha1],
    [`refs/heads/main@sha1:${sha1.toUpperCase()}`, sha1],
    [`v1.2.3@sha1:${sha1}`, sha1],
    [`sha1:${sha1}`, sha1],
    [`main@sha256:${sha256}`, sha256],
    [`main/${sha1}`, sha1],
    [`release/1.x/${sha1}`, sha1],
    [sha1, sha1],
    ['1.2.3', undefined],
    // helm-controller writes <version>+<12 hex> for a chart from Git (a commit) and from OCI or a
    // Bucket (a digest) alike: never reported as a commit.
    ['1.2.3+abcdef0', undefined],
    ['0.1.0+4a5b6c7d8e9f', undefined],
    ['1.2.3-rc.1+4a5b6c7d8e9f.2', undefined],
    ['1.2.3+build', undefined],
    [`1.2.3@sha256:${sha256}`, undefined],
    [`v1.2.3@sha256:${sha256}`, undefined],
    [`latest@sha256:${sha256}`, undefined],
    [`sha256:${sha256}`, undefined],
    ['main', undefined],
    ['', undefined]
  ]
  for (const [revision, commit] of cases) t.equal(commitFromRevision(revision), commit, revision)
  t.equal(commitFromRevision(undefined), undefined)
})

t.test('version candidates come from an OCI or git tag and app-version, never from a chart version', async t => {
  t.same(versionsFromRevision('1.4.0', { 'app-version': 'v0.3.2' }), ['0.3.2'])
  t.same(versionsFromRevision('1.4.0+4a5b6c7d8e9f'), [], 'a chart version says nothing about the image')
  t.same(versionsFromRevision(`v0.3.2@sha256:${sha256}`), ['0.3.2'], 'OCI tag')
  t.same(versionsFromRevision(`refs/tags/v0.3.2@sha1:${sha1}`), ['0.3.2'], 'git tag')
  t.same(versionsFromRevision('v0.3.2@sha1:' + sha1, { 'app-version': 'V0.3.2' }), ['0.3.2'], 'de-duplicated after normalising')
})

t.test('version candidates never include a git sha, a branch or a digest', async t => {
  for (const revision of [`main@sha1:${sha1}`, `main/${sha1}`, sha1, `sha256:${sha256}`, `latest@sha256:${sha256}`, 'main']) {
    t.same(versionsFromRevision(revision), [], revision)
  }
  t.same(versionsFromRevision(undefined, {}), [])
  t.same(versionsFromRevision(`main@sha1:${sha1}`, { 'app-version': '2.0.0' }), ['2.0.0'])
})

t.test('over-long revisions are neither versions nor commits (and cannot stall the event loop)', async t => {
  const long = '1.'.repeat(100) + '1!@main'
  t.same(versionsFromRevision(long + '@sha1:' + sha1), [])
  t.equal(commitFromRevision('1.'.repeat(300) + '1+abcdef0'), undefined)
})
