/**
 * Watching a build to its end: status polls (BatchGetBuilds) and log polls (GetLogEvents) on their own schedules,
 * so log lines arrive within about a second while the API budget stays small, and the step ends as soon as the
 * build has ended and its log is complete.
 *
 * A fault in watching never decides the build's fate: every call is bounded in time, and timeouts, resets, 5xx,
 * throttling and garbled answers are retried. Watching gives up only after `giveUpMs` of failed status polls in a
 * row, when CodeBuild refuses to describe the build, or when the credentials expire; the build goes on either way.
 */
import { BatchGetBuildsCommand, StatusType } from '@aws-sdk/client-codebuild'
import type { Build, CodeBuildClient } from '@aws-sdk/client-codebuild'
import type { CloudWatchLogsClient, OutputLogEvent } from '@aws-sdk/client-cloudwatch-logs'
import { ENDING_PHASES, LOGGED_PHASES, PhaseProgress } from './agent-log.js'
import {
  errorText,
  INPUT_NAMES,
  isAccessDenied,
  isExpiredCredentials,
  isThrottled,
  isTransient,
  MalformedAnswerError,
  WatchError
} from '../errors/index.js'
import { abortReason, Inputs } from '../support/index.js'
import type { SettingNames } from '../errors/index.js'
import type { Clock } from '../support/index.js'
import { DEFAULT_SHARE_TIMING, LogPacer } from './log-pacing.js'
import type { ShareTiming } from './log-pacing.js'
import { LogTail } from './logs.js'
import type { Caller, DrainOptions } from './logs.js'
import { Backoff, withTimeLimit } from '../aws/index.js'

export { WatchError }

/** Every number of the watch loop, in one table. */
export interface Timing {
  /** Status polls before the log stream exists (queued, provisioning): 2 s, 4 s, then this. */
  statusQueuedMs: number
  /** Status polls while the log shows the build running. */
  statusRunningMs: number
  /** Status polls once the build is about to end (last phases reached). */
  statusEndingMs: number
  /** Status polls when logs are not shown. */
  statusNoLogsMs: number
  /** Log polls while lines flow, and for the first `fastEmptyPolls` empty polls; then slow, then idle. */
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
  /**
   * The drain asks for events before the build's end time plus this margin (the build host's clock and CodeBuild's
   * may differ a little): the stream's end is then the same token back on an empty page.
   */
  drainEndMarginMs: number
  /** While the drain still brings lines, its wait is extended (by `drainGraceMinMs` each time), up to this long after the end was seen. */
  drainLimitMs: number
  /** How long the "about to end" pace lasts after it was triggered. */
  endingWindowMs: number
  /** Back-off after a failed status poll (exponential, full jitter). */
  statusRetryBaseMs: number
  statusRetryCapMs: number
  /**
   * Back-off after a failed log poll: short, and never longer than the pace while lines flow. Scattered throttles are
   * not a quota (waiting longer does not make them rarer), and retrying at most once a second never calls faster
   * than the loop does anyway.
   */
  logRetryBaseMs: number
  logRetryCapMs: number
  /** Log polls are spread at random by up to this fraction of their pause, either way. */
  logJitter: number
  /**
   * No call, its SDK retries included, is awaited longer than this (the SDK abandons a silent request after 10 s,
   * see clients.ts; this bounds its retries too). The loop makes one call at a time, so this is also the longest
   * the other schedule can be held up.
   */
  callLimitMs: number
  /** Status polls failing for this long in a row: watching gives up (the build goes on). */
  giveUpMs: number
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
  drainEndMarginMs: 5_000,
  drainLimitMs: 60_000,
  endingWindowMs: 30_000,
  statusRetryBaseMs: 1_000,
  statusRetryCapMs: 15_000,
  logRetryBaseMs: 400,
  logRetryCapMs: 1_000,
  logJitter: 0.1,
  callLimitMs: 15_000,
  giveUpMs: 5 * 60_000
}

/** Catching up held back by the cap this long (a page's wait): worth a notice. */
const CAP_NOTICE_WAIT_MS = 500

export interface WatchDeps {
  codebuild: CodeBuildClient
  logs: CloudWatchLogsClient
  clock: Clock
  random?: () => number
}

export interface WatchHooks {
  /** A page of log events, in order. */
  onEvents?(events: OutputLogEvent[]): void
  /** One line for the workflow log (plain text, the action's own words with outside text flattened). */
  onNotice?(message: string): void
  onWarning?(message: string): void
}

