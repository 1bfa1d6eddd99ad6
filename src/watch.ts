/**
 * Watching a build to its end: status polls (BatchGetBuilds) and log polls (GetLogEvents) on their own
 * adaptive schedules, so log lines arrive within about a second while the API budget stays small, and
 * the step ends as soon as the build has ended and its log is complete.
 */
import { BatchGetBuildsCommand, StatusType } from '@aws-sdk/client-codebuild'
import type { Build, CodeBuildClient } from '@aws-sdk/client-codebuild'
import type { CloudWatchLogsClient, OutputLogEvent } from '@aws-sdk/client-cloudwatch-logs'
import { ENDING_PHASES, LOGGED_PHASES, PhaseProgress } from './agent-log.js'
import type { Clock } from './clock.js'
import { LogTail } from './logs.js'
import type { DrainResult } from './logs.js'
import { Backoff, errorText, isTransient } from './retry.js'

export interface Timing {
  /** Status polls before the log stream exists (queued, provisioning): 2 s, 4 s, then this. */
  statusQueuedMs: number
  /** Status polls while the log shows the build running. */
  statusRunningMs: number
  /** Status polls once the build is about to end (last phases reached). */
  statusEndingMs: number
  /** Status polls when logs are not shown. */
  statusNoLogsMs: number
  /** Log polls while lines flow, and for the first few empty polls. */
  logFastMs: number
  logSlowMs: number
  logIdleMs: number
  fastEmptyPolls: number
  slowEmptyPolls: number
  /** Once the build has ended: log polls until its last lines are in. */
  drainPollMs: number
  /** After the end, wait at least this long for late lines unless the log shows its own end... */
  drainGraceMinMs: number
  /**
   * ...and at most this long, whatever the observed ingestion delay. A build that SUCCEEDED or FAILED has an agent
   * that logged the end of its last phase: that end is awaited this long, since the last lines (the failure's own)
   * may be ingested later than those read so far, and the status may show the end before any line was read.
   */
  drainGraceMaxMs: number
  /** How long the "about to end" pace lasts after it was triggered. */
  endingWindowMs: number
  errorBaseMs: number
  errorCapMs: number
}

export const DEFAULT_TIMING: Timing = {
  statusQueuedMs: 5_000,
  statusRunningMs: 12_000,
  statusEndingMs: 1_000,
  statusNoLogsMs: 5_000,
  logFastMs: 1_000,
  logSlowMs: 2_000,
  logIdleMs: 5_000,
  fastEmptyPolls: 5,
  slowEmptyPolls: 8,
  drainPollMs: 500,
  drainGraceMinMs: 1_500,
  drainGraceMaxMs: 15_000,
  endingWindowMs: 30_000,
  errorBaseMs: 1_000,
  errorCapMs: 15_000
}

export interface WatchDeps {
  codebuild: CodeBuildClient
  logs: CloudWatchLogsClient
  clock: Clock
  random?: () => number
}

export interface WatchHooks {
  /** A page of log events, in order. */
  onEvents?(events: OutputLogEvent[]): void
  /** Every build object read. */
  onStatus?(build: Build): void
  /** One line for the workflow log (plain text). */
  onNotice?(message: string): void
  onWarning?(message: string): void
}

export interface WatchOptions {
  showLogs: boolean
  signal?: AbortSignal
  timing?: Partial<Timing>
}

export interface WatchResult {
  build: Build
  statusCalls: number
  logCalls: number
  logEvents: number
  /** The log was complete at the end (its last phase's end was seen), not cut by the grace period. */
  logComplete: boolean
}

export function isTerminal(build: Build | undefined): boolean {
  return build?.buildStatus !== undefined && build.buildStatus !== StatusType.IN_PROGRESS
}

/** The last phase the agent logs for this build: its `Phase complete` line ends the log. */
export function lastLoggedPhase(build: Build): string | undefined {
  let last: string | undefined
  for (const p of build.phases ?? []) {
    if (p.phaseType && (LOGGED_PHASES as readonly string[]).includes(p.phaseType) && p.phaseStatus) last = p.phaseType
  }
  return last
}

