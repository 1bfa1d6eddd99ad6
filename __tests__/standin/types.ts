/**
 * Public types of the CodeBuild / CloudWatch Logs stand-in.
 *
 * Times in scripts are milliseconds relative to the build's start (the moment StartBuild was answered), or relative
 * to the start of the command / phase where documented. Times in the recording API (`calls[].at`, `readableAt`,
 * `endedAt`, ...) are milliseconds since the stand-in started: compare them with `standIn.now()`.
 */

export type PhaseType =
  | 'SUBMITTED'
  | 'QUEUED'
  | 'PROVISIONING'
  | 'DOWNLOAD_SOURCE'
  | 'INSTALL'
  | 'PRE_BUILD'
  | 'BUILD'
  | 'POST_BUILD'
  | 'UPLOAD_ARTIFACTS'
  | 'FINALIZING'
  | 'COMPLETED'

export const PHASE_ORDER: readonly PhaseType[] = [
  'SUBMITTED',
  'QUEUED',
  'PROVISIONING',
  'DOWNLOAD_SOURCE',
  'INSTALL',
  'PRE_BUILD',
  'BUILD',
  'POST_BUILD',
  'UPLOAD_ARTIFACTS',
  'FINALIZING',
  'COMPLETED'
]

export type TerminalStatus = 'SUCCEEDED' | 'FAILED' | 'FAULT' | 'TIMED_OUT' | 'STOPPED'
export type BuildStatus = TerminalStatus | 'IN_PROGRESS'
export type PhaseStatus = TerminalStatus | 'IN_PROGRESS'

export interface PhaseContext {
  statusCode: string
  message: string
}

export type EnvironmentVariableType = 'PLAINTEXT' | 'PARAMETER_STORE' | 'SECRETS_MANAGER'

export interface EnvironmentVariable {
  name: string
  value: string
  type?: EnvironmentVariableType
}

// ---------------------------------------------------------------------------------------------------------------
// Build scripts
// ---------------------------------------------------------------------------------------------------------------

/** One line at a fixed offset (ms) from the start of its command. */
export interface TimedLine {
  atMs: number
  text: string
}

/**
 * `count` lines produced by `text(i)` (i = 0 .. count-1), one every `everyMs` ms (0 = a burst: all lines in the
 * same millisecond), starting `startMs` after the command started or, if absent, right after the previous piece.
 */
export interface LineGenerator {
  count: number
  everyMs?: number
  startMs?: number
  text: (i: number) => string
}

/**
 * Output of a command: pieces laid out one after the other. A string is one line, `lineGapMs` after the previous
 * one; a TimedLine is placed at its offset (never before the previous line); a LineGenerator is a run of lines.
 * Lines must not contain "\n": each becomes one log event whose message is the text plus "\n".
 */
export type OutputPiece = string | TimedLine | LineGenerator

export interface ScriptCommand {
  /**
   * The command as printed in `Running command <command>`. When the build has a buildspec (buildspecOverride, else
   * the project's), it decides which commands run:
   * - a RegExp claims the first unclaimed command of the same buildspec phase that matches it; if none matches,
   *   this script command is not run at all;
   * - a string claims an identical buildspec command, else it runs after the buildspec's commands;
   * - absent, it claims the next unclaimed buildspec command, else it runs after them;
   * buildspec commands nothing claims run silently (10 ms each) in their place.
   * Without a buildspec, the script's commands run as written (a RegExp prints `fallback`, or its source).
   */
  command?: string | RegExp
  fallback?: string
  output?: OutputPiece[]
  /** Minimum run time of the command in ms (it lasts at least until its last line). Default 10. */
  durationMs?: number
  /** Non-zero: the command fails, the phase fails with COMMAND_EXECUTION_ERROR. Default 0. */
  exitStatus?: number
  /** Gap between plain string lines, ms. Default 2. */
  lineGapMs?: number
  /**
   * Variables the command sets in the build's shell (when it ends; a later command's value wins). Those the
   * buildspec declares in `env: exported-variables` are what BatchGetBuilds returns as `exportedEnvironmentVariables`,
   * once the build is complete and only when its POST_BUILD phase ended (not when it was stopped or timed out first).
   */
  exports?: Record<string, string>
}

export type ScriptPhase = 'INSTALL' | 'PRE_BUILD' | 'BUILD' | 'POST_BUILD'

/** A phase that fails without a command failing (infrastructure faults, YAML errors, ...). */
export interface PhaseFault {
  phase: Exclude<PhaseType, 'SUBMITTED' | 'QUEUED' | 'COMPLETED'>
  /** Phase and build status. Default 'FAILED'. */
  status?: 'FAILED' | 'FAULT'
  statusCode: string
  message: string
  /** Agent lines printed when the phase fails (if the stream exists by then). */
  lines?: string[]
}

