/**
 * Orchestration: inputs → plan → preflight → start → watch → one conclusion.
 * `runTask` only finds out what happened (an Outcome); `conclude` alone writes outputs, state, annotations, the
 * summary and the step's result, so every way a run can end is reported the same way.
 */
import { context as githubContext } from '@actions/github'
import * as core from '@actions/core'
import { StatusType } from '@aws-sdk/client-codebuild'
import type { Build, StartBuildCommandInput } from '@aws-sdk/client-codebuild'
import { errorText, isExpiredCredentials } from '../core/aws-errors.js'
import type { BackupReport } from '../core/backup.js'
import { cancelOnSignals } from '../core/cancellation.js'
import type { Cancellation } from '../core/cancellation.js'
import { createClients } from '../core/task-clients.js'
import { commentApi } from './github.js'
import type { PullRequestRef } from './github.js'
import type { AwsClients } from '../core/clients.js'
import { systemClock } from '../core/clock.js'
import type { Clock } from '../core/clock.js'
import { Outputs, State, TOKEN_VARIABLE } from '../core/constants.js'
import { formatDiagnosis } from '../core/diagnosis.js'
import type { Diagnosis } from '../core/diagnosis.js'
import { InputError, parsePlan } from '../core/inputs.js'
import type { InputReader, Plan } from '../core/inputs.js'
import { buildLinks } from '../core/links.js'
import type { BuildLinks } from '../core/links.js'
import { BuildLogPrinter, writeVerbatim } from './workflow-log.js'
import type { Write } from './workflow-log.js'
import { PreflightError, preflight } from '../core/preflight.js'
import { commentMarkers, commentWorkflow, publishComment, renderComment } from './pr-comment.js'
import type { CommentApi } from './pr-comment.js'
import { addSummary, describeFailure, taskExitCode } from '../core/report.js'
import type { SummaryData } from '../core/report.js'
import { buildStartRequest, redactRequest } from '../core/request.js'
import type { StartRequest } from '../core/request.js'
import { packageRoot } from '../core/root.js'
import { runIdentity } from '../core/run-identity.js'
import { newExecutionToken } from '../core/execution.js'
import type { GitHubContext, RunIdentity } from '../core/run-identity.js'
import { backupDepsFor, gateBeforeStart, gateDryRun } from '../core/gate.js'
import { ProjectBusyError, runningBuilds } from '../core/running.js'
import { redactDeep, redactText, redactor, secretsOf } from '../core/secrets.js'
import { StartUnknownError, findStartedBuild, startBuild } from '../core/start.js'
import { stopBuild } from '../core/stop.js'
import { formatDuration, inline } from '../core/text.js'
import { DEFAULT_TIMING, WatchError } from '../core/watch.js'
import { followBuild } from '../core/follow.js'

export interface RunDeps {
  env: NodeJS.ProcessEnv
  read: InputReader
  clock: Clock
  /** Where buildspecs/ lives. */
  actionRoot: string
  clients: (region: string) => AwsClients
  /** Wired to SIGINT/SIGTERM by default. */
  cancellation: (onSignal: (name: string) => void) => Cancellation
  write: Write
  /** The run, as @actions/github reads it from the runner's environment. */
  github: GitHubContext
  comments: (token: string, pr: PullRequestRef, clock: Clock) => CommentApi
}

/** dist/index.js sits one level below the action's root, src/action/main.ts two: the first with buildspecs/. */
const ACTION_ROOT = packageRoot(import.meta.url)

function defaultDeps(): RunDeps {
  return {
    env: process.env,
    read: name => core.getInput(name),
    clock: systemClock,
    actionRoot: ACTION_ROOT,
    clients: createClients,
    cancellation: cancelOnSignals,
    write: text => {
      process.stdout.write(text)
    },
    github: githubContext,
    comments: commentApi
  }
}

/** Every way a run ends. */
type Outcome =
  /** Nothing was started: bad input, preflight, busy project, unreachable endpoint, cancelled before the start. */
  | { kind: 'not-started'; message: string }
  | { kind: 'dry-run'; request: StartBuildCommandInput; notes: string[] }
  /** wait: false: the build goes on without the step. */
  | { kind: 'detached'; build: Build }
  /** The build ended by itself: its status decides. */
  | { kind: 'ended'; build: Build; lastLines: string[]; diagnosis?: Diagnosis }
  /** The step was cancelled (or crashed) with a build running: stopped, or left running as asked. */
  | { kind: 'abandoned'; build: Build; why: string; stop: 'stopped' | 'left' | { error: unknown }; stopped?: Build }
  /** Watching stopped before the build's end: the build goes on. */
  | { kind: 'watch-failed'; error: WatchError }
  /** StartBuild's answer never came and no build was found: one may exist. */
  | { kind: 'start-unknown'; error: StartUnknownError }
  /** The backup step (verify or snapshot) failed or was cancelled: nothing was started. */
  | { kind: 'backup-failed'; message: string }

