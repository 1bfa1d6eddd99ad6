/**
 * The CLI front-end: the run is src/core/run/run.ts (`runTask`, shared with the action), rendered for a terminal into
 * the result table, `--json` and the exit code.
 * Exit codes: 0 succeeded; 1 the build failed, faulted, timed out or was stopped; 2 bad flags or inputs;
 * 3 AWS, network or credential errors (watching given up included: the build goes on); 4 a precondition failed,
 * nothing started (project busy with if-running: fail, a backup check, the project's lookup); 130 SIGINT (Ctrl-C)
 * and 143 SIGTERM (kill, timeout), whatever the CLI was doing when the signal came.
 */
import {
  adviceText,
  budgetRows,
  buildDurationMs,
  describeFailure,
  formatDiagnosis,
  outputsNote,
  phaseContext,
  shownValue,
  taskExitCode
} from '../core/report/index.js'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { StatusType } from '@aws-sdk/client-codebuild'
import type { Build } from '@aws-sdk/client-codebuild'
import { errorText, FLAG_NAMES, stopFailure } from '../core/errors/index.js'
import type { BackupReport } from '../core/backup/index.js'
import type { Cancellation, Clock } from '../core/support/index.js'
import type { AwsClients, BuildLinks } from '../core/aws/index.js'
import { formatDuration, Inputs, packageRoot } from '../core/support/index.js'
import type { BudgetAdvice, Diagnosis, TimeBudget } from '../core/report/index.js'
import type { ErrorKind } from '../core/errors/index.js'
import type { Plan, RunIdentity } from '../core/plan/index.js'
import { redactDeep, redactor, redactText } from '../core/plan/index.js'
import { faultText, runTask, runTimeBudget, watchFailureMessage } from '../core/run/index.js'
import type { Outcome, RunFacts, RunUi } from '../core/run/index.js'
import { isListedOutput, outputsByName } from '../core/results/index.js'
import type { PendingMigration, TaskResults } from '../core/results/index.js'
import { UsageError, inputReader, jsonRequested, parseArgs } from './args.js'
import { helpText } from './help.js'
import { Terminal } from './terminal.js'
import type { Stream } from './terminal.js'

const Exit = { Succeeded: 0, Failed: 1, Usage: 2, Aws: 3, Precondition: 4 } as const

/** A signal's exit code, as a shell reports a command it ended: 128 + the signal's number. */
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 }
const signalExit = (name: NodeJS.Signals): number => SIGNAL_EXIT[name] ?? 130

export interface CliDeps {
  argv: readonly string[]
  env: NodeJS.ProcessEnv
  stdout: Stream
  stderr: Stream
  clock: Clock
  clients: (region: string) => AwsClients
  cwd: string
  /** Exits at once (the second Ctrl-C). */
  exit: (code: number) => void
  /** SIGINT and SIGTERM: the first aborts the run (`onSignal`), a later one calls `onAgain` (src/core/support/cancellation.ts). */
  cancellation: (onSignal: (name: NodeJS.Signals) => void, onAgain: (name: NodeJS.Signals) => void) => Cancellation
}

const ROOT = packageRoot(import.meta.url)

function version(): string {
  try {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version?: unknown }
    return typeof version === 'string' ? version : '0.0.0'
  } catch {
    return '0.0.0'
  }
}

/** The result, for --json and the final table: the same facts as the job summary. */
interface Result {
  exitCode: number
  status: string
  message?: string
  task?: string
  project?: string
  id?: string
  number?: number
  durationSeconds?: number
  links?: BuildLinks
  phases?: Array<{ phase: string; status: string; durationSeconds?: number; context?: string }>
  taskExitCode?: number
  diagnosis?: Diagnosis
  lastLines?: string[]
  backup?: BackupReport
  /** Where the run's time went; the advice with its line as the CLI writes it. */
  timeBudget?: Omit<TimeBudget, 'advice'> & { advice?: BudgetAdvice & { text: string } }
  /** The task's outputs by name (the action's task-outputs), once its build ended. */
  taskOutputs?: Record<string, string>
  /** Why there are none, or why they were refused, when the reports say so. */
  taskOutputsNote?: string
  /** The plan task's pending migrations in apply order, their count and digest (the action's outputs). */
  pending?: PendingMigration[]
  pendingCount?: number
  planDigest?: string
  /** Why the plan task's pending migrations are unknown. */
  pendingProblem?: string
}