export interface BuildScript {
  /** Shown in `standIn.builds[].label` and in assertion messages. */
  label?: string
  /** Time spent in each phase before the agent runs (ms). Defaults 15 / 25 / 80. */
  submittedMs?: number
  queuedMs?: number
  provisioningMs?: number
  /**
   * When the log stream (and so `logs.groupName` / `streamName` / `deepLink`) appears, ms after the build's start.
   * Default: when PROVISIONING ends. `null`: never (e.g. a build that faults in PROVISIONING). Events logged before
   * the stream exists are buffered: they keep their timestamps and become readable when the stream appears.
   */
  streamAtMs?: number | null
  /** Duration of the agent-only phases (ms). Defaults: DOWNLOAD_SOURCE 30, UPLOAD_ARTIFACTS 15, FINALIZING 25. */
  downloadSourceMs?: number
  uploadArtifactsMs?: number
  finalizingMs?: number
  /** Commands of each buildspec phase, with their output and exit status. */
  install?: ScriptCommand[]
  preBuild?: ScriptCommand[]
  build?: ScriptCommand[]
  postBuild?: ScriptCommand[]
  /** A phase failing for a reason other than a command. */
  fault?: PhaseFault
  /** The build times out this many ms after its start: the running phase ends TIMED_OUT. */
  timeoutAtMs?: number
  /** Delay between an event's timestamp and the moment GetLogEvents can return it (ms). Default 0. */
  ingestionDelayMs?: number
  /** The last `lines` events of the stream are ingested with a different delay ("late-ingested last lines"). */
  lateTail?: { lines: number; ingestionDelayMs: number }
  /** 'full' (default): CodeBuild agent lines around phases; 'minimal': phase transitions only; 'none'. */
  agentLines?: 'full' | 'minimal' | 'none'
  /**
   * The agent's line prefix: `[Container]` (default, container builds) or `[Instance]` (EC2 compute, where the agent
   * runs on the instance). Overrides the project's `agentPrefix`.
   */
  agentPrefix?: 'Container' | 'Instance'
}

/** What a script factory sees when StartBuild consumes it. */
export interface BuildContext {
  projectName: string
  buildId: string
  buildNumber: number
  /** The StartBuild request body as sent. */
  request: StartBuildRequest
  /** Effective environment variables (project's, with the overrides applied), by name. */
  env: Record<string, string>
  /** The effective buildspec text (override, else the project's), if any. */
  buildspec: string | undefined
}

export type BuildScriptSource = BuildScript | ((ctx: BuildContext) => BuildScript)

// ---------------------------------------------------------------------------------------------------------------
// Projects
// ---------------------------------------------------------------------------------------------------------------

export interface VpcConfig {
  vpcId: string
  subnets: string[]
  securityGroupIds: string[]
}

/** A build already IN_PROGRESS when the stand-in starts ("another migration is running"). */
export interface RunningBuildSpec {
  /** How long before the stand-in started the build was started. Default 60 000. */
  startedAgoMs?: number
  /** When it finishes, ms after the stand-in started. Absent or null: it runs until stopped. */
  finishAtMs?: number | null
  /** Its final status if it finishes by itself. Default 'SUCCEEDED'. */
  status?: 'SUCCEEDED' | 'FAILED'
  initiator?: string
  /** Environment variable overrides it was started with. */
  environmentVariablesOverride?: EnvironmentVariable[]
}

export interface ProjectConfig {
  name: string
  description?: string
  /** VPC attachment. `true` gives a default VPC config; absent/false: not attached. */
  vpcConfig?: VpcConfig | boolean
  privilegedMode?: boolean
  image?: string
  computeType?: string
  environmentType?: string
  /** The prefix of its builds' agent lines (`Instance` for an EC2-compute project); default `Container`. */
  agentPrefix?: 'Container' | 'Instance'
  environmentVariables?: EnvironmentVariable[]
  serviceRole?: string
  timeoutInMinutes?: number
  queuedTimeoutInMinutes?: number
  /** Project buildspec (source.buildspec). */
  buildspec?: string
  /** CloudWatch Logs settings of the project. Default: ENABLED, group /aws/codebuild/<name>. */
  logs?: {
    status?: 'ENABLED' | 'DISABLED'
    groupName?: string
    /** Stream name prefix: streams are `<streamName>/<uuid>` instead of `<uuid>`. */
    streamName?: string
  }
  /** Whether the log group exists before any build of this stand-in created a stream. Default true. */
  logGroupExists?: boolean
  /** Scripts consumed by successive StartBuild calls. Once exhausted, `defaultBuild` is used. */
  builds?: BuildScriptSource[]
  /** Script for StartBuild calls beyond `builds`. Default: `presets.success()`. */
  defaultBuild?: BuildScriptSource
  /** Builds already IN_PROGRESS (or finished) when the stand-in starts. */
  running?: RunningBuildSpec[]
  /** Finished builds that exist before the stand-in starts (listed by ListBuildsForProject). Default 0. */
  pastBuilds?: number
  /**
   * The ECR repositories (names, e.g. `app-backend`) the project's service role may pull from when CodeBuild pulls an
   * image override as the build environment (imagePullCredentialsType SERVICE_ROLE). Absent: every repository.
   */
  pullRepositories?: string[]
}