export async function watchBuild(deps: WatchDeps, started: Build, hooks: WatchHooks, options: WatchOptions): Promise<WatchResult> {
  const t: Timing = { ...DEFAULT_TIMING, ...options.timing }
  const { clock, codebuild } = deps
  const signal = options.signal
  const id = started.id as string
  const progress = new PhaseProgress()
  const statusBackoff = new Backoff(t.errorBaseMs, t.errorCapMs, deps.random)
  const logBackoff = new Backoff(t.errorBaseMs, t.errorCapMs, deps.random)
  const result: WatchResult = { build: started, statusCalls: 0, logCalls: 0, logEvents: 0, logComplete: false }

  let build = started
  let tail: LogTail | undefined
  let logsUnavailable = !options.showLogs
  let queuedPolls = 0
  let emptyPolls = 0
  let endingUntil = 0
  let endedAt: number | undefined
  let deadline = Infinity
  let nextStatus = clock.now() + Math.min(1_000, t.statusQueuedMs)
  let nextLog = Infinity
  let lastPhaseNotice: string | undefined
  let throttleNoticeShown = false

  const onEvents = (events: OutputLogEvent[]): void => {
    let ending = false
    for (const e of events) {
      const event = progress.observe(e.message ?? '')
      if (event && event.kind !== 'context' && ENDING_PHASES.has(event.phase)) ending = true
      if (event?.kind === 'complete' && event.phase === 'BUILD') ending = true
    }
    hooks.onEvents?.(events)
    if (ending && endedAt === undefined) {
      // The log shows the last phases: check the status now rather than at the next scheduled poll.
      if (clock.now() >= endingUntil) nextStatus = Math.min(nextStatus, clock.now())
      endingUntil = clock.now() + t.endingWindowMs
    }
  }

  const transientNotice = (what: string, error: unknown, delay: number): void => {
    if (throttleNoticeShown) return
    throttleNoticeShown = true
    hooks.onNotice?.(`${what} answered ${errorText(error)}; retrying in ${(delay / 1000).toFixed(1)} s (further retries are silent)`)
  }

  const openTail = (): void => {
    if (tail || logsUnavailable) return
    const group = build.logs?.groupName
    const stream = build.logs?.streamName
    if (!group || !stream) return
    tail = new LogTail(deps.logs, group, stream, onEvents)
    nextLog = clock.now()
  }

  const pollStatus = async (): Promise<void> => {
    const now = clock.now()
    try {
      result.statusCalls++
      const response = await codebuild.send(new BatchGetBuildsCommand({ ids: [id] }), { abortSignal: signal })
      const found = response.builds?.[0]
      if (!found) throw new Error(`CodeBuild no longer knows build ${id}`)
      build = found
      statusBackoff.reset()
    } catch (error) {
      if (signal?.aborted || !isTransient(error)) throw error
      const delay = statusBackoff.next()
      transientNotice('CodeBuild', error, delay)
      nextStatus = now + delay
      return
    }
    hooks.onStatus?.(build)
    const cwStatus = build.logs?.cloudWatchLogs?.status
    if (!logsUnavailable && cwStatus === 'DISABLED') {
      logsUnavailable = true
      hooks.onWarning?.(`The project's CloudWatch Logs are disabled: the build's log cannot be shown. Enable them in the project's logs configuration.`)
    }
    openTail()
    if (!tail && build.currentPhase && build.currentPhase !== lastPhaseNotice && !isTerminal(build)) {
      lastPhaseNotice = build.currentPhase
      hooks.onNotice?.(`Build phase: ${build.currentPhase}`)
    }
    if (isTerminal(build)) {
      endedAt = clock.now()
      const endMs = build.endTime ? build.endTime.getTime() : endedAt
      const lag = tail?.maxIngestionLagMs ?? 0
      const endLogged = build.buildStatus === StatusType.SUCCEEDED || build.buildStatus === StatusType.FAILED
      deadline =
        endedAt +
        (endLogged && lastLoggedPhase(build) !== undefined
          ? t.drainGraceMaxMs
          : Math.min(t.drainGraceMaxMs, Math.max(t.drainGraceMinMs, endMs + lag + 1_000 - endedAt)))
      nextLog = Math.min(nextLog, clock.now())
      return
    }
    const ending = (build.currentPhase !== undefined && ENDING_PHASES.has(build.currentPhase)) || clock.now() < endingUntil
    if (!tail && !logsUnavailable) nextStatus = now + Math.min(t.statusQueuedMs, 2_000 * 2 ** queuedPolls++)
    else if (ending) nextStatus = now + t.statusEndingMs
    else if (logsUnavailable) nextStatus = now + t.statusNoLogsMs
    else nextStatus = now + t.statusRunningMs
  }

  const pollLogs = async (): Promise<void> => {
    const now = clock.now()
    const activeTail = tail as LogTail
    let drained: DrainResult
    try {
      drained = await activeTail.drain(signal)
      result.logCalls += drained.calls
      result.logEvents += drained.events
      logBackoff.reset()
      emptyPolls = drained.events > 0 ? 0 : emptyPolls + 1
    } catch (error) {
      if (signal?.aborted) throw error
      if (isTransient(error)) {
        const delay = logBackoff.next()
        transientNotice('CloudWatch Logs', error, delay)
        nextLog = now + delay
        return
      }
      hooks.onWarning?.(`Cannot read the build's log (${errorText(error)}); the build is still watched to its end. Grant logs:GetLogEvents on ${activeTail.group} to see it.`)
      tail = undefined
      logsUnavailable = true
      nextLog = Infinity
      return
    }
    let interval: number
    if (endedAt !== undefined) interval = t.drainPollMs
    else if (now < endingUntil || emptyPolls <= t.fastEmptyPolls) interval = t.logFastMs
    else if (emptyPolls <= t.slowEmptyPolls) interval = t.logSlowMs
    else interval = t.logIdleMs
    // The SDK retried (throttled: the account's GetLogEvents quota is shared): stretch the pause in proportion, so
    // the action's own rate of HTTP calls stays the same; the next clean poll restores the pace. Not while the
    // build is about to end or has ended: then a prompt end matters more.
    if (drained.attempts > drained.calls && endedAt === undefined && now >= endingUntil) interval = Math.min(t.logIdleMs, (interval * drained.attempts) / drained.calls)
    nextLog = now + interval
    if (endedAt === undefined && nextStatus > now + t.statusRunningMs) nextStatus = now + t.statusRunningMs
  }

  for (;;) {
    signal?.throwIfAborted()
    if (endedAt !== undefined) {
      if (!tail) break
      if (progress.hasShownEndOf(lastLoggedPhase(build))) {
        result.logComplete = true
        break
      }
      if (clock.now() >= deadline) break
    }
    if (endedAt === undefined && clock.now() >= nextStatus) {
      await pollStatus()
      // Re-check at the top: a build that just ended with no log to read ends the watch at once.
      continue
    }
    if (tail && clock.now() >= nextLog) {
      await pollLogs()
      continue
    }
    const wake = Math.min(endedAt === undefined ? nextStatus : deadline, tail ? nextLog : Infinity)
    const delay = wake - clock.now()
    if (delay > 0) await clock.sleep(delay, signal)
  }
  result.build = build
  return result
}
