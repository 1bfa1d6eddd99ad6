/**
 * One build of the stand-in: its compiled timeline, its log stream, and its wire shape at a given time.
 * Nothing runs on a timer: the state at time t is computed from the timeline, so a build never lags behind the
 * wall clock and tests see the same shapes whatever the machine's load.
 */
import { LogStore } from './logstore.js'
import {
  agentLine,
  compileTimeline,
  exportedVariableNames,
  phaseCompleteLines,
  type AgentPrefix,
  type PhaseSpan,
  type ResolvedCommand
} from './timeline.js'
import { unitFor } from './prng.js'
import type { Prng } from './prng.js'
import type { BuildScript, BuildStatus, EnvironmentVariable, PhaseType, StartBuildRequest, TerminalStatus, VpcConfig } from './types.js'

export interface BuildInit {
  projectName: string
  buildNumber: number
  uuid: string
  region: string
  accountId: string
  startEpochMs: number
  request: StartBuildRequest
  script: BuildScript
  label: string | undefined
  initiator: string
  environment: BuildEnvironment
  buildspec: string | undefined
  validateBuildspec: boolean
  timeoutInMinutes: number
  queuedTimeoutInMinutes: number
  serviceRole: string
  vpcConfig: VpcConfig | undefined
  logGroup: string | undefined
  logStreamPrefix: string | undefined
  cloudWatchLogsEnabled: boolean
  nullDeepLinkBeforeStream: boolean
  /** The project's agent line prefix (the script's `agentPrefix` overrides it); default `Container`. */
  agentPrefix?: AgentPrefix | undefined
  rng: Prng
  /** Ingestion delay of a script that sets none: [min, max] ms, drawn per 200 ms of timestamps. */
  defaultIngestionDelayMs: [number, number]
  /** How long after the end BatchGetBuilds shows the exported variables. */
  exportedVariablesLagMs: number
  /** Seed of the ingestion draws. */
  seed: number
}

export interface BuildEnvironment {
  type: string
  image: string
  computeType: string
  environmentVariables: Required<EnvironmentVariable>[]
  privilegedMode: boolean
  imagePullCredentialsType: string
  /** The fleet the build runs on (fleetOverride). */
  fleet?: { fleetArn: string }
}

/** Events whose timestamps fall in one window of this many ms share one ingestion delay draw (a batch). */
const INGESTION_WINDOW_MS = 200

/** A log event as exposed to tests; times are epoch ms. */
export interface LogEventInfo {
  index: number
  timestamp: number
  /** = ingestionTime: when GetLogEvents can first return it */
  readableAtEpochMs: number
  /** without the trailing "\n" */
  text: string
  /** Written by the agent (a prefixed line, or a bare continuation line of its multi-line text). */
  agent: boolean
}

function epochSeconds(ms: number): number {
  return Math.round(ms) / 1000
}

export class Build {
  readonly id: string
  readonly arn: string
  readonly uuid: string
  readonly projectName: string
  readonly buildNumber: number
  readonly startEpochMs: number
  readonly request: StartBuildRequest
  readonly label: string | undefined
  readonly initiator: string
  readonly environment: BuildEnvironment
  readonly buildspec: string | undefined
  readonly timeoutInMinutes: number
  readonly queuedTimeoutInMinutes: number
  readonly logGroup: string | undefined
  readonly logStream: string | undefined
  readonly events: LogStore
  /** Per event of `events`: written by the agent. */
  private readonly agentWritten: boolean[] = []
  private readonly agentPrefix: AgentPrefix
  phases: PhaseSpan[]
  commands: ResolvedCommand[]
  /** ms from the start at which the build reaches its terminal status */
  endOffset: number
  finalStatus: TerminalStatus
  /** ms from the start at which the stream appears; null = never */
  streamAt: number | null
  /** epoch ms of the StopBuild call that took effect, if any */
  stopRequestedAtEpochMs: number | undefined

  private readonly region: string
  private readonly accountId: string
  private readonly serviceRole: string
  private readonly vpcConfig: VpcConfig | undefined
  private readonly nullDeepLinkBeforeStream: boolean
  private readonly exportedVariablesLagMs: number
  private readonly cloudWatchLogsEnabled: boolean
  private readonly ingestionDelayMs: number
  private readonly networkInterfaceId: string
  private readonly subnetId: string | undefined