/** A reserved-capacity fleet (BatchGetFleets; StartBuild's fleetOverride). */
export interface FleetConfig {
  name: string
  /** FleetStatusCode. Default ACTIVE. */
  status?: 'ACTIVE' | 'CREATING' | 'UPDATING' | 'ROTATING' | 'PENDING_DELETION' | 'DELETING' | 'CREATE_FAILED' | 'UPDATE_ROLLBACK_FAILED'
  context?: string
  message?: string
  /** Default 1. */
  baseCapacity?: number
  /** Default LINUX_CONTAINER; an EC2 type makes its builds' agent lines `[Instance]`. */
  environmentType?: string
  /** Default BUILD_GENERAL1_SMALL. */
  computeType?: string
  /** Default QUEUE. */
  overflowBehavior?: 'QUEUE' | 'ON_DEMAND'
  vpcConfig?: VpcConfig
  fleetServiceRole?: string
}

// ---------------------------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------------------------

export type FaultKind =
  'throttle' | 'internal' | 'unavailable' | 'reset' | 'lost' | 'hang' | 'garbled' | 'cut' | 'empty' | 'garbledId' | 'ok'

export interface FaultConfig {
  /** Fraction of calls answered 400 ThrottlingException "Rate exceeded". */
  throttle?: number
  /** Fraction answered 500 InternalFailure. */
  internal?: number
  /** Fraction answered 503 ServiceUnavailableException. */
  unavailable?: number
  /** Fraction whose connection is destroyed without an answer. */
  reset?: number
  /**
   * Fraction processed as usual (a StartBuild starts its build) whose answer is then lost: the connection is
   * destroyed instead of sending it. Recorded with the status the answer would have had and `injected: 'lost'`.
   */
  lost?: number
  /**
   * Fraction processed as usual (a StartBuild starts its build), then never answered: the connection stays open,
   * silent, until the client gives up (or the stand-in closes).
   */
  hang?: number
  /** Fraction answered 200 with a body that is not JSON (a proxy's error page, a truncated answer). */
  garbled?: number
  /** Fraction whose 200 answer is cut: the headers and half the body are sent, then the connection is destroyed. */
  cut?: number
  /** Fraction answered 200 with `{}`: valid JSON without the fields the operation documents. */
  empty?: number
  /**
   * Fraction processed as usual (a StartBuild starts its build) whose JSON answer carries every build id (`build.id`,
   * `builds[].id`, `ids[]`) with a line break and a workflow command appended (GARBLED_ID_SUFFIX): valid JSON whose
   * ids are not CodeBuild's.
   */
  garbledId?: number
  /**
   * From this moment (ms since the stand-in started) every call is answered 400 ExpiredTokenException, as AWS does
   * once the session credentials in use have expired.
   */
  expiredFromMs?: number
  /** The message of injected throttling, 500 and 503 errors, instead of AWS's usual one. */
  message?: string
  /** Added latency before answering: fixed ms or [min, max] drawn per call. */
  latencyMs?: number | [number, number]
  /**
   * Exact outcomes of the first calls, overriding the fractions: e.g. ['throttle', 'throttle', 'ok'] throttles the
   * first two calls of the operation (with `'*'`, the first two calls of any operation).
   */
  sequence?: FaultKind[]
}

/** Per operation name (e.g. 'GetLogEvents', 'BatchGetBuilds') or '*' for every operation. */
export type FaultPlan = Partial<Record<string, FaultConfig>>

// ---------------------------------------------------------------------------------------------------------------
// Recording
// ---------------------------------------------------------------------------------------------------------------

export type ServiceName = 'codebuild' | 'logs' | 'rds'

export interface RecordedCall {
  /** 0-based, in arrival order. */
  seq: number
  /** ms since the stand-in started, when the request was fully received. */
  at: number
  /** ms since the stand-in started, when answered (or reset). */
  answeredAt: number
  service: ServiceName | 'unknown'
  operation: string
  /** The parsed JSON body ({} if empty; the raw text under `$raw` if it did not parse); for RDS, the form parameters. */
  request: Record<string, unknown>
  /** HTTP status; 0 for a reset connection; for a lost answer, the status it would have had. */
  status: number
  errorType?: string
  errorMessage?: string
  /** The fault injected, if any. */
  injected?: Exclude<FaultKind, 'ok'>
  /** For a GetLogEvents page answered: how many events it held (0: an empty page). */
  events?: number
  requestId: string
  /** From the SigV4 Authorization header, when present. */
  accessKeyId?: string
  signedRegion?: string
  signedService?: string
}

export interface StartBuildRequest {
  projectName: string
  buildspecOverride?: string
  environmentVariablesOverride?: EnvironmentVariable[]
  timeoutInMinutesOverride?: number
  queuedTimeoutInMinutesOverride?: number
  computeTypeOverride?: string
  imageOverride?: string
  privilegedModeOverride?: boolean
  imagePullCredentialsTypeOverride?: string
  fleetOverride?: { fleetArn: string }
  idempotencyToken?: string
  sourceVersion?: string
  [key: string]: unknown
}
