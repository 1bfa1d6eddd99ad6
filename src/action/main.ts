/**
 * The action's front end: the run itself is src/core/run.ts (`runTask`, shared with the CLI), which only finds out
 * what happened (an Outcome); here `actionUi` shows it in the workflow log and records the post step's state, `verdict`
 * decides what each outcome reports and `conclude` alone writes outputs, state, annotations, the summary and the
 * step's result, so every way a run can end is reported the same way.
 */
import { context as githubContext } from '@actions/github'
import * as core from '@actions/core'
import { StatusType } from '@aws-sdk/client-codebuild'
import type { Build, StartBuildCommandInput } from '@aws-sdk/client-codebuild'
import { errorText } from '../core/aws-errors.js'
import { cancelOnSignals } from '../core/cancellation.js'
import type { Cancellation } from '../core/cancellation.js'
import { createClients } from '../core/task-clients.js'
import { commentApi } from './github.js'
import type { PullRequestRef } from './github.js'
import type { AwsClients } from '../core/clients.js'
import { systemClock } from '../core/clock.js'
import type { Clock } from '../core/clock.js'
import { Inputs, Outputs } from '../core/constants.js'
import { State } from './state.js'
import { formatDiagnosis } from '../core/diagnosis.js'
import { INPUT_NAMES, stopFailure } from '../core/errors.js'
import type { InputReader, Plan } from '../core/inputs.js'
import { BuildLogPrinter, writeVerbatim } from './workflow-log.js'
import type { Write } from './workflow-log.js'
import { commentMarkers, commentWorkflow, publishComment, renderComment } from './pr-comment.js'
import type { CommentApi } from './pr-comment.js'
import { addSummary, describeFailure, outputsNote, taskExitCode } from '../core/report.js'
import type { SummaryData } from '../core/report.js'
import { packageRoot } from '../core/root.js'
import { runIdentity } from '../core/run-identity.js'
import type { GitHubContext } from '../core/run-identity.js'
import { faultText, runTask, watchFailureMessage } from '../core/run.js'
import type { Outcome, RunFacts, RunUi } from '../core/run.js'
import { redactDeep, redactText, redactor } from '../core/secrets.js'
import { outputsJson } from '../core/task-results.js'
import type { TaskResults } from '../core/task-results.js'
import { inline } from '../core/text.js'

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

/** What the conclusion needs to know about the run so far. */
type Context = RunFacts

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
  let started: { id: string; stopOnCancel: boolean } | undefined
  const cancellation = deps.cancellation(name => {
    const next = !started
      ? ''
      : started.stopOnCancel
        ? ` Stopping build ${started.id}…`
        : ` Leaving build ${started.id} running (${INPUT_NAMES.value(Inputs.StopOnCancel, 'false')}).`
    say(`Received ${name}: the workflow was cancelled or the step timed out.${next}`)
  })
  try {
    const identity = runIdentity(deps.github, deps.env.GITHUB_REPOSITORY)
    const { outcome, facts } = await runTask({
      read: deps.read,
      context: { env: deps.env, actionRoot: deps.actionRoot, workspace: deps.env.GITHUB_WORKSPACE ?? process.cwd() },
      names: INPUT_NAMES,
      clients: deps.clients,
      clock: deps.clock,
      identity,
      ui: actionUi(deps.write, (id, stopOnCancel) => (started = { id, stopOnCancel })),
      signal: cancellation.signal
    })
    const ctx: Context = facts
    // Every channel below (annotations, the step's error, lines, the summary, the comment) shows this one redaction.
    const result = redactDeep(withResults(verdict(ctx, outcome), ctx), redactor(ctx.masked))
    await conclude(ctx, result)
    await commentOnPullRequest(deps, ctx, result)
  } catch (error) {
    core.setFailed(`Unexpected error: ${errorText(error)}`)
  } finally {
    cancellation.dispose()
  }
}

/** The run as the workflow log shows it, and what it records for the post step. */
function actionUi(write: Write, onStarted: (id: string, stopOnCancel: boolean) => void): RunUi {
  let printer: BuildLogPrinter | undefined
  let stopOnCancel = true
  return {
    say,
    warn,
    progress: () => undefined,
    note: say,
    onPlan: (plan, secrets) => {
      // Masked first thing, before anything else is printed.
      const more = plan.prComment.enabled ? [plan.prComment.token] : []
      for (const value of [...secrets, ...more]) core.setSecret(value)
      stopOnCancel = plan.stopOnCancel
      return more
    },
    onStarting: (plan, token) => {
      core.saveState(State.Region, plan.region)
      core.saveState(State.StopOnCancel, String(plan.stopOnCancel))
      core.saveState(State.ProjectName, plan.projectName)
      core.saveState(State.StartToken, token)
    },
    onStarted: (build, links) => {
      const id = build.id as string
      onStarted(id, stopOnCancel)
      core.saveState(State.BuildId, id)
      core.setOutput(Outputs.BuildId, id)
      core.setOutput(Outputs.BuildNumber, String(build.buildNumber ?? ''))
      core.setOutput(Outputs.LogsUrl, links.logs)
    },
    showDryRun: (plan, request) => printDryRun(write, plan, request),
    print: events => (printer ??= new BuildLogPrinter(write, { groups: true })).print(events),
    printEnd: () => printer?.end()
  }
}

