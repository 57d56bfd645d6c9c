/** Lower-cases a version and drops a leading `v` before a digit, so `V1.2.0` and `1.2.0` compare equal. */
export function normaliseVersion (s: string): string {
  const v = s.trim().toLowerCase()
  return /^v\d/.test(v) ? v.slice(1) : v
}

/** True for a full or abbreviated git sha (7–64 hex characters). */
export function isCommitLike (s: string): boolean {
  return /^[0-9a-f]{7,64}$/i.test(s)
}

const versionLike = /^v?\d+(\.\d+)*([-.][0-9a-z.-]+)?$/i
// The pattern backtracks badly on long runs like `1.1.1…1!`: nothing longer is a version anyway.
const maxVersionLength = 128
const looksLikeVersion = (s: string) => s.length <= maxVersionLength && versionLike.test(s)

// `<tag>@sha256:<digest>` is an OCI artifact (OCIRepository) when the tag is a version or `latest`;
// any other ref before `@sha256:` is a git ref in a SHA-256 repository. A bare `sha256:<hex>` is a
// Bucket or OCI digest, never a commit.
function isOciTag (ref: string): boolean {
  return ref === 'latest' || looksLikeVersion(ref)
}

/**
 * The git commit a revision names, lower-cased: `main@sha1:<sha>`, `sha1:<sha>`,
 * `refs/heads/main@sha256:<sha>` (Flux v2), `main/<sha>` (older Flux), or a bare 40/64-hex sha
 * (Argo CD). A chart version (`0.3.2`, `0.3.2+1a2b3c4d5e6f`) or an OCI digest (`1.2.3@sha256:…`)
 * names no commit.
 */
export function commitFromRevision (revision: string | undefined): string | undefined {
  if (!revision || revision.length > 512) return undefined
  const rev = revision.trim().toLowerCase()
  if (/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(rev)) return rev
  const sha1 = /^(?:[^@]+@)?sha1:([0-9a-f]{40})$/.exec(rev)
  if (sha1) return sha1[1]
  const sha256 = /^([^@]+)@sha256:([0-9a-f]{64})$/.exec(rev)
  if (sha256) return isOciTag(sha256[1]!) ? undefined : sha256[2]
  // `<version>+<12 hex>` names no commit: helm-controller writes it for a chart built from a
  // GitRepository with reconcileStrategy Revision (a commit) and from an OCIRepository or Bucket (a
  // digest) alike, and the event cannot tell them apart.
  return /^[^@]+\/([0-9a-f]{40}|[0-9a-f]{64})$/.exec(rev)?.[1]
}

/**
 * The 12 hex of helm-controller's `<chart version>+<12 hex>` when they may be a commit: not for an
 * OCI chart (its event carries `oci-digest`, and the hex are the digest's).
 */
export function commitHintFromRevision (revision: string | undefined, metadata: Record<string, string> = {}): string | undefined {
  if (!revision || revision.length > 512 || metadata['oci-digest']) return undefined
  return /^v?\d+\.\d+\.\d+(?:-[0-9a-z.-]+)?\+([0-9a-f]{7,40})(?:\.\d+)?$/.exec(revision.trim().toLowerCase())?.[1]
}

/**
 * Version candidates a result is evidence of, normalised and de-duplicated: an OCI artifact tag
 * (`1.2.3@sha256:…`), a git tag (`v1.2.3@sha1:…`) and the `app-version` metadata. Never a git
 * sha (commits are compared separately) and never a HelmRelease's chart version: a chart version
 * says nothing about the image a values change deployed, so comparing it with the image tag Keptn
 * asked for would reject legitimate upgrades.
 */
export function versionsFromRevision (revision: string | undefined, metadata: Record<string, string> = {}): string[] {
  const found: string[] = []
  if (revision?.includes('@')) {
    const name = revision.trim().split('@')[0]!.replace(/^refs\/tags\//, '').split('+')[0]!
    if (looksLikeVersion(name) && commitFromRevision(name) === undefined) found.push(name)
  }
  const appVersion = metadata['app-version']
  if (appVersion) found.push(appVersion)
  return [...new Set(found.map(normaliseVersion).filter(v => v !== ''))]
}