export interface WatchOptions {
  showLogs: boolean
  /** `max-log-requests-per-minute`: at most this many GetLogEvents calls a minute, the drain after the end included. */
  maxLogRequestsPerMinute?: number
  /** How the front end writes a setting (default: the action's input names). */
  names?: SettingNames
  signal?: AbortSignal
  timing?: Partial<Timing>
  /** The fair-share pacing's numbers (tests and the simulation try others). */
  fairShare?: Partial<ShareTiming>
}

export interface WatchResult {
  build: Build
  statusCalls: number
  logCalls: number
  logEvents: number
  /**
   * The log was read to its end (the stream's end under the drain's end time, or the last phase's end line), not
   * cut by the drain's time limit. False also when the log was not shown (disabled, denied, `show-logs: false`).
   */
  logComplete: boolean
  /** The log was being read when watching ended (shown, and its stream had appeared). */
  logRead: boolean
}

function isTerminal(build: Build | undefined): boolean {
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

/** What the status schedule looks at. */
export interface StatusView {
  /** Logs are to be shown and readable (not disabled, not denied). */
  logsShown: boolean
  /** The log stream is known (the build has started logging). */
  streamOpen: boolean
  /** Status polls made while waiting for the stream. */
  queuedPolls: number
  /** The build is in, or the log shows, its last phases. */
  ending: boolean
}

/** The status schedule: the pause before the next BatchGetBuilds of a build in progress. */
export function statusDelay(t: Timing, v: StatusView): number {
  if (v.logsShown && !v.streamOpen) return Math.min(t.statusQueuedMs, 2_000 * 2 ** v.queuedPolls)
  if (v.ending) return t.statusEndingMs
  if (!v.logsShown) return t.statusNoLogsMs
  return t.statusRunningMs
}

/** What the log schedule looks at. */
export interface LogView {
  ended: boolean
  ending: boolean
  /** Polls in a row that brought no line. */
  emptyPolls: number
}

/** The log schedule: the pause before the next GetLogEvents after a poll that worked. */
export function logDelay(t: Timing, v: LogView): number {
  if (v.ended) return t.drainPollMs
  if (v.ending || v.emptyPolls <= t.fastEmptyPolls) return t.logFastMs
  if (v.emptyPolls <= t.slowEmptyPolls) return t.logSlowMs
  return t.logIdleMs
}

/** The agent logged the end of the build's last phase (it SUCCEEDED or FAILED after a logged phase): that line ends the log. */
function endIsLogged(build: Build): boolean {
  const ended = build.buildStatus === StatusType.SUCCEEDED || build.buildStatus === StatusType.FAILED
  return ended && lastLoggedPhase(build) !== undefined
}

/**
 * The drain: how long after seeing the build's end (at `seenAt`) the log's last lines are awaited, unless the log
 * shows its own end first.
 */
export function drainWindow(t: Timing, build: Build, seenAt: number, ingestionLagMs: number): number {
  if (endIsLogged(build)) return t.drainGraceMaxMs
  const endMs = build.endTime ? build.endTime.getTime() : seenAt
  return Math.min(t.drainGraceMaxMs, Math.max(t.drainGraceMinMs, endMs + ingestionLagMs + 1_000 - seenAt))
}

export function watchBuild(deps: WatchDeps, started: Build, hooks: WatchHooks, options: WatchOptions): Promise<WatchResult> {
  return new BuildWatcher(deps, started, hooks, options).run()
}

/** One watch: its state in fields, each schedule a method; `run` interleaves them. */
class BuildWatcher {
  private readonly t: Timing
  private readonly id: string
  private readonly watchStart: number
  private readonly progress = new PhaseProgress()
  private readonly statusBackoff: Backoff
  private readonly logBackoff: Backoff
  private readonly result: WatchResult
  /** Aborted when watching ends, whatever the reason: no call outlives it. */
  private readonly stopCalls = new AbortController()
  private readonly callSignal: AbortSignal
  private readonly pacer: LogPacer
  private readonly random: () => number

  private build: Build
  private tail: LogTail | undefined
  private logsShown: boolean
  private queuedPolls = 0
  private emptyPolls = 0
  private endingUntil = 0
  private endedAt: number | undefined
  private deadline = Infinity
  private nextStatus: number
  private nextLog = Infinity
  private statusTroubleSince: number | undefined
  private lastPhaseNotice: string | undefined
  private retryNoticeShown = false
  private capNoticeShown = false
  /** The drain after the end read the stream to its end, in a drain that started once late lines had had their time. */
  private reachedEnd = false
  /** For a build whose log does not show its end: from then on, the stream's end under the end time is the log's end. */
  private settleAt = Infinity

  constructor(
    private readonly deps: WatchDeps,
    started: Build,
    private readonly hooks: WatchHooks,
    private readonly options: WatchOptions
  ) {
    const t = (this.t = { ...DEFAULT_TIMING, ...options.timing })
    this.id = started.id as string
    this.watchStart = deps.clock.now()
    this.random = deps.random ?? Math.random
    this.statusBackoff = new Backoff(t.statusRetryBaseMs, t.statusRetryCapMs, deps.random)
    this.logBackoff = new Backoff(t.logRetryBaseMs, t.logRetryCapMs, deps.random)
    this.result = { build: started, statusCalls: 0, logCalls: 0, logEvents: 0, logComplete: false, logRead: false }
    this.callSignal = options.signal ? AbortSignal.any([options.signal, this.stopCalls.signal]) : this.stopCalls.signal
    this.pacer = new LogPacer(
      options.maxLogRequestsPerMinute ? 60_000 / options.maxLogRequestsPerMinute : 0,
      {
        ...DEFAULT_SHARE_TIMING,
        paceMs: t.logFastMs,
        ...options.fairShare
      },
      deps.random
    )
    this.build = started
    this.logsShown = options.showLogs
    this.nextStatus = deps.clock.now() + Math.min(1_000, t.statusQueuedMs)
  }

  private readonly limited: Caller = call => withTimeLimit(this.deps.clock, this.t.callLimitMs, this.callSignal, call)

  /**
   * Log calls wait for their slot (the cap of max-log-requests-per-minute, and the fair share of the account's quota
   * for polls until the build has ended: catching up, and the drain after the end, keep only the cap), and tell the
   * pacer whether they were throttled. When the cap holds catching up back, a notice says so (once).
   */
  private readonly paced: Caller = async (call, followUp = false) => {
    const waited = await this.pacer.slot(this.deps.clock, this.callSignal, followUp || this.endedAt !== undefined)
    if (followUp && waited >= CAP_NOTICE_WAIT_MS && !this.capNoticeShown) {
      this.capNoticeShown = true
      this.hooks.onNotice?.(
        `${(this.options.names ?? INPUT_NAMES).name(Inputs.MaxLogRequestsPerMinute)} (${this.options.maxLogRequestsPerMinute ?? ''}) holds the log back: lines are shown later than CloudWatch has them. Raise it to catch up sooner.`
      )
    }
    try {
      const answer = await this.limited(call)
      this.pacer.record(false)
      return answer
    } catch (error) {
      if (isThrottled(error)) this.pacer.record(true)
      throw error
    }
  }

  /** Cancellation and expired credentials end watching at once; the rest is for the caller to judge. */
  private stopIfFinal(error: unknown): void {
    if (this.options.signal?.aborted) throw abortReason(this.options.signal)
    if (isExpiredCredentials(error)) throw new WatchError('credentials-expired', this.build, this.deps.clock.now() - this.watchStart, error)
  }

  private retryNotice(what: string, error: unknown, delay: number): void {
    if (this.retryNoticeShown) return
    this.retryNoticeShown = true
    this.hooks.onNotice?.(`${what} answered ${errorText(error)}; retrying in ${(delay / 1000).toFixed(1)} s (further retries are silent)`)
  }

  private readonly onEvents = (events: OutputLogEvent[]): void => {
    const now = this.deps.clock.now()
    let ending = false
    for (const e of events) {
      const event = this.progress.observe(e.message ?? '')
      if (event && event.kind !== 'context' && ENDING_PHASES.has(event.phase)) ending = true
      if (event?.kind === 'complete' && event.phase === 'BUILD') ending = true
    }
    this.hooks.onEvents?.(events)
    if (ending && this.endedAt === undefined) {
      // The log shows the last phases: check the status now rather than at the next scheduled poll.
      if (now >= this.endingUntil) this.nextStatus = Math.min(this.nextStatus, now)
      this.endingUntil = now + this.t.endingWindowMs
    }
  }

  private openTail(): void {
    if (this.tail || !this.logsShown) return
    const group = this.build.logs?.groupName
    const stream = this.build.logs?.streamName
    if (!group || !stream) return
    this.tail = new LogTail(this.deps.logs, group, stream, this.onEvents, () => this.deps.clock.now())
    this.nextLog = this.deps.clock.now()
  }

  /** The status schedule: one BatchGetBuilds, and when the next one is due. */
  private async pollStatus(): Promise<void> {
    const now = this.deps.clock.now()
    try {
      this.result.statusCalls++
      const response = await this.limited(s => this.deps.codebuild.send(new BatchGetBuildsCommand({ ids: [this.id] }), { abortSignal: s }))
      const found = response.builds?.find(b => b.id === this.id)
      if (!found) throw new MalformedAnswerError('BatchGetBuilds', `no build ${this.id}`)
      this.build = found
      this.statusBackoff.reset()
      this.statusTroubleSince = undefined
    } catch (error) {
      this.stopIfFinal(error)
      if (!isTransient(error)) throw new WatchError('refused', this.build, now - this.watchStart, error)
      this.statusTroubleSince ??= now
      if (now - this.statusTroubleSince >= this.t.giveUpMs) throw new WatchError('gave-up', this.build, now - this.watchStart, error)
      const delay = this.statusBackoff.next()
      this.retryNotice('CodeBuild', error, delay)
      this.nextStatus = now + delay
      return
    }
    this.afterStatus(now)
  }

  private afterStatus(now: number): void {
    const build = this.build
    if (this.logsShown && build.logs?.cloudWatchLogs?.status === 'DISABLED') {
      this.logsShown = false
      this.hooks.onWarning?.(
        `The project's CloudWatch Logs are disabled: the build's log cannot be shown. Enable them in the project's logs configuration.`
      )
    }
    this.openTail()
    if (!this.tail && build.currentPhase && build.currentPhase !== this.lastPhaseNotice && !isTerminal(build)) {
      this.lastPhaseNotice = build.currentPhase
      this.hooks.onNotice?.(`Build phase: ${build.currentPhase}`)
    }
    const clockNow = this.deps.clock.now()
    if (isTerminal(build)) {
      this.endedAt = clockNow
      this.deadline = clockNow + drainWindow(this.t, build, clockNow, this.tail?.maxIngestionLagMs ?? 0)
      if (!endIsLogged(build)) {
        // No end line to wait for: the stream's end counts once late lines have had their time (and reads get a
        // little time beyond that to reach it).
        this.settleAt = this.deadline
        this.deadline += this.t.drainGraceMinMs
      }
      this.nextLog = Math.min(this.nextLog, clockNow)
      return
    }
    const ending = (build.currentPhase !== undefined && ENDING_PHASES.has(build.currentPhase)) || clockNow < this.endingUntil
    const view: StatusView = { logsShown: this.logsShown, streamOpen: this.tail !== undefined, queuedPolls: this.queuedPolls, ending }
    if (this.logsShown && !this.tail) this.queuedPolls++
    this.nextStatus = now + statusDelay(this.t, view)
  }

  /** The log schedule: read what is readable now, and when to read next. */
  private async pollLogs(): Promise<void> {
    const now = this.deps.clock.now()
    const tail = this.tail as LogTail
    try {
      const settled = now >= this.settleAt
      const drained = await tail.drain(this.paced, this.drainOptions())
      this.result.logCalls += drained.calls
      this.result.logEvents += drained.events
      this.logBackoff.reset()
      this.emptyPolls = drained.events > 0 ? 0 : this.emptyPolls + 1
      if (drained.reachedEnd && settled) this.reachedEnd = true
      if (this.endedAt !== undefined && drained.events > 0) {
        // Lines still coming after the end (a burst just before it): wait for the rest, within the drain's limit.
        const clockNow = this.deps.clock.now()
        this.deadline = Math.max(this.deadline, Math.min(clockNow + this.t.drainGraceMinMs, this.endedAt + this.t.drainLimitMs))
      }
    } catch (error) {
      this.stopIfFinal(error)
      if (isAccessDenied(error)) {
        this.hooks.onWarning?.(
          `Cannot read the build's log (${errorText(error)}); the build is still watched to its end. Grant logs:GetLogEvents on ${tail.group} to see it.`
        )
        this.tail = undefined
        this.logsShown = false
        this.nextLog = Infinity
        return
      }
      // Anything else (timeouts, throttling, 5xx, a garbled page) is tried again: the log is never given up. After a
      // throttle, the fair-share rule may set the retry (short and fixed for the first two in a row once settled).
      const delay = (isThrottled(error) ? this.pacer.retryAfterThrottleMs() : undefined) ?? this.logBackoff.next()
      this.retryNotice('CloudWatch Logs', error, delay)
      this.nextLog = now + delay
      return
    }
    const pause = logDelay(this.t, { ended: this.endedAt !== undefined, ending: now < this.endingUntil, emptyPolls: this.emptyPolls })
    this.nextLog = now + pause * (1 + (this.random() - 0.5) * 2 * this.t.logJitter)
    if (this.endedAt === undefined && this.statusTroubleSince === undefined && this.nextStatus > now + this.t.statusRunningMs)
      this.nextStatus = now + this.t.statusRunningMs
  }

  /** During the build: follow a backlog at once. After its end: read to the stream's end, under an end time. */
  private drainOptions(): DrainOptions {
    if (this.endedAt === undefined) return { stop: () => this.endedAt !== undefined }
    const end = this.build.endTime?.getTime() ?? this.endedAt
    // The last phase's end line shown: nothing is left to read, so the confirming empty page is not asked for.
    const stop = (): boolean => this.deps.clock.now() >= this.deadline || this.endShown()
    return { endTime: end + this.t.drainEndMarginMs, stop }
  }

  /** When the next log poll goes out: its schedule, and the pacer's slot (so the build's end is never waited out). */
  private logDue(): number {
    return Math.max(this.nextLog, this.pacer.readyAt(this.endedAt !== undefined))
  }

  /** The log has shown the end of the last phase the agent logs (its `Phase complete` line and context line). */
  private endShown(): boolean {
    return this.progress.hasShownEndOf(lastLoggedPhase(this.build))
  }

  /** The drain: once the build has ended, whether its log is complete or the wait for it is over. */
  private drained(): boolean {
    if (!this.tail) return true
    if (this.reachedEnd || this.endShown()) {
      this.result.logComplete = true
      return true
    }
    return this.deps.clock.now() >= this.deadline
  }

  /** The two schedules run side by side: a slow or hung call of one never holds the other up. */
  async run(): Promise<WatchResult> {
    const { clock } = this.deps
    let statusCall: Promise<void> | undefined
    let logCall: Promise<void> | undefined
    let failure: { error: unknown } | undefined
    const track = (call: Promise<void>, done: () => void): Promise<void> =>
      call.then(
        () => done(),
        (error: unknown) => {
          done()
          failure ??= { error }
        }
      )
    const cancelled = new Promise<void>(resolve => this.callSignal.addEventListener('abort', () => resolve(), { once: true }))
    try {
      for (;;) {
        this.options.signal?.throwIfAborted()
        if (failure) throw failure.error
        if (this.endedAt !== undefined && !logCall && this.drained()) break
        if (this.endedAt === undefined && !statusCall && clock.now() >= this.nextStatus) {
          statusCall = track(this.pollStatus(), () => (statusCall = undefined))
          continue
        }
        if (this.tail && !logCall && clock.now() >= this.logDue()) {
          logCall = track(this.pollLogs(), () => (logCall = undefined))
          continue
        }
        const due = Math.min(
          this.endedAt === undefined && !statusCall ? this.nextStatus : Infinity,
          this.tail && !logCall ? this.logDue() : Infinity,
          this.endedAt !== undefined ? this.deadline : Infinity
        )
        const pause = new AbortController()
        const sleeping = due === Infinity ? new Promise<void>(() => undefined) : clock.sleep(Math.max(0, due - clock.now()), pause.signal)
        try {
          await Promise.race([sleeping, cancelled, ...[statusCall, logCall].filter(c => c !== undefined)])
        } finally {
          pause.abort()
          sleeping.catch(() => undefined)
        }
      }
    } finally {
      // Calls still out (cancellation, a failure of the other schedule) are abandoned, not left to print later.
      this.stopCalls.abort()
      await Promise.allSettled([statusCall, logCall])
    }
    this.result.build = this.build
    this.result.logRead = this.tail !== undefined
    return this.result
  }
}