/** What the conclusion needs to know about the run so far. */
interface Context {
  plan?: Plan
  links?: BuildLinks
  identity?: RunIdentity
  backup?: BackupReport
  /** Values registered with the runner's masking: hidden in the pull-request comment too. */
  masked: string[]
}

/**
 * One line of the action's own, with any outside text in it flattened (never a workflow command) and secret-looking
 * parts as *** (the runner masks the registered values on this channel itself).
 */
function say(message: string): void {
  core.info(inline(redactText(message), 4_000))
}

/** A warning of the action's own, redacted as `say`'s lines are. */
function warn(message: string): void {
  core.warning(redactText(message))
}

export async function run(overrides: Partial<RunDeps> = {}): Promise<void> {
  const deps: RunDeps = { ...defaultDeps(), ...overrides }
  const ctx: Context = { masked: [] }
  let started: { id: string; stopOnCancel: boolean } | undefined
  const cancellation = deps.cancellation(name => {
    const next = !started
      ? ''
      : started.stopOnCancel
        ? ` Stopping build ${started.id}…`
        : ` Leaving build ${started.id} running (stop-on-cancel: false).`
    say(`Received ${name}: the workflow was cancelled or the step timed out.${next}`)
  })
  try {
    let outcome: Outcome
    try {
      outcome = await runTask(deps, ctx, cancellation.signal, (id, stopOnCancel) => (started = { id, stopOnCancel }))
    } catch (error) {
      outcome = notStarted(error, cancellation.signal)
    }
    // Every channel below (annotations, the step's error, lines, the summary, the comment) shows this one redaction.
    const result = redactDeep(verdict(ctx, outcome), redactor(ctx.masked))
    await conclude(ctx, result)
    await commentOnPullRequest(deps, ctx, result)
  } catch (error) {
    core.setFailed(`Unexpected error: ${errorText(error)}`)
  } finally {
    cancellation.dispose()
  }
}

/** Errors before any build exists: the step fails with the error's own message. */
function notStarted(error: unknown, signal: AbortSignal): Outcome {
  if (error instanceof StartUnknownError) return { kind: 'start-unknown', error }
  if (error instanceof InputError || error instanceof PreflightError || error instanceof ProjectBusyError)
    return { kind: 'not-started', message: error.message }
  if (signal.aborted) return { kind: 'not-started', message: 'Cancelled before a build was started.' }
  if (isExpiredCredentials(error))
    return { kind: 'not-started', message: `The AWS credentials have expired (${errorText(error)}). Nothing was started.` }
  return { kind: 'not-started', message: `Unexpected error: ${errorText(error)}` }
}

