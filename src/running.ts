/** Other builds of the project already in progress (`if-running`): wait for them, fail, or start anyway. */
import { BatchGetBuildsCommand, ListBuildsForProjectCommand, SortOrderType, StatusType } from '@aws-sdk/client-codebuild'
import type { Build, CodeBuildClient } from '@aws-sdk/client-codebuild'
import type { Clock } from './clock.js'
import { buildLinks } from './links.js'
import { formatDuration } from './report.js'
import { Backoff, isTransient } from './retry.js'

/** In-progress builds are the newest: looking at this many recent builds finds them. */
const RECENT_BUILDS = 20

export async function runningBuilds(codebuild: CodeBuildClient, projectName: string, signal?: AbortSignal): Promise<Build[]> {
  const list = await codebuild.send(
    new ListBuildsForProjectCommand({ projectName, sortOrder: SortOrderType.DESCENDING }),
    { abortSignal: signal }
  )
  const ids = (list.ids ?? []).slice(0, RECENT_BUILDS)
  if (ids.length === 0) return []
  const got = await codebuild.send(new BatchGetBuildsCommand({ ids }), { abortSignal: signal })
  return (got.builds ?? []).filter(b => b.buildStatus === StatusType.IN_PROGRESS)
}

export class ProjectBusyError extends Error {
  override name = 'ProjectBusyError'
}

export interface WaitOptions {
  codebuild: CodeBuildClient
  clock: Clock
  projectName: string
  region: string
  mode: 'wait' | 'fail' | 'start'
  notice: (message: string) => void
  signal?: AbortSignal
  pollMs?: number
  noticeEveryMs?: number
  /** The first look, when the caller already started it (in parallel with the preflight). */
  first?: Promise<Build[]>
}

function describe(build: Build, region: string, now: number): string {
  const since = build.startTime ? ` for ${formatDuration(now - build.startTime.getTime())}` : ''
  return `build #${build.buildNumber ?? '?'} ${build.id} (in progress${since}, ${buildLinks(build, region).build})`
}

/** Returns when the project has no build in progress, or at once for `start`; throws for `fail`. */
export async function handleRunningBuilds(o: WaitOptions): Promise<void> {
  const pollMs = o.pollMs ?? 10_000
  const noticeEveryMs = o.noticeEveryMs ?? 30_000
  const backoff = new Backoff(pollMs, 60_000)
  let lastNotice = -Infinity
  let first = o.first
  for (;;) {
    // The caller's first look serves once; every later look is a fresh call.
    const look = first ?? runningBuilds(o.codebuild, o.projectName, o.signal)
    first = undefined
    let running: Build[]
    try {
      running = await look
      backoff.reset()
    } catch (error) {
      if (o.signal?.aborted || !isTransient(error)) throw error
      await o.clock.sleep(backoff.next(), o.signal)
      continue
    }
    if (running.length === 0) return
    const now = o.clock.now()
    const what = running.map(b => describe(b, o.region, now)).join('; ')
    if (o.mode === 'start') {
      o.notice(`Another build of ${o.projectName} is in progress: ${what}. Starting anyway (if-running: start).`)
      return
    }
    if (o.mode === 'fail') {
      throw new ProjectBusyError(`Another build of ${o.projectName} is in progress: ${what}. Not starting (if-running: fail).`)
    }
    if (now - lastNotice >= noticeEveryMs) {
      o.notice(`Waiting for another build of ${o.projectName} to finish: ${what}.`)
      lastNotice = now
    }
    await o.clock.sleep(pollMs, o.signal)
  }
}
