/**
 * A local stand-in for AWS CodeBuild and CloudWatch Logs that speaks their wire protocol (AWS JSON 1.1), for the
 * action's end-to-end tests, its demo and its benchmark. See README.md in this folder.
 *
 *   const s = await startStandIn({ projects: [{ name: 'db-migrate', vpcConfig: true, builds: [presets.success({ lines: 20 })] }] })
 *   // run dist/index.js with env { ...process.env, ...s.env, 'INPUT_PROJECT-NAME': 'db-migrate', ... }
 *   const build = await s.waitForBuild('db-migrate')
 *   await s.waitFor(() => build.endedAt !== null)
 *   expect(s.callsOf('StartBuild')).toHaveLength(1)
 *   await s.close()
 */
import { Build, type LogEventInfo } from './build.js'
import type { GitHubStandIn } from './github.js'
import { Rds } from './rds.js'
import type { RdsConfig, SnapshotView } from './rds.js'
import { StandInServer } from './server.js'
import type { PhaseSpan, ResolvedCommand } from './timeline.js'
import type {
  BuildScriptSource,
  BuildStatus,
  FaultPlan,
  FleetConfig,
  PhaseContext,
  ProjectConfig,
  RecordedCall,
  StartBuildRequest,
  TerminalStatus
} from './types.js'
import { World } from './world.js'

export * from './types.js'
export type { GitHubOptions, GitHubStandIn, GitHubUser, IssueComment } from './github.js'
export { ACTIONS_BOT, OCTOCAT } from './github.js'
export * from './scripts.js'
export { agentLine, commandFailedContext, parseBuildspec } from './timeline.js'
export type { PhaseSpan, ResolvedCommand } from './timeline.js'
export type { ExistingSnapshot, RdsConfig, RdsDatabaseConfig, SnapshotScript, SnapshotView } from './rds.js'
export { EVENT_OVERHEAD_BYTES, MAX_PAGE_BYTES, MAX_PAGE_EVENTS, formatToken, parseToken } from './logstore.js'
export { GARBLED_ID_SUFFIX } from './server.js'
export { Prng } from './prng.js'

export interface StandInOptions {
  projects?: ProjectConfig[]
  /** Reserved-capacity fleets, for BatchGetFleets and StartBuild's fleetOverride (fleets.ts). */
  fleets?: FleetConfig[]
  /** Seed of every random decision (ids, faults, latencies, agent micro-seconds). Default 1. */
  seed?: number
  region?: string
  accountId?: string
  faults?: FaultPlan
  /** RDS: DB instances, Aurora clusters and their snapshots (Query protocol). */
  rds?: RdsConfig
  /** Delay between StopBuild and the build being STOPPED, ms. Default 300. */
  stopDelayMs?: number
  /** How long an idempotency token is remembered, ms. Default 300 000 (5 minutes, as AWS). */
  idempotencyWindowMs?: number
  /** StartBuild fails with AccountLimitExceededException when this many builds are in progress. */
  maxConcurrentBuilds?: number
  /** `initiator` of builds started through the stand-in. Default 'github-actions-role/GitHubActions'. */
  initiator?: string
  /** Fail builds whose buildspec is not valid YAML with version and phases (DOWNLOAD_SOURCE, YAML_FILE_ERROR). Default true. */
  validateBuildspec?: boolean
  /** Answer requests without a SigV4 Authorization header with MissingAuthenticationTokenException. Default true. */
  requireAuth?: boolean
  /**
   * Account-wide request quotas per operation, as AWS applies them (a token bucket shared by every caller): a call
   * that finds the bucket empty is answered 400 ThrottlingException and recorded with `injected: 'throttle'`.
   */
  quotas?: Record<string, { perSecond: number; burst?: number }>
  /**
   * Before the stream exists, give `logs.deepLink` as `...#logEvent:group=null;stream=null` (a shape CodeBuild has
   * been seen to return) instead of leaving it out. Default false.
   */
  nullDeepLinkBeforeStream?: boolean
  /**
   * Runs the stand-in's clock this many times faster than real time (default 1). Every time of the stand-in is on
   * that clock: `now()`, the build timelines and their epoch timestamps, `latencyMs`, `stopDelayMs`, the idempotency
   * window, `expiredFromMs`, the `timeoutMs` of the waits. Give a child process the same clock with
   * `TIME_SCALE=<timeScale> TIME_ORIGIN=<clockOrigin>` and `--import __tests__/e2e/scaled-time.mjs` (the e2e
   * runner's `timeScale` and `timeOrigin`). Not to be confused with `realisticMigrationScenario({ timeScale })`,
   * which shortens the scenario's script instead.
   */
  timeScale?: number
  /**
   * How CloudWatch Logs behaves. Default: as real accounts do (`paging: 'realistic'`: pages of 250-300 events / at
   * most 72-88 KB while more is readable, and an empty page with a new forward token at the live end unless the
   * request's endTime is past the stream's end; `ingestionDelayMs: [300, 1500]`, drawn per 200 ms of timestamps, for
   * scripts that set none). `{ paging: 'ideal', ingestionDelayMs: 0 }` (or `IDEAL_LOGS`): full pages, the same token
   * back at the end, events readable at once: for the few tests where that is the point.
   */
  logs?: { paging?: 'realistic' | 'ideal'; ingestionDelayMs?: number | [number, number] }
  /**
   * How long after a build's end BatchGetBuilds starts answering its `exportedEnvironmentVariables`. Default
   * `DEFAULT_EXPORTED_VARIABLES_LAG_MS` (1 s: the answer that first shows the end lacks them); 0: with the end.
   */
  exportedVariablesLagMs?: number
  host?: string
  port?: number
}