  constructor(init: BuildInit) {
    this.projectName = init.projectName
    this.buildNumber = init.buildNumber
    this.uuid = init.uuid
    this.id = `${init.projectName}:${init.uuid}`
    this.region = init.region
    this.accountId = init.accountId
    this.arn = `arn:aws:codebuild:${init.region}:${init.accountId}:build/${this.id}`
    this.startEpochMs = init.startEpochMs
    this.request = init.request
    this.label = init.label
    this.initiator = init.initiator
    this.environment = init.environment
    this.buildspec = init.buildspec
    this.timeoutInMinutes = init.timeoutInMinutes
    this.queuedTimeoutInMinutes = init.queuedTimeoutInMinutes
    this.serviceRole = init.serviceRole
    this.vpcConfig = init.vpcConfig
    this.nullDeepLinkBeforeStream = init.nullDeepLinkBeforeStream
    this.exportedVariablesLagMs = init.exportedVariablesLagMs
    this.cloudWatchLogsEnabled = init.cloudWatchLogsEnabled
    this.networkInterfaceId = `eni-${init.rng.hex(17)}`
    this.subnetId = init.vpcConfig?.subnets[0]
    if (init.cloudWatchLogsEnabled) {
      this.logGroup = init.logGroup
      this.logStream = init.logStreamPrefix ? `${init.logStreamPrefix}/${init.uuid}` : init.uuid
    }

    const tl = compileTimeline({
      script: init.script,
      startEpochMs: init.startEpochMs,
      uuid: init.uuid,
      buildspec: init.buildspec,
      validateBuildspec: init.validateBuildspec,
      rng: init.rng
    })
    this.phases = tl.phases
    this.commands = tl.commands
    this.endOffset = tl.endOffset
    this.finalStatus = tl.status
    this.streamAt = init.cloudWatchLogsEnabled ? tl.streamAt : null
    // A script's own delay is exact; otherwise the stand-in's default (realistic: a range, drawn per 200 ms window).
    const [minDelay, maxDelay] = init.defaultIngestionDelayMs
    this.ingestionDelayMs = init.script.ingestionDelayMs ?? minDelay
    const spread = init.script.ingestionDelayMs === undefined ? maxDelay - minDelay : 0
    let window = NaN
    let draw = 0
    this.events = new LogStore(
      spread > 0
        ? ts => {
            const w = Math.floor(ts / INGESTION_WINDOW_MS)
            if (w !== window) [window, draw] = [w, Math.round(unitFor(init.seed, 'ingestion', this.id, w) * spread)]
            return draw
          }
        : undefined
    )
    this.agentPrefix = init.script.agentPrefix ?? init.agentPrefix ?? 'Container'

    if (this.streamAt !== null) {
      const streamEpoch = this.startEpochMs + this.streamAt
      const n = tl.lines.length
      const tail = init.script.lateTail
      const tailFrom = tail ? Math.max(0, n - tail.lines) : n
      for (let i = 0; i < n; i++) {
        const line = tl.lines[i]
        if (!line) continue
        const epoch = this.startEpochMs + line.at
        const text = line.agent && !line.continuation ? agentLine(epoch, line.text, this.agentPrefix) : line.text
        const delay = i >= tailFrom && tail ? tail.ingestionDelayMs : this.ingestionDelayMs
        this.events.append(epoch, `${text}\n`, delay, streamEpoch)
        this.agentWritten.push(line.agent)
      }
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // State at a time
  // ------------------------------------------------------------------------------------------------------------

  offset(nowEpochMs: number): number {
    return nowEpochMs - this.startEpochMs
  }

  isComplete(nowEpochMs: number): boolean {
    return this.offset(nowEpochMs) >= this.endOffset
  }

  status(nowEpochMs: number): BuildStatus {
    return this.isComplete(nowEpochMs) ? this.finalStatus : 'IN_PROGRESS'
  }

  /** The phase the build is in at that time. */
  currentPhase(nowEpochMs: number): PhaseType {
    const off = this.offset(nowEpochMs)
    let current: PhaseType = 'SUBMITTED'
    for (const p of this.phases) {
      if (p.start <= off) current = p.type
      else break
    }
    return current
  }

  streamExists(nowEpochMs: number): boolean {
    return this.streamAt !== null && this.offset(nowEpochMs) >= this.streamAt
  }

  /** epoch ms at which the build reaches (or reached) its terminal status */
  get endEpochMs(): number {
    return this.startEpochMs + this.endOffset
  }

  get streamName(): string | undefined {
    return this.logStream
  }

  // ------------------------------------------------------------------------------------------------------------
  // StopBuild
  // ------------------------------------------------------------------------------------------------------------

  /**
   * Stops the build `delayMs` after `nowEpochMs`: the running phase ends STOPPED, COMPLETED follows, and the
   * script's lines from then on are replaced by the agent's final `Phase complete: <phase> State: STOPPED` pair.
   * Returns false if the build completes before the stop would take effect (it then completes normally).
   */
  stop(nowEpochMs: number, delayMs: number): boolean {
    if (this.stopRequestedAtEpochMs !== undefined) return true
    const at = this.offset(nowEpochMs) + delayMs
    if (at >= this.endOffset) return false
    this.stopRequestedAtEpochMs = nowEpochMs

    const kept: PhaseSpan[] = []
    let stoppedPhase: PhaseType | undefined
    for (let i = 0; i < this.phases.length; i++) {
      const p = this.phases[i] as PhaseSpan
      if (p.type === 'COMPLETED') break
      if (p.end !== null && p.end <= at) {
        kept.push(p)
        continue
      }
      // the phase running at `at` (or, if `at` falls between two phases, the next one, with zero length)
      const start = Math.min(p.start, at)
      kept.push({ type: p.type, start, end: at, status: 'STOPPED', contexts: [{ statusCode: '', message: '' }] })
      stoppedPhase = p.type
      break
    }
    kept.push({ type: 'COMPLETED', start: at, end: null, status: 'STOPPED' })
    this.phases = kept
    this.commands = this.commands.filter(c => c.start < at)
    this.endOffset = at
    this.finalStatus = 'STOPPED'

    if (this.streamAt !== null) {
      const atEpoch = this.startEpochMs + at
      // never drop an event a client may already have read
      const cut = Math.max(this.events.firstIndexFrom(atEpoch), this.events.readableCount(nowEpochMs))
      this.events.truncate(cut)
      this.agentWritten.length = cut
      const agentRan = this.phases.some(p => p.type === 'DOWNLOAD_SOURCE')
      if (agentRan && stoppedPhase) {
        const streamEpoch = this.startEpochMs + this.streamAt
        for (const text of phaseCompleteLines(stoppedPhase, 'STOPPED')) {
          this.events.append(atEpoch, `${agentLine(atEpoch, text, this.agentPrefix)}\n`, this.ingestionDelayMs, streamEpoch)
          this.agentWritten.push(true)
        }
      }
      if (this.events.length === 0 && this.streamAt > at) this.streamAt = null
    }
    return true
  }

  // ------------------------------------------------------------------------------------------------------------
  // Wire shape
  // ------------------------------------------------------------------------------------------------------------

  logsLocation(nowEpochMs: number): Record<string, unknown> {
    const s3Logs = { status: 'DISABLED', encryptionDisabled: false }
    if (!this.cloudWatchLogsEnabled) {
      return { cloudWatchLogs: { status: 'DISABLED' }, s3Logs }
    }
    if (!this.streamExists(nowEpochMs) || !this.logGroup || !this.logStream) {
      const out: Record<string, unknown> = { cloudWatchLogs: { status: 'ENABLED' }, s3Logs }
      if (this.nullDeepLinkBeforeStream) {
        out['deepLink'] = `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#logEvent:group=null;stream=null`
      }
      return out
    }
    return {
      groupName: this.logGroup,
      streamName: this.logStream,
      deepLink: `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#logEvent:group=${this.logGroup};stream=${this.logStream}`,
      cloudWatchLogsArn: `arn:aws:logs:${this.region}:${this.accountId}:log-group:${this.logGroup}:log-stream:${this.logStream}`,
      cloudWatchLogs: { status: 'ENABLED' },
      s3Logs
    }
  }

  phasesAt(nowEpochMs: number): Array<Record<string, unknown>> {
    const off = this.offset(nowEpochMs)
    const out: Array<Record<string, unknown>> = []
    for (const p of this.phases) {
      if (p.start > off) break
      const startTime = epochSeconds(this.startEpochMs + p.start)
      if (p.type === 'COMPLETED' || p.end === null || p.end > off) {
        out.push({ phaseType: p.type, startTime })
        continue
      }
      const entry: Record<string, unknown> = {
        phaseType: p.type,
        phaseStatus: p.status,
        startTime,
        endTime: epochSeconds(this.startEpochMs + p.end),
        durationInSeconds: Math.floor((p.end - p.start) / 1000)
      }
      if (p.contexts) entry['contexts'] = p.contexts
      out.push(entry)
    }
    return out
  }

  toJSON(nowEpochMs: number): Record<string, unknown> {
    const complete = this.isComplete(nowEpochMs)
    const out: Record<string, unknown> = {
      id: this.id,
      arn: this.arn,
      buildNumber: this.buildNumber,
      startTime: epochSeconds(this.startEpochMs),
      currentPhase: this.currentPhase(nowEpochMs),
      buildStatus: this.status(nowEpochMs),
      projectName: this.projectName,
      phases: this.phasesAt(nowEpochMs),
      source: { type: 'NO_SOURCE', buildspec: this.buildspec ?? '', insecureSsl: false },
      secondarySources: [],
      secondarySourceVersions: [],
      artifacts: { location: '' },
      secondaryArtifacts: [],
      cache: { type: 'NO_CACHE' },
      environment: this.environment,
      serviceRole: this.serviceRole,
      logs: this.logsLocation(nowEpochMs),
      timeoutInMinutes: this.timeoutInMinutes,
      queuedTimeoutInMinutes: this.queuedTimeoutInMinutes,
      buildComplete: complete,
      initiator: this.initiator,
      encryptionKey: `arn:aws:kms:${this.region}:${this.accountId}:alias/aws/s3`
    }
    if (typeof this.request.sourceVersion === 'string') out['sourceVersion'] = this.request.sourceVersion
    const exported = this.exportedVariables(nowEpochMs)
    if (exported.length > 0) out['exportedEnvironmentVariables'] = exported
    if (complete) out['endTime'] = epochSeconds(this.endEpochMs)
    if (this.vpcConfig) {
      out['vpcConfig'] = this.vpcConfig
      const prov = this.phases.find(p => p.type === 'PROVISIONING')
      if (prov && prov.end !== null && this.offset(nowEpochMs) >= prov.end && prov.status === 'SUCCEEDED' && this.subnetId) {
        out['networkInterface'] = { subnetId: this.subnetId, networkInterfaceId: this.networkInterfaceId }
      }
    }
    return out
  }

  /**
   * The declared exported variables the commands set, as BatchGetBuilds returns them: only from
   * `exportedVariablesLagMs` after the build is complete, and only when POST_BUILD ended by itself (SUCCEEDED or
   * FAILED), since CodeBuild captures them until post_build ends; none after a stop or a timeout before that, none
   * when post_build never ran (pessimistic: see the README's fidelity notes).
   */
  exportedVariables(nowEpochMs: number): Array<{ name: string; value: string }> {
    if (!this.isComplete(nowEpochMs) || nowEpochMs < this.endEpochMs + this.exportedVariablesLagMs) return []
    const post = this.phases.find(p => p.type === 'POST_BUILD')
    if (!post || post.end === null || (post.status !== 'SUCCEEDED' && post.status !== 'FAILED')) return []
    const values = new Map<string, string>()
    for (const c of this.commands) for (const [name, value] of Object.entries(c.exports ?? {})) values.set(name, value)
    return exportedVariableNames(this.buildspec)
      .filter(name => values.has(name))
      .map(name => ({ name, value: values.get(name) as string }))
  }

  // ------------------------------------------------------------------------------------------------------------
  // Test views
  // ------------------------------------------------------------------------------------------------------------

  /** All events of the stream (readable or not yet). */
  logEvents(): LogEventInfo[] {
    const out: LogEventInfo[] = []
    for (let i = 0; i < this.events.length; i++) {
      const message = this.events.messages[i] as string
      out.push({
        index: i,
        timestamp: this.events.timestamps[i] as number,
        readableAtEpochMs: this.events.readable[i] as number,
        text: message.endsWith('\n') ? message.slice(0, -1) : message,
        agent: this.agentWritten[i] ?? false
      })
    }
    return out
  }
}