async function runTask(
  deps: RunDeps,
  ctx: Context,
  signal: AbortSignal,
  onStarted: (id: string, stopOnCancel: boolean) => void
): Promise<Outcome> {
  const plan = parsePlan(deps.read, {
    env: deps.env,
    actionRoot: deps.actionRoot,
    workspace: deps.env.GITHUB_WORKSPACE ?? process.cwd()
  })
  ctx.plan = plan
  // Masked first thing, before anything else is printed.
  const secrets = secretsOf(plan)
  if (plan.prComment.enabled) secrets.register.push(plan.prComment.token)
  ctx.masked = secrets.register
  for (const value of secrets.register) core.setSecret(value)
  for (const warning of secrets.warnings) warn(warning)
  const clients = deps.clients(plan.region)
  const { codebuild, logs } = clients
  // The project lookup and the first look for running builds go out together: one round trip, not two.
  const firstLook = plan.dryRun ? undefined : runningBuilds(codebuild, plan.projectName, deps.clock, signal)
  firstLook?.catch(() => undefined)
  const checked = await preflight(codebuild, plan, deps.clock, signal)
  for (const w of checked.warnings) warn(w)
  const identity = runIdentity(deps.github, deps.env.GITHUB_REPOSITORY)
  ctx.identity = identity
  // Made once: every try of StartBuild and of the snapshot carries it; saved for the post step before StartBuild.
  const execution = newExecutionToken()
  const request = buildStartRequest(plan, identity, execution)
  const backupDeps = backupDepsFor(plan, { clients, clock: deps.clock, identity, execution, say, signal })

  if (plan.dryRun) {
    const gate = await gateDryRun(plan, backupDeps)
    if (gate.backup) ctx.backup = gate.backup
    if (gate.failure) return { kind: 'backup-failed', message: gate.failure }
    return { kind: 'dry-run', request: printDryRun(deps.write, plan, request), notes: checked.warnings }
  }

  const gate = await gateBeforeStart(plan, {
    codebuild,
    clock: deps.clock,
    say,
    signal,
    ...(firstLook ? { firstLook } : {}),
    backup: backupDeps
  })
  if (gate.backup) ctx.backup = gate.backup
  if (gate.failure) return { kind: 'backup-failed', message: gate.failure }

  const started = await start(codebuild, deps.clock, plan, request, signal)
  if (!started)
    return {
      kind: 'not-started',
      message: `Cancelled while StartBuild was in flight; no build carrying ${TOKEN_VARIABLE}=${request.idempotencyToken} was found.`
    }
  const id = started.id as string
  onStarted(id, plan.stopOnCancel)
  const links = buildLinks(started, plan.region)
  ctx.links = links
  core.saveState(State.BuildId, id)
  core.setOutput(Outputs.BuildId, id)
  core.setOutput(Outputs.BuildNumber, String(started.buildNumber ?? ''))
  core.setOutput(Outputs.LogsUrl, links.logs)
  say(`Started ${plan.task} build #${started.buildNumber ?? '?'} of ${plan.projectName}: ${id}`)
  say(`Build: ${links.build}`)
  say(`Log:   ${links.logs}`)
  if (signal.aborted) return abandon(plan, codebuild, started, 'the workflow was cancelled')
  if (!plan.wait) return { kind: 'detached', build: started }

  return watchToEnd(deps, ctx, plan, { codebuild, logs }, started, signal)
}

/** Watches the build to its end, printing its log, and says how it ended. */
async function watchToEnd(
  deps: RunDeps,
  ctx: Context,
  plan: Plan,
  { codebuild, logs }: Pick<AwsClients, 'codebuild' | 'logs'>,
  started: Build,
  signal: AbortSignal
): Promise<Outcome> {
  const printer = new BuildLogPrinter(deps.write, { groups: true })
  try {
    const followed = await followBuild(
      { codebuild, logs, clock: deps.clock },
      plan,
      started,
      { print: events => printer.print(events), onNotice: say, onWarning: warn, redact: redactor(ctx.masked) },
      signal
    )
    printer.end()
    return { kind: 'ended', ...followed }
  } catch (error) {
    printer.end()
    if (signal.aborted) return abandon(plan, codebuild, started, 'the workflow was cancelled')
    if (error instanceof WatchError) return { kind: 'watch-failed', error }
    // A fault of the action itself: the build must not outlive the step.
    return abandon(plan, codebuild, started, `the action failed: ${errorText(error)}`)
  }
}

/** Prints the request a dry run would send (secrets masked) and the buildspec; returns the request as shown. */
function printDryRun(write: Write, plan: Plan, request: StartRequest): StartBuildCommandInput {
  const shown = redactRequest(request, plan)
  say(`Dry run: nothing is started. The StartBuild request that would be sent to ${plan.region}:`)
  // Values and the buildspec come from the user: shown as text, never taken as workflow commands.
  writeVerbatim(write, JSON.stringify(shown, null, 2).split('\n'))
  core.startGroup(`Buildspec (${plan.buildspec.source}): ${plan.buildspec.path}`)
  writeVerbatim(write, redactText(plan.buildspec.content).trimEnd().split(/\r?\n/))
  core.endGroup()
  return shown
}

/**
 * Starts the build, the start token saved first so the post step can find a build whose answer never came.
 * Cancelled during the call: the build, if it started, is found by its token and returned (to be stopped).
 */
async function start(
  codebuild: AwsClients['codebuild'],
  clock: Clock,
  plan: Plan,
  request: StartRequest,
  signal: AbortSignal
): Promise<Build | undefined> {
  core.saveState(State.Region, plan.region)
  core.saveState(State.StopOnCancel, String(plan.stopOnCancel))
  core.saveState(State.ProjectName, plan.projectName)
  core.saveState(State.StartToken, request.idempotencyToken)
  try {
    return await startBuild({ codebuild, clock, signal, notice: say }, request)
  } catch (error) {
    if (!signal.aborted) throw error
    return findStartedBuild(codebuild, plan.projectName, request.idempotencyToken, clock, 4_000)
  }
}

