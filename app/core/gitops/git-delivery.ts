import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { Log as Logger } from '../log.js'
import type { Store } from '../store.js'
import type { Metrics } from '../metrics.js'
import type { FinishedResult, ServiceKey, TriggeredDeployment } from '../types.js'
import { createGitWriter, type GitWriteResult } from './git-writer.js'
import { findTarget, imageMatcher, type GitTarget, type ResolvedTarget } from './targets.js'

export interface GitDeliveryDeps {
  targets: GitTarget[]
  workDir: string
  tokenFile?: string
  sshKeyFile?: string
  receiver?: { url: string, token?: string }
  store: Store
  clock: () => number
  logger: Logger
  /** Called after a .finished was enqueued here, so delivery runs now. */
  wake: (key: ServiceKey) => void
  /** How long a claimed write is left to its writer before another replica may take it over. */
  leaseMs?: number
  metrics?: Pick<Metrics, 'gitWrites' | 'gitWriteDuration'>
}

/**
 * Keptn-driven delivery through Git: a triggered deployment that names an image and has a Git
 * target gets the image written to Git; Flux then deploys it and its report (matched on the
 * commit written here) finishes the deployment. When Git already holds the value, Flux has
 * nothing to do and reports nothing, so the deployment is finished at once as succeeded.
 * A Git error finishes it as errored/fail: the sequence never hangs on us.
 * The write is claimed in the store first, and offered again whenever the triggered event is seen
 * again (the next poll, a pushed retry): a write lost with a replica, or never started because the
 * answer to taking the event on was lost, is picked up once the claim runs out.
 */
export function createGitDelivery (deps: GitDeliveryDeps) {
  const { store, clock, logger } = deps
  const writer = createGitWriter({ workDir: deps.workDir, tokenFile: deps.tokenFile, sshKeyFile: deps.sshKeyFile, receiver: deps.receiver, logger })
  const inFlight = new Set<Promise<void>>()
  let closed = false

  const finish = async (td: TriggeredDeployment, status: 'succeeded' | 'errored', message: string, commit?: string) => {
    const result: FinishedResult = {
      status,
      result: status === 'succeeded' ? 'pass' : 'fail',
      message,
      deploymentNames: [td.service],
      gitCommit: commit,
      source: 'git',
      finishedAt: clock()
    }
    if (await store.finishPending(td, result, clock())) deps.wake(td)
  }

  const leaseMs = deps.leaseMs ?? 2 * 60_000
  // Who holds a Git write claim: this delivery (one per process), made once. Only its holder
  // renews a claim, so a replica that stalled past its lease cannot extend another's.
  const owner = `${hostname()}/${process.pid}/${randomUUID()}`

  const write = async (seen: TriggeredDeployment) => {
    const target = findTarget(deps.targets, seen)
    if (!target || !seen.image) return
    const td = await store.claimGitWrite(seen, owner, leaseMs, clock())
    if (!td) return
    const started = Date.now()
    const counted = (result: 'pushed' | 'unchanged' | 'abandoned' | 'failed' | 'refused') => {
      deps.metrics?.gitWrites.inc({ result })
      deps.metrics?.gitWriteDuration.observe((Date.now() - started) / 1000)
    }
    // The claim lasts as long as this writer does, waiting in the queue for its clone included.
    // A renewal the store refuses means the claim ran out (this replica stalled) and may be another
    // replica's now: renewing stops and the write is abandoned before its push (see beforePush).
    // A renewal that fails (store away) says nothing either way: the next one tries again.
    const claim = { lost: false }
    const renewOnce = async () => {
      if (!claim.lost && !await store.renewGitWrite(td, owner, leaseMs, clock())) claim.lost = true
      if (claim.lost) clearInterval(renew)
      return !claim.lost
    }
    const renew = setInterval(() => { renewOnce().catch(() => {}) }, leaseMs / 3)
    try {
      // What the store holds (Keptn's copy), never what a caller passed along.
      const image = td.image ?? seen.image
      if (target.imagePattern !== undefined && !imageMatcher(target.imagePattern)(image)) {
        logger.warn({ triggeredId: td.triggeredId, image, imagePattern: target.imagePattern }, 'image outside the target\'s imagePattern: not written to Git')
        await finish(td, 'errored', `Not written to Git: the image ${image} does not match imagePattern ${target.imagePattern} of GIT_TARGETS targets[${target.index}]`)
        counted('refused')
        return
      }
      counted(await writeClaimed(target, td, image, renewOnce))
    } finally {
      clearInterval(renew)
    }
  }

  const writeClaimed = async (target: ResolvedTarget, td: TriggeredDeployment, image: string, stillClaimed: () => Promise<boolean>): Promise<'pushed' | 'unchanged' | 'abandoned' | 'failed'> => {
    const log = { triggeredId: td.triggeredId, repo: target.repo, file: target.file, image }
    // Right before each push the claim is renewed: a claim lost to another replica abandons the
    // write (nothing is pushed; the deployment stays pending for the claim's new holder, which
    // finds the same commit or writes its own). The deployment then waits for the commit before it
    // is pushed, so the GitOps tool's report of it finds it even if this replica dies right after
    // the push; gone, nothing is pushed for it. A store that cannot answer abandons it likewise.
    const beforePush = async (commit: string) => {
      try {
        if (!await stillClaimed()) {
          logger.warn(log, 'the Git write claim ran out and may be another replica\'s: not pushed')
          return false
        }
        return await store.updatePending({ ...td, commit })
      } catch (err) {
        logger.warn({ ...log, err: (err as Error).message }, 'could not renew the claim or record the commit to push; left for another attempt')
        return false
      }
    }
    let written: GitWriteResult
    try {
      written = await writer.write(target, { ...td, image }, beforePush)
    } catch (err) {
      // Shutting down is no failure of the write: the claim runs out and another replica (or this
      // one after its restart, when the event is seen again) writes it.
      if (closed) {
        logger.info(log, 'shutting down: the Git write is left for the next holder of its claim')
        return 'abandoned'
      }
      logger.error({ ...log, err: (err as Error).message }, 'could not write the change to Git')
      await finish(td, 'errored', `Could not write ${image} to Git (${target.file}@${target.branch}): ${(err as Error).message}`)
      return 'failed'
    }
    if (written.abandoned) {
      logger.info(log, 'not pushed: the claim was lost, the deployment is no longer pending, or its commit could not be recorded')
      return 'abandoned'
    }
    if (written.changed) {
      await store.updatePending({ ...td, commit: written.commit, pushed: written.commit })
      logger.info({ ...log, commit: written.commit }, 'wrote the change to Git; waiting for the GitOps tool to deploy it')
      return 'pushed'
    }
    logger.info({ ...log, commit: written.commit }, 'Git already holds this value; nothing for the GitOps tool to deploy')
    await finish(td, 'succeeded', `Git already holds ${image} in ${target.file}@${target.branch}; nothing to deploy`, written.commit)
    return 'unchanged'
  }

  return {
    /** True when this deployment's change is written to Git here. */
    writesToGit (td: TriggeredDeployment): boolean {
      return td.image !== undefined && findTarget(deps.targets, td) !== undefined
    },
    /** A triggered deployment taken on, or seen again while pending: write it unless done or claimed. */
    onTriggered (td: TriggeredDeployment) {
      if (closed) return
      const job = write(td).catch(err => logger.error({ err }, 'git delivery failed')).finally(() => inFlight.delete(job))
      inFlight.add(job)
    },
    async close () {
      closed = true
      await Promise.all(inFlight)
      await writer.close()
    }
  }
}