export interface WaitOptions {
  /** On the stand-in's clock. Default 10 000 ms. */
  timeoutMs?: number
  /** Poll interval in real ms, default 5 ms. */
  intervalMs?: number
  /** Shown when the wait times out. */
  message?: string
}

/** A log event with its times on the stand-in's clock. */
export interface LogEventView extends LogEventInfo {
  /** ms since the stand-in started at which GetLogEvents could first return it */
  readableAt: number
}

/** A phase with its times on the stand-in's clock (ms since the stand-in started). */
export interface PhaseView {
  type: PhaseSpan['type']
  status: PhaseSpan['status']
  startedAt: number
  endedAt: number | null
  contexts?: PhaseContext[]
}

/** A build as a test sees it. Getters are evaluated at the time they are read. */
export class BuildView {
  /** the underlying build (wire shape via `raw.toJSON(epochMs)`) */
  readonly raw: Build
  private readonly world: World

  constructor(raw: Build, world: World) {
    this.raw = raw
    this.world = world
  }

  get id(): string {
    return this.raw.id
  }
  get arn(): string {
    return this.raw.arn
  }
  get projectName(): string {
    return this.raw.projectName
  }
  get buildNumber(): number {
    return this.raw.buildNumber
  }
  get label(): string | undefined {
    return this.raw.label
  }
  get initiator(): string {
    return this.raw.initiator
  }
  /** The StartBuild request that created it (as parsed). */
  get request(): StartBuildRequest {
    return this.raw.request
  }
  get logGroup(): string | undefined {
    return this.raw.logGroup
  }
  get logStream(): string | undefined {
    return this.raw.logStream
  }
  /** Status now. */
  get status(): BuildStatus {
    return this.raw.status(this.world.epochNow())
  }
  /** The status it ends (or ended) with. */
  get finalStatus(): TerminalStatus {
    return this.raw.finalStatus
  }
  get currentPhase(): PhaseSpan['type'] {
    return this.raw.currentPhase(this.world.epochNow())
  }
  /** ms since the stand-in started (negative for builds that were running before it started) */
  get startedAt(): number {
    return this.raw.startEpochMs - this.world.t0EpochMs
  }
  /** when it reaches its terminal status (scheduled) */
  get endsAt(): number {
    return this.raw.endEpochMs - this.world.t0EpochMs
  }
  /** when it reached its terminal status, or null while it is in progress */
  get endedAt(): number | null {
    const at = this.endsAt
    return this.world.now() >= at ? at : null
  }
  /** when its log stream appears (null: never) */
  get streamAt(): number | null {
    return this.raw.streamAt === null ? null : this.startedAt + this.raw.streamAt
  }
  /** Whether its log stream exists now (GetLogEvents answers instead of ResourceNotFoundException). */
  get streamExists(): boolean {
    return this.raw.streamExists(this.world.epochNow())
  }
  get stopRequestedAt(): number | null {
    const s = this.raw.stopRequestedAtEpochMs
    return s === undefined ? null : s - this.world.t0EpochMs
  }