/** The build must not outlive the step: stop it (unless stop-on-cancel is false). */
async function abandon(plan: Plan, codebuild: AwsClients['codebuild'], build: Build, why: string): Promise<Outcome> {
  if (!plan.stopOnCancel) return { kind: 'abandoned', build, why, stop: 'left' }
  try {
    const stopped = await stopBuild(codebuild, build.id as string)
    return { kind: 'abandoned', build, why, stop: 'stopped', ...(stopped ? { stopped } : {}) }
  } catch (error) {
    return { kind: 'abandoned', build, why, stop: { error } }
  }
}

/** How a run ended, for every channel: outputs and state, annotations, log lines, the summary and the comment. */
interface Verdict {
  /** build-status, and the build settled (the post step leaves it alone). Absent: not settled. */
  settled?: string
  /** The step fails with this message. */
  failure?: string
  errors: Array<{ message: string; title?: string }>
  lines: string[]
  report: Omit<SummaryData, 'plan'>
  /** False for failures before a build was asked for (bad input, preflight): the error says it all. */
  summary: boolean
  /** The task container's exit code, when the build ended and CodeBuild said it. */
  taskExitCode?: number
}

/** The one place that decides what each outcome reports. */
function verdict(ctx: Context, outcome: Outcome): Verdict {
  const links = ctx.links
  const task = ctx.plan?.task ?? 'task'
  const failed = (failure: string, report: Omit<SummaryData, 'plan'>, settled?: string): Verdict => ({
    ...(settled !== undefined ? { settled } : {}),
    failure,
    errors: [],
    lines: [],
    report: { ...report, notes: [...(report.notes ?? []), failure] },
    summary: true
  })
  switch (outcome.kind) {
    case 'not-started':
      return { ...failed(outcome.message, {}), summary: false }
    case 'start-unknown':
      return failed(outcome.error.message, {})
    case 'backup-failed':
      return failed(outcome.message, {})
    case 'dry-run':
      return { errors: [], lines: [], report: { request: outcome.request, notes: outcome.notes }, summary: true }
    case 'detached':
      return {
        settled: outcome.build.buildStatus ?? StatusType.IN_PROGRESS,
        errors: [],
        lines: ['wait is false: the build goes on without this step.'],
        report: { build: outcome.build },
        summary: true
      }
    case 'ended': {
      const { build, diagnosis, lastLines } = outcome
      const status = build.buildStatus ?? ''
      const exit = taskExitCode(build)
      const exitCode = exit === undefined ? {} : { taskExitCode: exit }
      if (status === StatusType.SUCCEEDED) {
        const lines = [`✅ ${task} succeeded: build #${build.buildNumber ?? '?'} ${build.id ?? ''}`]
        return { settled: status, errors: [], lines, report: { build }, summary: true, ...exitCode }
      }
      const failure = describeFailure(ctx.plan as Plan, build, lastLines)
      const errors = [{ message: failure.message, title: failure.title }]
      if (diagnosis) errors.push({ message: formatDiagnosis(diagnosis), title: `${task}: known failure (${diagnosis.id})` })
      return {
        settled: status,
        failure: `${task} ${status || 'ended'}: see the errors above and the build's log (${links?.logs ?? ''})`,
        errors,
        lines: [],
        report: { build, lastLines, ...(diagnosis ? { diagnosis } : {}) },
        summary: true,
        ...exitCode
      }
    }
    case 'abandoned': {
      const { build, why, stop } = outcome
      const id = build.id ?? ''
      if (stop === 'left') {
        return failed(
          `Stopped watching build ${id} because ${why}; it goes on running (stop-on-cancel: false): ${links?.build ?? ''}`,
          { build },
          StatusType.IN_PROGRESS
        )
      }
      if (stop === 'stopped') {
        const after = outcome.stopped?.buildStatus
        const status = after && after !== StatusType.IN_PROGRESS ? after : StatusType.STOPPED
        return failed(`Stopped build ${id} because ${why}.`, { build: { ...(outcome.stopped ?? build), buildStatus: status } }, status)
      }
      // Not settled: the post step tries once more.
      const expired = isExpiredCredentials(stop.error) ? ' (the AWS credentials have expired)' : ''
      return failed(
        `Could not stop build ${id} after ${why}${expired}: ${errorText(stop.error)}. Stop it in the console: ${links?.build ?? ''}`,
        { build }
      )
    }
    case 'watch-failed': {
      const { error } = outcome
      const id = error.build.id ?? ''
      const goesOn = `The build goes on (it is not stopped): ${links?.build ?? ''}`
      const message =
        error.reason === 'credentials-expired'
          ? `The AWS credentials expired after ${formatDuration(error.watchedMs)} of watching build ${id} (${errorText(error.cause)}). ${goesOn}. ` +
            `For tasks longer than the session, ask configure-aws-credentials for a longer one (role-duration-seconds), ` +
            `within the role's maximum session duration (up to 12 hours, set on the IAM role).`
          : error.reason === 'refused'
            ? `CodeBuild refused to describe build ${id} (${errorText(error.cause)}), so it cannot be watched; allow codebuild:BatchGetBuilds. ${goesOn}.`
            : `Gave up watching build ${id}: CodeBuild could not be asked for its status for ${formatDuration(DEFAULT_TIMING.giveUpMs)} ` +
              `(last error: ${errorText(error.cause)}). ${goesOn}. build-status is the last status known.`
      return failed(message, { build: error.build }, error.build.buildStatus ?? StatusType.IN_PROGRESS)
    }
  }
}

