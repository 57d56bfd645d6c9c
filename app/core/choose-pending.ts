import type { TriggeredDeployment } from './types.js'

function sameCommit (a: string, b: string): boolean {
  const n = Math.min(a.length, b.length)
  return n >= 7 && a.slice(0, n) === b.slice(0, n)
}

/** True when a result names the very version or commit this deployment waits for (no fallback). */
export function resultMatches (td: TriggeredDeployment, versions: string[], commit?: string): boolean {
  return (td.version !== undefined && versions.includes(td.version)) ||
    (td.commit !== undefined && commit !== undefined && sameCommit(td.commit, commit))
}

/**
 * Which pending deployment (oldest first) a result finishes: the first whose known expected
 * version or commit matches the result's; else the oldest one with nothing comparable; never
 * one whose known commit contradicts the result's, nor (when strictVersions) whose known version
 * does, nor one whose change the bridge has yet to push to Git. Mirrors store/redis/lua/resolve.lua.
 */
export function choosePending (oldestFirst: TriggeredDeployment[], versions: string[], commit?: string, strictVersions = true, commitIsHint = false): TriggeredDeployment | undefined {
  let fallback: TriggeredDeployment | undefined
  for (const td of oldestFirst) {
    let comparable = false
    let matched = false
    if (td.version !== undefined && versions.length > 0) {
      matched = versions.includes(td.version)
      comparable = strictVersions || matched
    }
    if (!matched && td.commit !== undefined && commit) {
      matched = sameCommit(td.commit, commit)
      comparable = comparable || matched || !commitIsHint
    }
    if (matched) return td
    if (!comparable && !(td.toGit && td.pushed === undefined)) fallback ??= td
  }
  return fallback
}
