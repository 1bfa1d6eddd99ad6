/**
 * The run, once for both front ends: plan and secrets, the project's lookup with the first look for running builds,
 * identity and request, dry run, the gate (if-running, the backup step), the start (or the build found by its token
 * when cancelled mid-call), the "Started …" lines, follow to the end, stop after a cancel. It never throws: every
 * way it can end is an `Outcome`, which the action renders into outputs/annotations/summary/comment and the CLI
 * into its table, `--json` and exit code. The front end talks through `RunUi` and names settings (`SettingNames`).
 */
import { StatusType } from '@aws-sdk/client-codebuild'
import type { Build, StartBuildCommandInput } from '@aws-sdk/client-codebuild'
import type { OutputLogEvent } from '@aws-sdk/client-cloudwatch-logs'
import { classify, credentialsExpired, errorText, InputError, PreflightError, StartUnknownError, WatchError } from '../errors/index.js'
import type { BackupReport } from '../backup/index.js'
import type { AwsClients, BuildLinks } from '../aws/index.js'
import type { Clock } from '../support/index.js'
import { formatDuration, TOKEN_VARIABLE } from '../support/index.js'
import type { Diagnosis, RunTiming, TimeBudget } from '../report/index.js'
import type { ErrorKind, SettingNames } from '../errors/index.js'
import {
  buildStartRequest,
  checkFleetBeforeStart,
  findStartedBuild,
  newExecutionToken,
  preflight,
  redactRequest,
  runningBuilds,
  startBuild,
  stopBuild
} from '../build/index.js'
import { followBuild } from './follow.js'
import { backupDepsFor, gateBeforeStart, gateDryRun } from './gate.js'
import { parsePlan, redactor, secretsOf } from '../plan/index.js'
import type { InputReader, Plan, PlanContext, RunIdentity } from '../plan/index.js'
import { buildLinks } from '../aws/index.js'
import type { StartRequest } from '../build/index.js'
import { DEFAULT_TIMING } from '../watch/index.js'
import { timeBudget } from '../report/index.js'
import { taskResultsOf } from '../results/index.js'
import type { TaskResults } from '../results/index.js'

/** Every way a run ends. */
export type Outcome =
  /** Nothing was started: bad input, preflight, busy project, unreachable endpoint, cancelled before the start. */
  | { kind: 'not-started'; reason: ErrorKind; message: string }
  | { kind: 'dry-run'; request: StartBuildCommandInput; notes: string[] }
  /** wait: false: the build goes on without the run. */
  | { kind: 'detached'; build: Build }
  /** The build ended by itself: its status decides. */
  | { kind: 'ended'; build: Build; lastLines: string[]; diagnosis?: Diagnosis }
  /** Cancelled (or a fault of the front end) with a build running: stopped, or left running as asked. */
  | { kind: 'abandoned'; build: Build; why: Abandon; stop: 'stopped' | 'left' | { error: unknown }; stopped?: Build }
  /** Watching stopped before the build's end: the build goes on. */
  | { kind: 'watch-failed'; error: WatchError }
  /** StartBuild's answer never came and no build was found: one may exist. */
  | { kind: 'start-unknown'; error: StartUnknownError }
  /** The backup step (verify or snapshot) failed or was cancelled: nothing was started. */
  | { kind: 'backup-failed'; message: string }

/** Why a running build was abandoned: a cancel (a signal), or a fault while following it. */
export type Abandon = { cancelled: true } | { fault: unknown }

/** What a front end shows of the run and records on the way. */
export interface RunUi {
  say(message: string): void
  warn(message: string): void
  /** A transient line (the CLI's spinner line); the action may ignore it. */
  progress(message: string): void
  /** A notice while following the build (log pacing, a throttled read). */
  note(message: string): void
  /** The plan is read; its secrets are known. Returns more values to mask (the action's github-token). */
  onPlan(plan: Plan, secrets: string[]): string[] | void
  /** Before StartBuild: record what finds the build if the answer is lost (the action's state for its post step). */
  onStarting(plan: Plan, token: string): void
  onStarted(build: Build, links: BuildLinks): void
  /** A dry run: show the request (secrets masked) and the buildspec. */
  showDryRun(plan: Plan, request: StartBuildCommandInput): void
  /** The build's log lines, redacted; `printEnd` once following stops. */
  print(events: OutputLogEvent[]): void
  printEnd(): void
}

export interface RunTaskDeps {
  read: InputReader
  context: PlanContext
  names: SettingNames
  clients: (region: string) => AwsClients
  clock: Clock
  identity: RunIdentity
  /** This execution's token (src/core/build/execution.ts); made here when absent. */
  execution?: string
  ui: RunUi
  signal: AbortSignal
}