  /**
   * Every event of its stream as scheduled (including those not logged or not readable yet), with `readableAt`
   * on the stand-in's clock. The schedule only changes when the build is stopped.
   */
  allEvents(): LogEventView[] {
    return this.raw.logEvents().map(e => ({ ...e, readableAt: e.readableAtEpochMs - this.world.t0EpochMs }))
  }

  /** The events logged so far (timestamp <= now), readable or not. */
  events(): LogEventView[] {
    const now = this.world.epochNow()
    return this.allEvents().filter(e => e.timestamp <= now)
  }

  /** The events GetLogEvents can return now. */
  readableEvents(): LogEventView[] {
    const n = this.raw.events.readableCount(this.world.epochNow())
    return this.allEvents().slice(0, n)
  }

  /** The texts (without "\n") of the events logged so far, agent lines included. */
  lines(): string[] {
    return this.events().map(e => e.text)
  }

  /**
   * The texts of the events logged so far that the CodeBuild agent did not write (i.e. the task's output): neither
   * its prefixed lines nor the bare continuation lines of a multi-line command it echoes.
   */
  outputLines(): string[] {
    return this.events()
      .filter(e => !e.agent)
      .map(e => e.text)
  }

  phases(): PhaseView[] {
    return this.raw.phases.map(p => {
      const v: PhaseView = {
        type: p.type,
        status: p.status,
        startedAt: this.startedAt + p.start,
        endedAt: p.end === null ? null : this.startedAt + p.end
      }
      if (p.contexts) v.contexts = p.contexts
      return v
    })
  }

  /** The commands it runs (buildspec commands matched with the script's), times relative to the build's start. */
  commands(): ResolvedCommand[] {
    return this.raw.commands
  }

  /** The context of the phase that failed, if any. */
  failureContext(): PhaseContext | undefined {
    const p = this.raw.phases.find(x => x.type !== 'COMPLETED' && x.status !== 'SUCCEEDED' && x.status !== 'IN_PROGRESS')
    return p?.contexts?.[0]
  }

  /** What BatchGetBuilds answers for it now. */
  snapshot(): Record<string, unknown> {
    return this.raw.toJSON(this.world.epochNow())
  }

  /** Stops it as if from the console (not recorded as a call). */
  stop(): boolean {
    return this.raw.stop(this.world.epochNow(), this.world.options.stopDelayMs)
  }
}