/** How far the run got, for what a signal says: set by `execute` as it goes. */
interface Progress {
  started?: Build
  links?: BuildLinks
  stopOnCancel: boolean
  /** The signal that interrupted the run. */
  signal?: NodeJS.Signals
}

/** What the CLI says of a signal: "Interrupted" for Ctrl-C, else its name. */
const interruptedBy = (name: NodeJS.Signals | undefined): string => (name === 'SIGTERM' ? 'Terminated (SIGTERM)' : 'Interrupted')

export async function runCli(deps: CliDeps): Promise<number> {
  let args
  try {
    args = parseArgs(deps.argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    deps.stderr.write(`codebuild-vpc-task: ${error.message}\nRun codebuild-vpc-task --help for the flags.\n`)
    if (jsonRequested(deps.argv)) printJson(deps.stdout, { exitCode: Exit.Usage, status: 'NOT_STARTED', message: error.message })
    return Exit.Usage
  }
  if (args.help) {
    deps.stdout.write(helpText(version()))
    return Exit.Succeeded
  }
  if (args.version) {
    deps.stdout.write(`${version()}\n`)
    return Exit.Succeeded
  }
  const env = { ...deps.env }
  // The SDK's default credential chain reads the profile from AWS_PROFILE (shared config and credentials, SSO, process).
  if (args.profile) env.AWS_PROFILE = args.profile
  const term = new Terminal(args.json ? deps.stderr : deps.stdout, env)
  const progress: Progress = { stopOnCancel: true }
  const cancellation = onSignals(deps, term, progress)
  let result: Result
  try {
    result = await execute(deps, env, inputReader(args), term, cancellation.signal, progress)
  } catch (error) {
    // A fault of the CLI itself: still one result (and one JSON object with --json), exit 3.
    deps.stderr.write(`codebuild-vpc-task: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    result = {
      exitCode: Exit.Aws,
      status: progress.started ? StatusType.IN_PROGRESS : 'NOT_STARTED',
      message: `Unexpected error: ${redactText(errorText(error))}`
    }
  } finally {
    cancellation.dispose()
  }
  // A signal decides the exit code, whatever the run was doing when it came (a snapshot wait included).
  if (progress.signal) result = { ...result, exitCode: signalExit(progress.signal) }
  if (args.json) printJson(deps.stdout, result)
  else report(term, result)
  return result.exitCode
}

/** SIGINT and SIGTERM: the first says what becomes of the build and aborts the run; a second exits at once. */
function onSignals(deps: CliDeps, term: Terminal, progress: Progress): Cancellation {
  return deps.cancellation(
    name => {
      progress.signal = name
      const { started, links } = progress
      const why = interruptedBy(name)
      const left = FLAG_NAMES.value(Inputs.StopOnCancel, 'false')
      term.clearProgress()
      term.warn(
        started
          ? progress.stopOnCancel
            ? `${why}: stopping build ${started.id ?? ''}… (Ctrl-C again to leave it running and exit)`
            : `${why}: leaving build ${started.id ?? ''} running (${left}): ${links?.build ?? ''}`
          : `${why}: nothing is started. (Ctrl-C again to exit at once)`
      )
    },
    name => {
      const { started, links } = progress
      term.warn(
        started
          ? `Interrupted again: exiting now; build ${started.id ?? ''} may still be running: ${links?.build ?? ''}`
          : 'Interrupted again: exiting now.'
      )
      deps.exit(signalExit(name))
    }
  )
}

/** --json: the result as one JSON object on one line of stdout. */
function printJson(stdout: Stream, result: Result): void {
  stdout.write(
    `${JSON.stringify({ ...result, taskExitCode: result.taskExitCode ?? null, diagnosis: result.diagnosis ?? null, taskOutputs: result.taskOutputs ?? null })}\n`
  )
}

/** The CLI's exit code for a refusal or failure before any build exists (the README's table). */
const EXIT_OF: Record<ErrorKind, number> = {
  input: Exit.Usage,
  precondition: Exit.Precondition,
  cancelled: Exit.Precondition,
  'start-unknown': Exit.Aws,
  aws: Exit.Aws,
  unexpected: Exit.Aws
}

async function execute(
  deps: CliDeps,
  env: NodeJS.ProcessEnv,
  read: (name: string) => string,
  term: Terminal,
  signal: AbortSignal,
  progress: Progress
): Promise<Result> {
  if (env.AWS_PROFILE) process.env.AWS_PROFILE = env.AWS_PROFILE
  // No workflow run: no GitHub identity; the execution's token is this invocation's own, as in a workflow.
  const identity: RunIdentity = {}
  const { outcome, facts } = await runTask({
    read,
    context: { env, actionRoot: ROOT, workspace: deps.cwd },
    names: FLAG_NAMES,
    clients: deps.clients,
    clock: deps.clock,
    identity,
    ui: cliUi(term, progress),
    signal
  })
  term.clearProgress()
  const budget = runTimeBudget({ outcome, facts })
  const result = { ...render(outcome, facts, progress), ...(budget ? { timeBudget: cliBudget(budget) } : {}) }
  // The result's outside text (CodeBuild's messages, the task's last lines) as the action's reports show it: the
  // values masked for this run, then every secret-looking part.
  const withBackup = facts.backup ? { ...result, backup: facts.backup } : result
  return redactDeep(facts.results ? withResults(withBackup, facts.results) : withBackup, redactor(facts.masked))
}

/** The task's results in the result: its outputs, the plan's pending migrations, what the reports say of them. */
function withResults(result: Result, results: TaskResults): Result {
  const note = outputsNote(results)
  const plan = results.plan
  return {
    ...result,
    taskOutputs: outputsByName(results.outputs.outputs),
    ...(note ? { taskOutputsNote: note } : {}),
    ...(plan?.pending ? { pending: plan.pending, pendingCount: plan.pending.length, planDigest: plan.digest ?? '' } : {}),
    ...(plan?.problem ? { pendingProblem: plan.problem } : {})
  }
}

/** The run as the terminal shows it. */
function cliUi(term: Terminal, progress: Progress): RunUi {
  return {
    say: m => term.info(m),
    warn: m => term.warn(m),
    progress: m => term.progress(m),
    note: m => term.note(m),
    onPlan: plan => {
      progress.stopOnCancel = plan.stopOnCancel
      term.heading(`${plan.task} on ${plan.projectName} (${plan.region})`)
    },
    onStarting: () => undefined,
    onStarted: (build, links) => {
      progress.started = build
      progress.links = links
    },
    showDryRun: (plan, request) => {
      term.heading('Dry run: the StartBuild request (nothing is started)')
      for (const line of JSON.stringify(request, null, 2).split('\n')) term.info(line)
      term.heading(`Buildspec (${plan.buildspec.source}): ${plan.buildspec.path}`)
      for (const line of redactText(plan.buildspec.content).trimEnd().split(/\r?\n/)) term.info(line)
    },
    print: events => term.events(events),
    printEnd: () => term.clearProgress()
  }
}

/** The budget for --json and the table: the advice's line with the flags as the CLI writes them. */
function cliBudget(budget: TimeBudget): NonNullable<Result['timeBudget']> {
  const { advice, ...rest } = budget
  return advice ? { ...rest, advice: { ...advice, text: adviceText(advice, FLAG_NAMES) } } : rest
}

/** The outcome as the CLI's result: its table, --json and exit code. */
function render(outcome: Outcome, facts: RunFacts, progress: Progress): Result {
  const plan = facts.plan
  const base = plan ? { task: plan.task, project: plan.projectName } : {}
  const links = facts.links as BuildLinks
  switch (outcome.kind) {
    case 'not-started':
      return { ...base, exitCode: EXIT_OF[outcome.reason], status: 'NOT_STARTED', message: outcome.message }
    case 'start-unknown':
      return { ...base, exitCode: Exit.Aws, status: 'NOT_STARTED', message: outcome.error.message }
    case 'backup-failed':
      return { ...base, exitCode: Exit.Precondition, status: 'NOT_STARTED', message: outcome.message }
    case 'dry-run':
      return { ...base, exitCode: Exit.Succeeded, status: 'DRY_RUN' }
    case 'detached':
      return {
        ...buildResult(outcome.build, links, base),
        exitCode: Exit.Succeeded,
        message: `With ${FLAG_NAMES.value(Inputs.Wait, 'false')}, the build goes on.`
      }
    case 'ended': {
      const { build, lastLines, diagnosis } = outcome
      const result = buildResult(build, links, base)
      if (build.buildStatus === StatusType.SUCCEEDED) return { ...result, exitCode: Exit.Succeeded }
      const message = describeFailure(plan as Plan, build, lastLines).message
      return { ...result, exitCode: Exit.Failed, message, lastLines, ...(diagnosis ? { diagnosis } : {}) }
    }
    case 'abandoned':
      return abandoned(outcome, links, base, progress)
    case 'watch-failed':
      return { ...buildResult(outcome.error.build, links, base), exitCode: Exit.Aws, message: watchFailureMessage(outcome.error, links) }
  }
}

/** After a signal (or a fault of the command) with a build running: stopped, left running, or could not be stopped. */
function abandoned(
  outcome: Extract<Outcome, { kind: 'abandoned' }>,
  links: BuildLinks,
  base: Pick<Result, 'task' | 'project'>,
  progress: Progress
): Result {
  const { build, stop } = outcome
  const id = build.id ?? ''
  const fault = faultText(outcome.why)
  const why = fault === undefined ? interruptedBy(progress.signal) : `The command failed (${fault})`
  const exitCode = fault === undefined ? signalExit(progress.signal ?? 'SIGINT') : Exit.Aws
  if (stop === 'left') {
    const left = FLAG_NAMES.value(Inputs.StopOnCancel, 'false')
    return { ...buildResult(build, links, base), exitCode, message: `${why}: build ${id} goes on running (${left}): ${links.build}` }
  }
  if (stop === 'stopped') {
    const stopped = outcome.stopped ?? build
    const status = stopped.buildStatus && stopped.buildStatus !== StatusType.IN_PROGRESS ? stopped.buildStatus : StatusType.STOPPED
    return { ...buildResult({ ...stopped, buildStatus: status }, links, base), exitCode, message: `${why}: stopped build ${id}.` }
  }
  return {
    ...buildResult(build, links, base),
    exitCode: Exit.Aws,
    message: `${why}, but could not stop build ${id}: ${stopFailure(stop.error)}. Stop it in the console: ${links.build}`
  }
}

function buildResult(build: Build, links: BuildLinks, base: Pick<Result, 'task' | 'project'>): Result {
  const duration = buildDurationMs(build)
  const exit = taskExitCode(build)
  return {
    ...base,
    exitCode: Exit.Succeeded,
    status: build.buildStatus ?? StatusType.IN_PROGRESS,
    ...(build.id ? { id: build.id } : {}),
    ...(build.buildNumber !== undefined ? { number: build.buildNumber } : {}),
    ...(duration !== undefined ? { durationSeconds: Math.round(duration / 1000) } : {}),
    links,
    phases: (build.phases ?? []).map(p => ({
      phase: p.phaseType ?? '',
      status: p.phaseStatus ?? '',
      ...(p.durationInSeconds !== undefined ? { durationSeconds: p.durationInSeconds } : {}),
      ...(phaseContext(p) ? { context: phaseContext(p) } : {})
    })),
    ...(exit !== undefined ? { taskExitCode: exit } : {})
  }
}

/** The task's outputs (name = value, values cut) and the plan's pending migrations. */
function reportResults(term: Terminal, r: Result): void {
  // The pending list is shown as a table below, not as the JSON it came in.
  const outputs = Object.entries(r.taskOutputs ?? {}).filter(([name]) => isListedOutput(name, r.pending !== undefined))
  if (outputs.length > 0) {
    term.heading('Task outputs')
    term.table(outputs.map(([name, value]) => [name, shownValue(value.replace(/\r?\n/g, ' ⏎ '), 200)]))
  }
  if (r.taskOutputsNote) term.note(r.taskOutputsNote)
  if (r.pendingProblem) term.warn(`Pending migrations: ${r.pendingProblem}`)
  if (!r.pending) return
  term.heading(`Pending migrations (${r.pending.length})`)
  if (r.pending.length === 0) term.info('None: the database is up to date.')
  else term.table(r.pending.map((m, i) => [String(i + 1), m.id, m.name ?? '', m.checksum ?? ''].map(v => shownValue(v, 120))))
  term.info(`plan-digest: ${r.planDigest ?? ''}`)
}

const ICON: Record<string, string> = { SUCCEEDED: '✔', FAILED: '✘', FAULT: '✘', TIMED_OUT: '⏱', STOPPED: '■', IN_PROGRESS: '…' }

/** The final table (the job summary's facts), and on failure the failing phase, CodeBuild's message, the diagnosis, the last lines. */
function report(term: Terminal, r: Result): void {
  if (r.exitCode === Exit.Usage) {
    term.error(`codebuild-vpc-task: ${r.message ?? ''}\nRun codebuild-vpc-task --help for the flags.`)
    return
  }
  term.heading('Result')
  const colour = r.status === 'SUCCEEDED' || r.status === 'DRY_RUN' ? '32' : r.status === 'IN_PROGRESS' ? '33' : '31'
  const rows: string[][] = [['Status', term.paint(colour, `${ICON[r.status] ?? '·'} ${r.status}`)]]
  if (r.task) rows.push(['Task', `${r.task} on ${r.project ?? ''}`])
  if (r.id) rows.push(['Build', `#${r.number ?? '?'} ${r.id}`])
  if (r.durationSeconds !== undefined) rows.push(['Duration', formatDuration(r.durationSeconds * 1000)])
  if (r.taskExitCode !== undefined) rows.push(['Exit code', String(r.taskExitCode)])
  if (r.backup?.verified) rows.push(['Backup', `${r.backup.verified.passed ? 'verified' : 'check failed'}: ${r.backup.verified.found}`])
  if (r.backup?.snapshot) rows.push(['Snapshot', `${r.backup.snapshot.id} (${r.backup.snapshot.outcome})`])
  if (r.links) rows.push(['Console', r.links.build], ['Log', r.links.logs])
  term.table(rows)
  if (r.phases && r.phases.length > 0) {
    term.info('')
    term.table([
      ['Phase', 'Status', 'Duration'],
      ...r.phases.map(p => [p.phase, p.status || '–', p.durationSeconds === undefined ? '–' : formatDuration(p.durationSeconds * 1000)])
    ])
  }
  if (r.timeBudget) {
    term.info('')
    term.table([['Where the time went', 'Time', 'Share'], ...budgetRows(r.timeBudget)])
    if (r.timeBudget.advice) term.info(r.timeBudget.advice.text)
  }
  reportResults(term, r)
  if (r.exitCode === Exit.Succeeded) {
    if (r.message) term.info(r.message)
    return
  }
  term.heading('Failure')
  if (r.message) term.error(r.message)
  if (r.diagnosis) term.error(formatDiagnosis(r.diagnosis))
}