/** What the front end's report needs besides the outcome, as far as the run got. */
export interface RunFacts {
  plan?: Plan
  links?: BuildLinks
  backup?: BackupReport
  /** The run's identity, once the project's lookup passed (what the report and the comment show). */
  identity?: RunIdentity
  /** The values masked: hidden in every report too. */
  masked: string[]
  /** The run's moments and the pull's span, for its time budget (time-budget.ts). */
  timing: RunTiming
  /** What the task reported (its outputs; the plan task's pending migrations), once its build ended or was stopped. */
  results?: TaskResults
}

export interface RunResult {
  outcome: Outcome
  facts: RunFacts
}

/** Runs the task once: never throws; the outcome says how it ended. */
export async function runTask(deps: RunTaskDeps): Promise<RunResult> {
  const facts: RunFacts = { masked: [], timing: { stepStartedAt: deps.clock.now() } }
  let outcome: Outcome
  try {
    outcome = await steps(deps, facts)
  } catch (error) {
    if (error instanceof StartUnknownError) outcome = { kind: 'start-unknown', error }
    else {
      const { kind, message } = classify(error, deps.signal, deps.names)
      outcome = { kind: 'not-started', reason: kind, message }
    }
  }
  return { outcome, facts }
}

async function steps(deps: RunTaskDeps, facts: RunFacts): Promise<Outcome> {
  const { ui, signal, clock } = deps
  const plan = parsePlan(deps.read, { ...deps.context, names: deps.names })
  facts.plan = plan
  // Masked first thing, before anything else is printed.
  const secrets = secretsOf(plan)
  facts.masked = [...secrets.register, ...(ui.onPlan(plan, secrets.register) ?? [])]
  for (const warning of secrets.warnings) ui.warn(warning)
  const clients = deps.clients(plan.region)
  const { codebuild } = clients
  ui.progress(`Checking project ${plan.projectName}…`)
  // The project lookup and the first look for running builds go out together: one round trip, not two.
  const firstLook = plan.dryRun ? undefined : runningBuilds(codebuild, plan.projectName, clock, signal)
  firstLook?.catch(() => undefined)
  // An input the project's lookup refuses (a variable replacing the project's DATABASE_URL) is a refusal of that
  // lookup, as its other refusals are.
  // The fleet's lookup (with a fleet) goes out with them.
  const fleetLook = checkFleetBeforeStart(codebuild, plan, clock, signal)
  fleetLook.catch(() => undefined)
  const checked = await preflight(codebuild, plan, clock, signal).catch((error: unknown) => {
    throw error instanceof InputError ? new PreflightError(error.describe(deps.names)) : error
  })
  const fleet = await fleetLook
  for (const w of [...checked.warnings, ...(fleet?.warnings ?? [])]) ui.warn(w)
  if (fleet?.summary) ui.say(fleet.summary)
  facts.identity = deps.identity
  // Made once: every try of StartBuild and of the snapshot carries it; recorded (onStarting) before StartBuild.
  const execution = deps.execution ?? newExecutionToken()
  const request = buildStartRequest(plan, deps.identity, execution, fleet?.arn)
  const backupDeps = backupDepsFor(plan, { clients, clock, identity: deps.identity, execution, say: m => ui.say(m), signal })

  if (plan.dryRun) {
    const gate = await gateDryRun(plan, backupDeps)
    if (gate.backup) facts.backup = gate.backup
    if (gate.failure) return { kind: 'backup-failed', message: gate.failure }
    const shown = redactRequest(request, plan)
    ui.showDryRun(plan, shown)
    return { kind: 'dry-run', request: shown, notes: [...checked.warnings, ...(fleet?.warnings ?? [])] }
  }
  const say = (m: string): void => ui.say(m)
  const gate = await gateBeforeStart(plan, { codebuild, clock, say, signal, ...(firstLook ? { firstLook } : {}), backup: backupDeps })
  if (gate.backup) facts.backup = gate.backup
  if (gate.failure) return { kind: 'backup-failed', message: gate.failure }

  const started = await start(deps, clients, plan, request)
  if (!started)
    return {
      kind: 'not-started',
      reason: 'cancelled',
      message: `Cancelled while StartBuild was in flight; no build carrying ${TOKEN_VARIABLE}=${request.idempotencyToken} was found.`
    }
  facts.timing.startAnsweredAt = clock.now()
  const links = buildLinks(started, plan.region)
  facts.links = links
  ui.onStarted(started, links)
  ui.say(`Started ${plan.task} build #${started.buildNumber ?? '?'} of ${plan.projectName}: ${started.id ?? ''}`)
  ui.say(`Build: ${links.build}`)
  ui.say(`Log:   ${links.logs}`)
  if (signal.aborted) return abandon(plan, clients, started, { cancelled: true })
  if (!plan.wait) return { kind: 'detached', build: started }
  return watchToEnd(deps, facts, plan, clients, started)
}

/**
 * Starts the build, the start token recorded first so a build whose answer never came can be found.
 * Cancelled during the call: the build, if it started, is found by its token and returned (to be stopped).
 */
