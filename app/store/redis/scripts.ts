import { readFileSync } from 'node:fs'

/**
 * The Lua scripts, each declared once: its file, and the names of its KEYS and of its ARGV in the
 * order the script reads them. Callers pass every key and argument by name; `positional` builds
 * KEYS and ARGV from the names in the declared order, and the key count is the number of key
 * names. Each script's header lists the same names in the same order, and its body binds each one
 * to a local of that name (tests/store/lua-headers.test.ts fails when the two part ways).
 */

export type ArgValue = string | number

/** One call of a script: its KEYS and its ARGV, by name. */
export interface ScriptCall<K, A> {
  keys: K
  args: A
}

type Names<T> = ReadonlyArray<keyof T & string>
/** Nothing when every name of T is listed; otherwise a type that says which one is missing. */
type AllListed<T, Listed> = [Exclude<keyof T, Listed>] extends [never] ? unknown : { missing: Exclude<keyof T, Listed> }

export interface LuaScript<K, A, R> {
  /** The file in ./lua/. */
  readonly file: string
  /** The command ioredis registers it as (from the file name: claim-id.lua is kgbClaimId). */
  readonly command: string
  /** KEYS[1..], by name. */
  readonly keys: Names<K>
  /** ARGV[1..], by name. */
  readonly args: Names<A>
  /** A list argument spread as the last ARGV (ARGV[args.length + 1 ..]), if the script takes one. */
  readonly rest: (keyof A & string) | undefined
  /** Derived from the key names, never typed by hand. */
  readonly numberOfKeys: number
  /** KEYS then ARGV, positional, as the script reads them. */
  positional (call: ScriptCall<K, A>): ArgValue[]
  /** Type only: what the script answers. */
  readonly reply?: R
}

/**
 * Declares a script with K its keys, A its arguments and R its reply: every name of K and of A
 * must be listed once (a name left out is a type error).
 */
function luaScript<K, A, R> () {
  return <const KL extends Names<K>, const AL extends Names<A>, const Rest extends keyof A & string = never>(spec: {
    file: string
    keys: KL & AllListed<K, KL[number]>
    args: AL & AllListed<A, AL[number] | Rest>
    rest?: Rest
  }): LuaScript<K, A, R> => {
    const keys: Names<K> = spec.keys
    const args: Names<A> = spec.args
    const names = [...keys, ...args, ...(spec.rest ? [spec.rest] : [])]
    if (new Set(names).size !== names.length) throw new Error(`${spec.file}: a KEYS or ARGV name is declared twice`)
    const rest = spec.rest
    return {
      file: spec.file,
      command: 'kgb' + spec.file.replace(/\.lua$/, '').replace(/(?:^|-)(\w)/g, (_, c: string) => c.toUpperCase()),
      keys,
      args,
      rest,
      numberOfKeys: keys.length,
      positional (call) {
        const values = [...keys.map(name => call.keys[name] as string), ...args.map(name => call.args[name] as ArgValue)]
        if (rest) values.push(...call.args[rest] as readonly ArgValue[])
        return values
      }
    }
  }
}

export interface ClaimIdKeys { idOwner: string }
export interface ClaimIdArgs {
  /** The service key string the id is claimed for. */
  service: string
  ttlMs: number
}

export interface AddTriggeredKeys { seenTriggered: string, pendingOf: string, pendingData: string, deadlines: string, outbox: string, due: string }
export interface AddTriggeredArgs {
  triggeredId: string
  /** TriggeredDeployment JSON. */
  deployment: string
  receivedAt: number
  deadline: number
  retentionMs: number
  now: number
}

export interface ResolveKeys {
  delivery: string
  pendingOf: string
  pendingData: string
  deadlines: string
  outbox: string
  due: string
  recent: string
  sequence: string
  held: string
}
export interface ResolveArgs {
  now: number
  dedupeTtlMs: number
  /** FinishedResult JSON. */
  finished: string
  /** The commit or '', prefixed '~' when it may only match. */
  commit: string
  /** The trigger outbox entry JSON or ''. */
  triggerEntry: string
  triggerId: string
  retentionMs: number
  recentLimit: number
  strictVersions: '1' | '0'
  /** The held result JSON or ''. */
  heldEntry: string
  holdMs: number
  versions: readonly string[]
}

