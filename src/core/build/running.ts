/** Other builds of the project already in progress (`if-running`): wait for them, fail, or start anyway. */
import { BatchGetBuildsCommand, ListBuildsForProjectCommand, SortOrderType, StatusType } from '@aws-sdk/client-codebuild'
import type { Build, CodeBuildClient } from '@aws-sdk/client-codebuild'
import { checkedBuild } from './build-id.js'
import type { Clock } from '../support/index.js'
import { Backoff, buildLinks, withTimeLimit } from '../aws/index.js'
import { errorText, INPUT_NAMES, isTransient, ProjectBusyError } from '../errors/index.js'
import { formatDuration, Inputs } from '../support/index.js'
import type { SettingNames } from '../errors/index.js'

/** In-progress builds are the newest: looking at this many recent builds finds them. */
const RECENT_BUILDS = 20

/** No look at the running builds is awaited longer than this. */
const LOOK_LIMIT_MS = 30_000

export async function runningBuilds(codebuild: CodeBuildClient, projectName: string, clock: Clock, signal?: AbortSignal): Promise<Build[]> {
  return withTimeLimit(clock, LOOK_LIMIT_MS, signal, async s => {
    const list = await codebuild.send(new ListBuildsForProjectCommand({ projectName, sortOrder: SortOrderType.DESCENDING }), {
      abortSignal: s
    })
    const ids = (list.ids ?? []).slice(0, RECENT_BUILDS)
    if (ids.length === 0) return []
    const got = await codebuild.send(new BatchGetBuildsCommand({ ids }), { abortSignal: s })
    // Their ids are printed and linked: a garbled one makes the answer malformed (retried like any garbled answer).
    return (got.builds ?? []).filter(b => b.buildStatus === StatusType.IN_PROGRESS).map(b => checkedBuild('BatchGetBuilds', b))
  })
}

export interface WaitOptions {
  codebuild: CodeBuildClient
  clock: Clock
  projectName: string
  region: string
  mode: 'wait' | 'fail' | 'start'
  /** How the front end writes a setting (default: the action's input names). */
  names?: SettingNames
  /** With `wait`: how long to wait before failing (ProjectBusyError). */
  timeoutMs: number
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

/**
 * Returns when the project has no build in progress, or at once for `start`; throws for `fail`, and for `wait` once
 * `timeoutMs` have passed (a look that keeps failing counts as waiting too).
 */
export async function handleRunningBuilds(o: WaitOptions): Promise<void> {
  const pollMs = o.pollMs ?? 10_000
  const noticeEveryMs = o.noticeEveryMs ?? 30_000
  const backoff = new Backoff(pollMs, 60_000)
  const since = o.clock.now()
  let lastNotice = -Infinity
  let first = o.first
  let waitedFor: Build[] = []
  let lastError: unknown
  for (;;) {
    if (o.clock.now() - since >= o.timeoutMs) throw timedOut(o, waitedFor, lastError)
    // The caller's first look serves once; every later look is a fresh call.
    const look = first ?? runningBuilds(o.codebuild, o.projectName, o.clock, o.signal)
    first = undefined
    let running: Build[]
    try {
      running = await look
      backoff.reset()
    } catch (error) {
      if (o.signal?.aborted || !isTransient(error)) throw error
      lastError = error
      await o.clock.sleep(backoff.next(), o.signal)
      continue
    }
    if (running.length === 0) return
    waitedFor = running
    const now = o.clock.now()
    const what = running.map(b => describe(b, o.region, now)).join('; ')
    if (o.mode === 'start') {
      o.notice(
        `Another build of ${o.projectName} is in progress: ${what}. Starting anyway (${(o.names ?? INPUT_NAMES).value(Inputs.IfRunning, 'start')}).`
      )
      return
    }
    if (o.mode === 'fail') {
      throw new ProjectBusyError(
        `Another build of ${o.projectName} is in progress: ${what}. Not starting (${(o.names ?? INPUT_NAMES).value(Inputs.IfRunning, 'fail')}).`
      )
    }
    if (now - lastNotice >= noticeEveryMs) {
      o.notice(`Waiting for another build of ${o.projectName} to finish: ${what}.`)
      lastNotice = now
    }
    await o.clock.sleep(Math.min(pollMs, Math.max(0, since + o.timeoutMs - now)), o.signal)
  }
}

function timedOut(o: WaitOptions, running: Build[], lastError: unknown): ProjectBusyError {
  const waited = formatDuration(o.timeoutMs)
  if (running.length === 0) {
    return new ProjectBusyError(
      `Could not find out within ${waited} whether another build of ${o.projectName} is in progress (${errorText(lastError)}). Nothing was started.`
    )
  }
  const what = running.map(b => describe(b, o.region, o.clock.now())).join('; ')
  return new ProjectBusyError(
    `Waited ${waited} for another build of ${o.projectName} to finish: ${what}. Nothing was started (${(o.names ?? INPUT_NAMES).name(Inputs.IfRunningTimeoutMinutes)}).`
  )
}