async function start(deps: RunTaskDeps, { codebuild }: AwsClients, plan: Plan, request: StartRequest): Promise<Build | undefined> {
  const { clock, signal, ui } = deps
  ui.onStarting(plan, request.idempotencyToken)
  ui.progress(`Starting a build of ${plan.projectName}…`)
  try {
    return await startBuild({ codebuild, clock, signal, notice: m => ui.say(m) }, request)
  } catch (error) {
    if (!signal.aborted) throw error
    return findStartedBuild(codebuild, plan.projectName, request.idempotencyToken, clock, 4_000)
  }
}

/** Watches the build to its end, printing its log, and says how it ended. */
async function watchToEnd(deps: RunTaskDeps, facts: RunFacts, plan: Plan, clients: AwsClients, started: Build): Promise<Outcome> {
  const { ui, signal } = deps
  try {
    const followed = await followBuild(
      { codebuild: clients.codebuild, logs: clients.logs, clock: deps.clock },
      plan,
      started,
      { print: events => ui.print(events), onNotice: m => ui.note(m), onWarning: m => ui.warn(m), redact: redactor(facts.masked) },
      signal
    )
    ui.printEnd()
    const { pullMs, results, ...ended } = followed
    facts.timing.tailEndedAt = deps.clock.now()
    if (pullMs !== undefined) facts.timing.pullMs = pullMs
    facts.results = results
    return { kind: 'ended', ...ended }
  } catch (error) {
    ui.printEnd()
    if (signal.aborted) return withResults(facts, plan, await abandon(plan, clients, started, { cancelled: true }))
    if (error instanceof WatchError) return { kind: 'watch-failed', error }
    // A fault of the run itself: the build must not outlive it.
    return withResults(facts, plan, await abandon(plan, clients, started, { fault: error }))
  }
}

/**
 * A build the run stopped has no results: CodeBuild keeps exported variables only when post_build ends, which a
 * stopped build's does not (the reports say so).
 */
function withResults(facts: RunFacts, plan: Plan, outcome: Outcome): Outcome {
  if (outcome.kind === 'abandoned' && outcome.stop === 'stopped') {
    const { exportedEnvironmentVariables: _dropped, ...build } = outcome.stopped ?? outcome.build
    facts.results = taskResultsOf({ ...build, buildStatus: StatusType.STOPPED }, plan.task)
  }
  return outcome
}

/** The build must not outlive the run: stop it (unless stop-on-cancel is false). */
async function abandon(plan: Plan, { codebuild }: AwsClients, build: Build, why: Abandon): Promise<Outcome> {
  if (!plan.stopOnCancel) return { kind: 'abandoned', build, why, stop: 'left' }
  try {
    const stopped = await stopBuild(codebuild, build.id as string)
    return { kind: 'abandoned', build, why, stop: 'stopped', ...(stopped ? { stopped } : {}) }
  } catch (error) {
    return { kind: 'abandoned', build, why, stop: { error } }
  }
}

/**
 * Where the run's time went, for both front ends: the build of the outcome (the stopped one after a cancel) and the
 * run's moments. None for a run without a build, or one that left it running (wait: false).
 */
export function runTimeBudget({ outcome, facts }: RunResult): TimeBudget | undefined {
  const build =
    outcome.kind === 'ended'
      ? outcome.build
      : outcome.kind === 'abandoned'
        ? (outcome.stopped ?? outcome.build)
        : outcome.kind === 'watch-failed'
          ? outcome.error.build
          : undefined
  return build
    ? timeBudget(build, facts.timing, { runIn: facts.plan?.runIn ?? 'container', fleet: facts.plan?.fleet !== undefined })
    : undefined
}

/** The fault that made a run abandon its build, as one line. */
export function faultText(why: Abandon): string | undefined {
  return 'fault' in why ? errorText(why.fault) : undefined
}

/** Why watching stopped before the build's end, and that the build goes on: one wording for both front ends. */
export function watchFailureMessage(error: WatchError, links: BuildLinks | undefined): string {
  const id = error.build.id ?? ''
  const goesOn = `The build goes on (it is not stopped): ${links?.build ?? ''}`
  if (error.reason === 'credentials-expired')
    return (
      `${credentialsExpired(error.cause)} after ${formatDuration(error.watchedMs)} of watching build ${id}. ${goesOn}. ` +
      `For tasks longer than the session, get credentials with a longer session (in a workflow, configure-aws-credentials' ` +
      `role-duration-seconds; in a terminal, the profile's duration_seconds), within the role's maximum session duration ` +
      `(up to 12 hours, set on the IAM role).`
    )
  if (error.reason === 'refused')
    return `CodeBuild refused to describe build ${id} (${errorText(error.cause)}), so it cannot be watched; allow codebuild:BatchGetBuilds. ${goesOn}.`
  return (
    `Gave up watching build ${id}: CodeBuild could not be asked for its status for ${formatDuration(DEFAULT_TIMING.giveUpMs)} ` +
    `(last error: ${errorText(error.cause)}). ${goesOn}. The build's status is the last one known.`
  )
}