export interface ClaimPendingKeys { deadlines: string, pendingOf: string, pendingData: string, outbox: string, due: string, recent: string }
export interface ClaimPendingArgs {
  triggeredId: string
  now: number
  /** FinishedResult JSON. */
  finished: string
  recentLimit: number
  onlyWhenDue: '1' | '0'
}

export interface UpdatePendingKeys { pendingData: string }
export interface UpdatePendingArgs {
  triggeredId: string
  /** TriggeredDeployment JSON. */
  deployment: string
}

export interface ClaimGitWriteKeys { pendingData: string, gitClaim: string }
export interface ClaimGitWriteArgs { triggeredId: string, owner: string, leaseMs: number }

export interface RenewGitWriteKeys { gitClaim: string }
export interface RenewGitWriteArgs { owner: string, leaseMs: number }

export interface LeaseKeys { outbox: string, due: string, leases: string }
export interface LeaseArgs { now: number, leaseMs: number, limit: number }

export interface SettleKeys {
  outbox: string
  due: string
  dead: string
  deadAt: string
  pendingOf: string
  pendingData: string
  deadlines: string
  leases: string
}
export interface SettleArgs {
  entryId: string
  how: 'ack' | 'retry' | 'dead'
  /** The entry's new JSON (retry) or its dead letter's JSON (dead); '' for ack. */
  json: string
  /** Due at (retry) or dead at (dead). */
  at: number
  deadLetterLimit: number
}

export const scripts = {
  claimId: luaScript<ClaimIdKeys, ClaimIdArgs, number>()({
    file: 'claim-id.lua',
    keys: ['idOwner'],
    args: ['service', 'ttlMs']
  }),
  addTriggered: luaScript<AddTriggeredKeys, AddTriggeredArgs, number>()({
    file: 'add-triggered.lua',
    keys: ['seenTriggered', 'pendingOf', 'pendingData', 'deadlines', 'outbox', 'due'],
    args: ['triggeredId', 'deployment', 'receivedAt', 'deadline', 'retentionMs', 'now']
  }),
  resolve: luaScript<ResolveKeys, ResolveArgs, string[]>()({
    file: 'resolve.lua',
    keys: ['delivery', 'pendingOf', 'pendingData', 'deadlines', 'outbox', 'due', 'recent', 'sequence', 'held'],
    args: ['now', 'dedupeTtlMs', 'finished', 'commit', 'triggerEntry', 'triggerId', 'retentionMs', 'recentLimit', 'strictVersions', 'heldEntry', 'holdMs'],
    rest: 'versions'
  }),
  claimPending: luaScript<ClaimPendingKeys, ClaimPendingArgs, number>()({
    file: 'claim-pending.lua',
    keys: ['deadlines', 'pendingOf', 'pendingData', 'outbox', 'due', 'recent'],
    args: ['triggeredId', 'now', 'finished', 'recentLimit', 'onlyWhenDue']
  }),
  updatePending: luaScript<UpdatePendingKeys, UpdatePendingArgs, number>()({
    file: 'update-pending.lua',
    keys: ['pendingData'],
    args: ['triggeredId', 'deployment']
  }),
  claimGitWrite: luaScript<ClaimGitWriteKeys, ClaimGitWriteArgs, string | null>()({
    file: 'claim-git-write.lua',
    keys: ['pendingData', 'gitClaim'],
    args: ['triggeredId', 'owner', 'leaseMs']
  }),
  renewGitWrite: luaScript<RenewGitWriteKeys, RenewGitWriteArgs, number>()({
    file: 'renew-git-write.lua',
    keys: ['gitClaim'],
    args: ['owner', 'leaseMs']
  }),
  lease: luaScript<LeaseKeys, LeaseArgs, string[]>()({
    file: 'lease.lua',
    keys: ['outbox', 'due', 'leases'],
    args: ['now', 'leaseMs', 'limit']
  }),
  settle: luaScript<SettleKeys, SettleArgs, number>()({
    file: 'settle.lua',
    keys: ['outbox', 'due', 'dead', 'deadAt', 'pendingOf', 'pendingData', 'deadlines', 'leases'],
    args: ['entryId', 'how', 'json', 'at', 'deadLetterLimit']
  })
}

/** A script's Lua text, as registered. */
export function luaSource (file: string): string {
  return readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8')
}
