/**
 * The CLI front-end: the same plan, preflight, start, watch and diagnosis as the action, for a terminal.
 * Exit codes: 0 succeeded; 1 the build failed, faulted, timed out or was stopped; 2 bad flags or inputs;
 * 3 AWS, network or credential errors (watching given up included: the build goes on); 4 a precondition failed,
 * nothing started (project busy with if-running: fail, a backup check, the project's lookup); 130 SIGINT (Ctrl-C)
 * and 143 SIGTERM (kill, timeout), whatever the CLI was doing when the signal came.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { StatusType } from '@aws-sdk/client-codebuild'
import type { Build } from '@aws-sdk/client-codebuild'
import { errorText, isExpiredCredentials } from '../core/aws-errors.js'
import type { BackupReport } from '../core/backup.js'
import type { Cancellation } from '../core/cancellation.js'
import type { AwsClients } from '../core/clients.js'
import type { Clock } from '../core/clock.js'
import { TOKEN_VARIABLE } from '../core/constants.js'
import { formatDiagnosis } from '../core/diagnosis.js'
import type { Diagnosis } from '../core/diagnosis.js'
import { InputError, parsePlan } from '../core/inputs.js'
import type { Plan } from '../core/inputs.js'
import { buildLinks } from '../core/links.js'
import type { BuildLinks } from '../core/links.js'
import { PreflightError, preflight } from '../core/preflight.js'
import { buildDurationMs, describeFailure, phaseContext, taskExitCode } from '../core/report.js'
import { buildStartRequest, redactRequest } from '../core/request.js'
import { packageRoot } from '../core/root.js'
import { runIdentity } from '../core/run-identity.js'
import { newExecutionToken } from '../core/execution.js'
import { backupDepsFor, gateBeforeStart, gateDryRun } from '../core/gate.js'
import { ProjectBusyError, runningBuilds } from '../core/running.js'
import { redactDeep, redactText, redactor, secretsOf } from '../core/secrets.js'
import { StartUnknownError, findStartedBuild, startBuild } from '../core/start.js'
import { stopBuild } from '../core/stop.js'
import { formatDuration } from '../core/text.js'
import { WatchError } from '../core/watch.js'
import { followBuild } from '../core/follow.js'
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
  /** SIGINT and SIGTERM: the first aborts the run (`onSignal`), a later one calls `onAgain` (src/core/cancellation.ts). */
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
  const cancellation = deps.cancellation(
    name => {
      progress.signal = name
      const { started, links } = progress
      const why = interruptedBy(name)
      term.clearProgress()
      term.warn(
        started
          ? progress.stopOnCancel
            ? `${why}: stopping build ${started.id ?? ''}… (Ctrl-C again to leave it running and exit)`
            : `${why}: leaving build ${started.id ?? ''} running (stop-on-cancel: false): ${links?.build ?? ''}`
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
  let result: Result
  try {
    result = await execute(deps, env, inputReader(args), term, cancellation.signal, progress)
  } catch (error) {
    // A fault of the CLI itself: still one result (and one JSON object with --json), exit 3.
    deps.stderr.write(`codebuild-vpc-task: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    result = {
      exitCode: Exit.Aws,
      status: progress.started ? StatusType.IN_PROGRESS : 'NOT_STARTED',
      message: `Unexpected error: ${errorText(error)}`
    }
  } finally {
    cancellation.dispose()
  }
  // A signal decides the exit code, whatever the run was doing when it came (a snapshot wait included).
  if (progress.signal) result = { ...result, exitCode: signalExit(progress.signal) }
  // The result's outside text (CodeBuild's messages, the task's last lines) as every other channel shows it.
  result = redactDeep(result, redactText)
  if (args.json) printJson(deps.stdout, result)
  else report(term, result)
  return result.exitCode
}

/** --json: the result as one JSON object on one line of stdout. */
function printJson(stdout: Stream, result: Result): void {
  stdout.write(`${JSON.stringify({ ...result, taskExitCode: result.taskExitCode ?? null, diagnosis: result.diagnosis ?? null })}\n`)
}

/** A bad input as the CLI names it: the flag, then what was wrong. */
function flagMessage(error: InputError): string {
  return `--${error.input}: ${error.message.replace(`Input '${error.input}' `, '')}`
}

async function execute(
  deps: CliDeps,
  env: NodeJS.ProcessEnv,
  read: (name: string) => string,
  term: Terminal,
  signal: AbortSignal,
  progress: Progress
): Promise<Result> {
  let plan: Plan
  try {
    plan = parsePlan(read, { env, actionRoot: ROOT, workspace: deps.cwd })
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    return { exitCode: Exit.Usage, status: 'NOT_STARTED', message: flagMessage(error) }
  }
  if (env.AWS_PROFILE) process.env.AWS_PROFILE = env.AWS_PROFILE
  progress.stopOnCancel = plan.stopOnCancel
  const base = { task: plan.task, project: plan.projectName }
  let started: Build | undefined
  let links: BuildLinks | undefined
  const why = (): string => interruptedBy(progress.signal)
  const interruptedExit = (): number => signalExit(progress.signal ?? 'SIGINT')
  /** A refusal before the start: a precondition (4), or the signal's code when the signal cut it short. */
  const refused = (): number => (signal.aborted ? interruptedExit() : Exit.Precondition)
  let backup: BackupReport | undefined
  try {
    const secrets = secretsOf(plan)
    for (const w of secrets.warnings) term.warn(w)
    const clients = deps.clients(plan.region)
    const { codebuild, logs } = clients
    term.heading(`${plan.task} on ${plan.projectName} (${plan.region})`)
    term.progress(`Checking project ${plan.projectName}…`)
    const firstLook = plan.dryRun ? undefined : runningBuilds(codebuild, plan.projectName, deps.clock, signal)
    firstLook?.catch(() => undefined)
    // An input the project's lookup refuses (a variable replacing the project's DATABASE_URL, no image anywhere) is a
    // refusal of that lookup, as its other refusals are: exit 4, naming the flag.
    const checked = await preflight(codebuild, plan, deps.clock, signal).catch((error: unknown) => {
      throw error instanceof InputError ? new PreflightError(flagMessage(error)) : error
    })
    for (const w of checked.warnings) term.warn(w)
    // No workflow run: no GitHub identity; the execution's token is this invocation's own, as in a workflow.
    const identity = runIdentity(
      { eventName: '', sha: '', ref: '', payload: {}, runId: 0, runAttempt: 0, actor: '', job: '', action: '', serverUrl: '', apiUrl: '' },
      undefined
    )
    const execution = newExecutionToken()
    const request = buildStartRequest(plan, identity, execution)
    const say = (m: string): void => term.info(m)
    const backupDeps = backupDepsFor(plan, { clients, clock: deps.clock, identity, execution, say, signal })
    if (plan.dryRun) {
      const gate = await gateDryRun(plan, backupDeps)
      backup = gate.backup
      if (gate.failure) return { ...base, exitCode: refused(), status: 'NOT_STARTED', message: gate.failure, ...(backup ? { backup } : {}) }
      term.heading('Dry run: the StartBuild request (nothing is started)')
      for (const line of JSON.stringify(redactRequest(request, plan), null, 2).split('\n')) term.info(line)
      term.heading(`Buildspec (${plan.buildspec.source}): ${plan.buildspec.path}`)
      for (const line of redactText(plan.buildspec.content).trimEnd().split(/\r?\n/)) term.info(line)
      return { ...base, exitCode: Exit.Succeeded, status: 'DRY_RUN', ...(backup ? { backup } : {}) }
    }
    const gate = await gateBeforeStart(plan, {
      codebuild,
      clock: deps.clock,
      say,
      signal,
      ...(firstLook ? { firstLook } : {}),
      backup: backupDeps
    })
    if (gate.backup) backup = gate.backup
    if (gate.failure) return { ...base, exitCode: refused(), status: 'NOT_STARTED', message: gate.failure, ...(backup ? { backup } : {}) }
    term.progress(`Starting a build of ${plan.projectName}…`)
    try {
      started = await startBuild({ codebuild, clock: deps.clock, signal, notice: say }, request)
    } catch (error) {
      if (!signal.aborted) throw error
      started = await findStartedBuild(codebuild, plan.projectName, request.idempotencyToken, deps.clock, 4_000)
      if (!started)
        return {
          ...base,
          exitCode: interruptedExit(),
          status: 'NOT_STARTED',
          message: `${why()} while StartBuild was in flight; no build carrying ${TOKEN_VARIABLE}=${request.idempotencyToken} was found.`
        }
    }
    links = buildLinks(started, plan.region)
    progress.started = started
    progress.links = links
    const id = started.id as string
    term.info(`Started ${plan.task} build #${started.buildNumber ?? '?'} of ${plan.projectName}: ${id}`)
    term.info(`Build: ${links.build}`)
    term.info(`Log:   ${links.logs}`)
    if (signal.aborted) return await interrupted(plan, codebuild, started, links, base, why(), interruptedExit())
    if (!plan.wait) return { ...buildResult(started, links, base), exitCode: Exit.Succeeded, message: 'wait is false: the build goes on.' }

    try {
      const { build, lastLines, diagnosis } = await followBuild(
        { codebuild, logs, clock: deps.clock },
        plan,
        started,
        {
          print: events => term.events(events),
          onNotice: m => term.note(m),
          onWarning: m => term.warn(m),
          redact: redactor(secrets.register)
        },
        signal
      )
      term.clearProgress()
      const result = buildResult(build, links, base)
      if (build.buildStatus === StatusType.SUCCEEDED) return { ...result, exitCode: Exit.Succeeded }
      return {
        ...result,
        exitCode: Exit.Failed,
        message: describeFailure(plan, build, lastLines).message,
        lastLines,
        ...(diagnosis ? { diagnosis } : {}),
        ...(backup ? { backup } : {})
      }
    } catch (error) {
      term.clearProgress()
      if (signal.aborted) return await interrupted(plan, codebuild, started, links, base, why(), interruptedExit())
      if (error instanceof WatchError)
        return {
          ...buildResult(error.build, links, base),
          exitCode: Exit.Aws,
          message: `Stopped watching build ${id} (${error.reason}: ${errorText(error.cause)}). The build goes on: ${links.build}`
        }
      // A fault of the command itself: the build must not outlive it.
      return await interrupted(plan, codebuild, started, links, base, `The command failed (${errorText(error)})`, Exit.Aws)
    }
  } catch (error) {
    term.clearProgress()
    const at = started ? { ...buildResult(started, links as BuildLinks, base) } : { ...base, status: 'NOT_STARTED' }
    if (signal.aborted) return { ...at, exitCode: interruptedExit(), message: `${why()} before a build was started.` }
    if (error instanceof ProjectBusyError || error instanceof PreflightError)
      return { ...at, exitCode: Exit.Precondition, message: error.message }
    if (error instanceof StartUnknownError) return { ...at, exitCode: Exit.Aws, message: error.message }
    if (isExpiredCredentials(error))
      return { ...at, exitCode: Exit.Aws, message: `The AWS credentials have expired (${errorText(error)}).` }
    return { ...at, exitCode: Exit.Aws, message: errorText(error) }
  }
}

/** After a signal (or a fault of the command) with a build running: stop it (unless stop-on-cancel is false). */
async function interrupted(
  plan: Plan,
  codebuild: AwsClients['codebuild'],
  build: Build,
  links: BuildLinks,
  base: Pick<Result, 'task' | 'project'>,
  why: string,
  exitCode: number
): Promise<Result> {
  const id = build.id ?? ''
  if (!plan.stopOnCancel)
    return {
      ...buildResult(build, links, base),
      exitCode,
      message: `${why}: build ${id} goes on running (stop-on-cancel: false): ${links.build}`
    }
  try {
    const stopped = (await stopBuild(codebuild, id)) ?? build
    const status = stopped.buildStatus && stopped.buildStatus !== StatusType.IN_PROGRESS ? stopped.buildStatus : StatusType.STOPPED
    return {
      ...buildResult({ ...stopped, buildStatus: status }, links, base),
      exitCode,
      message: `${why}: stopped build ${id}.`
    }
  } catch (error) {
    return {
      ...buildResult(build, links, base),
      exitCode: Exit.Aws,
      message: `${why}, but could not stop build ${id}: ${errorText(error)}. Stop it in the console: ${links.build}`
    }
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
  if (r.backup?.snapshot) rows.push(['Snapshot', r.backup.snapshot.id])
  if (r.links) rows.push(['Console', r.links.build], ['Log', r.links.logs])
  term.table(rows)
  if (r.phases && r.phases.length > 0) {
    term.info('')
    term.table([
      ['Phase', 'Status', 'Duration'],
      ...r.phases.map(p => [p.phase, p.status || '–', p.durationSeconds === undefined ? '–' : formatDuration(p.durationSeconds * 1000)])
    ])
  }
  if (r.exitCode === Exit.Succeeded) {
    if (r.message) term.info(r.message)
    return
  }
  term.heading('Failure')
  if (r.message) term.error(r.message)
  if (r.diagnosis) term.error(formatDiagnosis(r.diagnosis))
}