/** Prints the request a dry run would send (secrets masked) and the buildspec. */
function printDryRun(write: Write, plan: Plan, shown: StartBuildCommandInput): void {
  say(`Dry run: nothing is started. The StartBuild request that would be sent to ${plan.region}:`)
  // Values and the buildspec come from the user: shown as text, never taken as workflow commands.
  writeVerbatim(write, JSON.stringify(shown, null, 2).split('\n'))
  core.startGroup(`Buildspec (${plan.buildspec.source}): ${plan.buildspec.path}`)
  writeVerbatim(write, redactText(plan.buildspec.content).trimEnd().split(/\r?\n/))
  core.endGroup()
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

/** The task's results go with the verdict, so that every channel shows them redacted alike. */
function withResults(v: Verdict, ctx: Context): Verdict {
  return ctx.results ? { ...v, report: { ...v.report, results: ctx.results } } : v
}

/**
 * The task's outputs as step outputs: each (but one named like an action output) on its own, all of them as
 * task-outputs, and for the plan task pending-count and plan-digest. Values go to $GITHUB_OUTPUT only through
 * core.setOutput (a random heredoc delimiter): never to the log. The log names them.
 */
function setTaskOutputs(results: TaskResults | undefined, build: Build | undefined): void {
  if (!results) return
  for (const output of results.stepOutputs) core.setOutput(output.name, output.value)
  core.setOutput(Outputs.TaskOutputs, outputsJson(results.outputs.outputs))
  const names = results.outputs.outputs.map(o => o.name)
  if (names.length > 0) say(`Task outputs: ${names.join(', ')}`)
  for (const problem of results.outputs.problems) warn(`Task outputs: ${problem}`)
  const note = outputsNote(results, build)
  if (note && results.outputs.state !== 'refused') say(note)
  const plan = results.plan
  if (!plan) return
  if (plan.pending) {
    core.setOutput(Outputs.PendingCount, String(plan.pending.length))
    core.setOutput(Outputs.PlanDigest, plan.digest ?? '')
    say(`Pending migrations: ${plan.pending.length} (plan-digest ${plan.digest ?? ''})`)
  } else warn(`Pending migrations: ${plan.problem ?? 'unknown'}`)
}

/** A failure's verdict: the step fails with `failure`, which the report notes too. */
function failed(failure: string, report: Omit<SummaryData, 'plan'>, settled?: string): Verdict {
  return {
    ...(settled !== undefined ? { settled } : {}),
    failure,
    errors: [],
    lines: [],
    report: { ...report, notes: [...(report.notes ?? []), failure] },
    summary: true
  }
}

/** The one place that decides what each outcome reports. */
function verdict(ctx: Context, outcome: Outcome): Verdict {
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
        lines: [`With ${INPUT_NAMES.value(Inputs.Wait, 'false')}, the build goes on without this step.`],
        report: { build: outcome.build },
        summary: true
      }
    case 'ended':
      return ended(ctx, outcome)
    case 'abandoned':
      return abandoned(ctx, outcome)
    case 'watch-failed':
      return failed(
        watchFailureMessage(outcome.error, ctx.links),
        { build: outcome.error.build },
        outcome.error.build.buildStatus ?? StatusType.IN_PROGRESS
      )
  }
}

/** The build ended by itself: succeeded, or the errors that say why not (and the known failure, when diagnosed). */
function ended(ctx: Context, { build, diagnosis, lastLines }: Extract<Outcome, { kind: 'ended' }>): Verdict {
  const task = ctx.plan?.task ?? 'task'
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
    failure: `${task} ${status || 'ended'}: see the errors above and the build's log (${ctx.links?.logs ?? ''})`,
    errors,
    lines: [],
    report: { build, lastLines, ...(diagnosis ? { diagnosis } : {}) },
    summary: true,
    ...exitCode
  }
}

/** The step was cancelled (or failed) with a build running: stopped, left running as asked, or could not be stopped. */
function abandoned(ctx: Context, outcome: Extract<Outcome, { kind: 'abandoned' }>): Verdict {
  const { build, stop } = outcome
  const id = build.id ?? ''
  const fault = faultText(outcome.why)
  const why = fault === undefined ? 'the workflow was cancelled' : `the action failed: ${fault}`
  if (stop === 'left') {
    const left = INPUT_NAMES.value(Inputs.StopOnCancel, 'false')
    return failed(
      `Stopped watching build ${id} because ${why}; it goes on running (${left}): ${ctx.links?.build ?? ''}`,
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
  return failed(`${couldNotStop(id, why, stop.error)} Stop it in the console: ${ctx.links?.build ?? ''}`, { build })
}

/** A stop that failed, and why (expired credentials named as such). */
function couldNotStop(id: string, why: string, error: unknown): string {
  return `Could not stop build ${id} after ${why}: ${stopFailure(error)}.`
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
  setTaskOutputs(v.report.results, v.report.build)
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
