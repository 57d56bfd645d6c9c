/** Lower-cases a version and drops a leading `v` before a digit, so `V1.2.0` and `1.2.0` compare equal. */
export function normaliseVersion (s: string): string {
  const v = s.trim().toLowerCase()
  return /^v\d/.test(v) ? v.slice(1) : v
}

/** True for a full or abbreviated git sha (7–64 hex characters). */
export function isCommitLike (s: string): boolean {
  return /^[0-9a-f]{7,64}$/i.test(s)
}