export interface StandIn {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string
  /** The GitHub REST stand-in on the same port: point GITHUB_API_URL at `endpoint`. */
  readonly github: GitHubStandIn
  readonly port: number
  readonly region: string
  /** How many times faster than real time its clock runs (option `timeScale`; 1: real time). */
  readonly timeScale: number
  /**
   * The real epoch ms at which its clock started: its epoch time is `clockOrigin + (Date.now() - clockOrigin) *
   * timeScale`, so a child process scaled around the same origin (scaled-time.mjs, `TIME_ORIGIN`) shares its dates.
   */
  readonly clockOrigin: number
  /**
   * Environment for a child process using the real SDK against the stand-in: AWS_ENDPOINT_URL, fake credentials
   * (AKIDTEST / test), AWS_REGION, and AWS_EC2_METADATA_DISABLED.
   */
  readonly env: Record<string, string>
  /** Credentials for SDK clients created in the test process. */
  readonly credentials: { accessKeyId: string; secretAccessKey: string }
  /** Every call, in the order answered (live array). */
  readonly calls: readonly RecordedCall[]
  /** Every build (pre-existing ones first, then in StartBuild order). */
  readonly builds: BuildView[]
  /** ms since the stand-in started: the clock of `calls[].at`, `readableAt`, `endedAt`, ... */
  now(): number
  /** Converts an epoch-ms time to the stand-in's clock. */
  fromEpoch(epochMs: number): number
  /** Converts a `performance.now()` reading of this process (e.g. when a child's stdout line arrived). */
  fromPerformanceNow(t: number): number
  callsOf(operation: string): RecordedCall[]
  build(idOrArn: string): BuildView | undefined
  buildsOf(projectName: string): BuildView[]
  /** Builds started through StartBuild (not the pre-existing ones). */
  startedBuilds(projectName?: string): BuildView[]
  /** Declares another project while running. */
  addProject(config: ProjectConfig): void
  /** Appends scripts to a project's queue (consumed by the next StartBuild calls, before `defaultBuild`). */
  queueBuilds(projectName: string, ...scripts: BuildScriptSource[]): void
  /** Replaces the fault plan (e.g. `{}` to stop injecting). */
  setFaults(plan: FaultPlan): void
  /** Registers a listener for every recorded call; returns an unsubscribe function. */
  onCall(listener: (call: RecordedCall) => void): () => void
  /** Resolves with fn()'s value once it is truthy; rejects after `timeoutMs`. */
  waitFor<T>(fn: () => T | undefined | null | false, opts?: WaitOptions): Promise<T>
  /** Resolves with the n-th (1-based) call of an operation once it has been answered. */
  waitForCall(operation: string, n?: number, opts?: WaitOptions): Promise<RecordedCall>
  /** Resolves with the n-th (1-based) build started through StartBuild (of a project, or of any). */
  waitForBuild(projectName?: string, n?: number, opts?: WaitOptions): Promise<BuildView>
  /** Resolves when the build has reached its terminal status. */
  waitForEnd(build: BuildView, opts?: WaitOptions): Promise<BuildView>
  /** RDS manual snapshots (pre-existing and created), with their status now. */
  snapshots(): SnapshotView[]
  close(): Promise<void>
}

async function waitFor<T>(world: World, fn: () => T | undefined | null | false, opts: WaitOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000
  const intervalMs = opts.intervalMs ?? 5
  const deadline = world.now() + timeoutMs
  for (;;) {
    const v = fn()
    if (v !== undefined && v !== null && v !== false) return v
    if (world.now() > deadline) throw new Error(`stand-in: timed out after ${timeoutMs} ms${opts.message ? `: ${opts.message}` : ''}`)
    await new Promise(r => setTimeout(r, intervalMs))
  }
}

/**
 * The default ingestion delay: CloudWatch documents none for GetLogEvents ("typically within seconds" is an
 * assumption, see the README's fidelity notes); 0.3-1.5 s is what the stand-in assumes.
 */
export const DEFAULT_INGESTION_DELAY_MS: [number, number] = [300, 1_500]

/**
 * When BatchGetBuilds starts showing a build's exported variables is undocumented (the API reference's
 * `ExportedEnvironmentVariable` says only that they cannot change after post_build ends): the stand-in shows them 1 s
 * after the build's end, so the answer that first shows the end lacks them (see the README's fidelity notes).
 */
export const DEFAULT_EXPORTED_VARIABLES_LAG_MS = 1_000

/** CloudWatch Logs as an ideal service: full pages, the same token at the end, events readable at once. */
export const IDEAL_LOGS = { paging: 'ideal', ingestionDelayMs: 0 } as const

function delayRange(d: number | [number, number]): [number, number] {
  return typeof d === 'number' ? [d, d] : d
}

