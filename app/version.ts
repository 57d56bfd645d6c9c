import { readFileSync } from 'node:fs'

/** The package version, read once; works from the source tree and from dist/. */
function findVersion (): string {
  for (const up of ['../package.json', '../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { version: string }).version
    } catch {}
  }
  return 'unknown'
}

export const version = findVersion()