/** Writes the verdict: state and outputs, annotations and lines, the step's result, the job summary. */
async function conclude(ctx: Context, v: Verdict): Promise<void> {
  const backup = ctx.backup?.dryRun ? undefined : ctx.backup
  // A snapshot that was asked for always says how it ended; its id and ARN stay set whenever one may exist.
  if (backup?.mode === 'snapshot') core.setOutput(Outputs.SnapshotStatus, backup.snapshot?.outcome ?? 'not-taken')
  if (backup?.snapshot) {
    core.setOutput(Outputs.SnapshotId, backup.snapshot.id)
    core.setOutput(Outputs.SnapshotArn, backup.snapshot.arn ?? '')
  }
  if (v.settled !== undefined) {
    core.saveState(State.Settled, 'true')
    core.setOutput(Outputs.BuildStatus, v.settled)
  }
  if (v.taskExitCode !== undefined) core.setOutput(Outputs.TaskExitCode, String(v.taskExitCode))
  for (const line of v.lines) say(line)
  for (const e of v.errors) core.error(e.message, e.title ? { title: e.title } : {})
  if (v.failure !== undefined) core.setFailed(v.failure)
  const data = reportData(ctx, v.report)
  if (data && v.summary) await writeSummary(data)
}

/** What the summary and the comment show for an outcome: the same data, from one place. */
function reportData(ctx: Context, data: Omit<SummaryData, 'plan'>): SummaryData | undefined {
  if (!ctx.plan) return undefined
  return {
    plan: ctx.plan,
    ...(ctx.links ? { links: ctx.links } : {}),
    ...(ctx.identity ? { identity: ctx.identity } : {}),
    ...(ctx.backup ? { backup: ctx.backup } : {}),
    ...data
  }
}

/**
 * The sticky comment on the run's pull request, when there is one and pr-comment is auto. Never changes the step's
 * result: a failure to write it is one line saying why (and which permission, when that is the reason).
 */
async function commentOnPullRequest(deps: RunDeps, ctx: Context, v: Verdict): Promise<void> {
  const { plan, identity } = ctx
  const data = reportData(ctx, v.report)
  if (!data || !plan?.prComment.enabled || identity?.pullRequest === undefined || !identity.repository) return
  const redact = redactor(ctx.masked)
  const comment = { ...data, workflow: commentWorkflow(deps.env), job: identity.job ?? '', key: plan.prComment.key, redact }
  const body = renderComment(comment)
  const pr: PullRequestRef = { apiUrl: deps.github.apiUrl, repository: identity.repository, number: identity.pullRequest }
  try {
    const api = deps.comments(plan.prComment.token, pr, deps.clock)
    const published = await publishComment(api, commentMarkers(comment), body)
    say(`Pull request #${pr.number}: report comment ${published.done}.`)
    if (published.othersLeft > 0)
      say(`Pull request #${pr.number}: left alone ${published.othersLeft} comment(s) with this step's marker written by someone else.`)
    if (published.unverified !== undefined)
      core.warning(
        `Pull request #${pr.number}: could not tell who github-token acts as (${errorText(published.unverified)}), ` +
          `so no existing report comment was updated; wrote a new one.`
      )
  } catch (error) {
    const status = (error as { status?: unknown }).status
    if (status === 403 || status === 404) {
      core.notice(
        `Could not comment on pull request #${pr.number} (HTTP ${status}): give the job 'permissions: pull-requests: write' ` +
          `(a pull request from a fork only gets a read-only token), or set pr-comment: never.`
      )
    } else core.warning(`Could not comment on pull request #${pr.number}: ${errorText(error)}`)
  }
}

async function writeSummary(data: SummaryData): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  try {
    await addSummary(core.summary, data).write()
  } catch (error) {
    core.warning(`Could not write the job summary: ${errorText(error)}`)
  }
}