/** Starts the stand-in on 127.0.0.1 (ephemeral port unless `port` is given). */
export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const seed = options.seed ?? 1
  const region = options.region ?? 'us-east-1'
  const world = new World(
    {
      seed,
      region,
      accountId: options.accountId ?? '123456789012',
      stopDelayMs: options.stopDelayMs ?? 300,
      idempotencyWindowMs: options.idempotencyWindowMs ?? 300_000,
      maxConcurrentBuilds: options.maxConcurrentBuilds,
      initiator: options.initiator ?? 'github-actions-role/GitHubActions',
      validateBuildspec: options.validateBuildspec ?? true,
      nullDeepLinkBeforeStream: options.nullDeepLinkBeforeStream ?? false,
      timeScale: options.timeScale ?? 1,
      paging: options.logs?.paging ?? 'realistic',
      ingestionDelayMs: delayRange(options.logs?.ingestionDelayMs ?? DEFAULT_INGESTION_DELAY_MS),
      exportedVariablesLagMs: options.exportedVariablesLagMs ?? DEFAULT_EXPORTED_VARIABLES_LAG_MS
    },
    options.projects ?? [],
    options.fleets ?? []
  )
  const rds = new Rds(options.rds ?? {}, region, world.options.accountId, () => world.epochNow())
  const server = new StandInServer(
    world,
    {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      seed,
      faults: options.faults ?? {},
      requireAuth: options.requireAuth ?? true,
      quotas: options.quotas ?? {}
    },
    rds
  )
  const port = await server.listen()
  const host = options.host ?? '127.0.0.1'
  const endpoint = `http://${host}:${port}`
  const preexisting = new Set(world.builds.map(b => b.id))
  const views = new Map<string, BuildView>()
  const view = (b: Build): BuildView => {
    let v = views.get(b.id)
    if (!v) {
      v = new BuildView(b, world)
      views.set(b.id, v)
    }
    return v
  }
  const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' }

  const standIn: StandIn = {
    endpoint,
    github: server.github,
    port,
    region,
    timeScale: world.timeScale,
    clockOrigin: world.t0EpochMs,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REGION: region,
      AWS_EC2_METADATA_DISABLED: 'true'
    },
    credentials,
    calls: server.calls,
    get builds(): BuildView[] {
      return world.builds.map(view)
    },
    now: () => world.now(),
    fromEpoch: epochMs => epochMs - world.t0EpochMs,
    fromPerformanceNow: t => world.fromPerformanceNow(t),
    callsOf: operation => server.calls.filter(c => c.operation === operation),
    build: idOrArn => {
      const b = world.findBuild(idOrArn)
      return b ? view(b) : undefined
    },
    buildsOf: projectName => world.builds.filter(b => b.projectName === projectName).map(view),
    startedBuilds: projectName =>
      world.builds.filter(b => !preexisting.has(b.id) && (projectName === undefined || b.projectName === projectName)).map(view),
    addProject: config => {
      world.addProject(config)
      for (const b of world.builds) if (b.projectName === config.name) preexisting.add(b.id)
    },
    queueBuilds: (projectName, ...scripts) => world.queueBuilds(projectName, scripts),
    setFaults: plan => server.setFaults(plan),
    onCall: listener => server.onCall(listener),
    waitFor: (fn, opts) => waitFor(world, fn, opts),
    waitForCall: (operation, n = 1, opts) =>
      waitFor(world, () => server.calls.filter(c => c.operation === operation)[n - 1], {
        message: `call ${n} of ${operation}`,
        ...opts
      }),
    waitForBuild: (projectName, n = 1, opts) =>
      waitFor(world, () => standIn.startedBuilds(projectName)[n - 1], {
        message: `build ${n}${projectName ? ` of ${projectName}` : ''}`,
        ...opts
      }),
    waitForEnd: (build, opts) =>
      waitFor(world, () => (build.endedAt !== null ? build : undefined), { message: `end of ${build.id}`, timeoutMs: 30_000, ...opts }),
    snapshots: () => rds.views(),
    close: () => server.close()
  }
  return standIn
}
