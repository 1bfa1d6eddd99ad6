/** What happened, for people: the failure's phase and message, and the data a report (summary, comment) shows. */
import { StatusType } from '@aws-sdk/client-codebuild'
import type { Build, BuildPhase, StartBuildCommandInput } from '@aws-sdk/client-codebuild'
import type { LogLine } from '../watch/index.js'
import type { BackupReport } from '../backup/index.js'
import type { Plan, RunIdentity } from '../plan/index.js'
import type { BuildLinks } from '../aws/index.js'
import type { TimeBudget } from './time-budget.js'
import type { TaskResults } from '../results/index.js'
import { cutText, stripAnsi, tailText } from '../support/index.js'

const OK_PHASE_STATUSES = new Set<string>([StatusType.SUCCEEDED, StatusType.IN_PROGRESS])

/** Whether a phase failed: it has a status other than SUCCEEDED (or IN_PROGRESS). */
export const phaseFailed = (p: BuildPhase): boolean => p.phaseStatus !== undefined && !OK_PHASE_STATUSES.has(p.phaseStatus)

/** The phase that failed: the first with a status other than SUCCEEDED. */
export function failedPhase(build: Build): BuildPhase | undefined {
  return build.phases?.find(phaseFailed)
}

/** Room for CodeBuild's message quoting the bundled buildspecs' longest command (about 470 characters) whole. */
const MAX_CONTEXT = 600

/**
 * CodeBuild's message for a phase, on one line: a multi-line command quoted in it ("Error while executing
 * command: (\n…\n). Reason: exit status 1") is folded, and a very long one is cut in the middle.
 */
export function phaseContext(phase: BuildPhase | undefined): string {
  const text = (phase?.contexts ?? [])
    .map(c => [c.statusCode, c.message].filter(Boolean).join(': '))
    .filter(Boolean)
    .join('; ')
    .replace(/\s*\n\s*/g, ' ')
    .trim()
  if (text.length <= MAX_CONTEXT) return text
  return `${cutText(text, MAX_CONTEXT / 2)} … ${tailText(text, MAX_CONTEXT / 2)}`
}

export interface Failure {
  title: string
  message: string
}

/**
 * The last lines the task printed (not the CodeBuild agent's `[Container]` / `[Instance]` lines nor its echo of a
 * command, see AgentLineFilter), for the failure's annotation
 * and summary: at 2 a.m. the cause is usually there ("canceling statement due to lock timeout"). Bounded: a few
 * lines, each cut to a few hundred characters; nothing else of the log is kept.
 */
export class LastTaskLines {
  private readonly kept: string[] = []
  constructor(
    private readonly maxLines = 5,
    private readonly maxChars = 300
  ) {}

  observe(logged: LogLine): void {
    if (logged.kind !== 'task') return
    const line = stripAnsi(logged.text).trimEnd()
    if (line.trim() === '') return
    this.kept.push(line.length > this.maxChars ? `${cutText(line, this.maxChars)}…` : line)
    if (this.kept.length > this.maxLines) this.kept.shift()
  }

  lines(): string[] {
    return [...this.kept]
  }
}

/**
 * The error for a build that did not succeed: task, status and failed phase, CodeBuild's own message, and the
 * task's last output lines when there are any.
 */
export function describeFailure(plan: Pick<Plan, 'task' | 'projectName'>, build: Build, lastLines: readonly string[] = []): Failure {
  const status = build.buildStatus ?? 'UNKNOWN'
  const phase = failedPhase(build)
  const where = phase?.phaseType ? ` in phase ${phase.phaseType}` : ''
  const context = phaseContext(phase)
  const reason =
    context ||
    (status === StatusType.TIMED_OUT
      ? `the build ran past its timeout of ${build.timeoutInMinutes ?? '?'} minutes`
      : status === StatusType.STOPPED
        ? 'the build was stopped'
        : 'CodeBuild gave no message')
  return {
    title: `${plan.task} ${status}${where}`,
    message:
      `Build ${build.id ?? ''} of ${plan.projectName} ended ${status}${where}: ${reason}` +
      (lastLines.length > 0 ? `\nLast lines of the output:\n${lastLines.join('\n')}` : '')
  }
}

const EXIT_STATUS = /Reason: exit status (\d{1,3})\b/

/**
 * The task container's exit code: 0 when the build succeeded; N when its BUILD phase (where the task runs) failed
 * with CodeBuild's phase context `… Reason: exit status N`; undefined otherwise (failed before the task ran,
 * stopped, timed out, or no such context).
 */
export function taskExitCode(build: Build): number | undefined {
  if (build.buildStatus === StatusType.SUCCEEDED) return 0
  const phase = failedPhase(build)
  if (phase?.phaseType !== 'BUILD') return undefined
  for (const c of phase.contexts ?? []) {
    const m = EXIT_STATUS.exec(c.message ?? '')
    if (m) return Number(m[1])
  }
  return undefined
}

export function buildDurationMs(build: Build): number | undefined {
  if (!build.startTime) return undefined
  return (build.endTime ?? new Date()).getTime() - build.startTime.getTime()
}

export interface SummaryData {
  plan: Plan
  build?: Build
  links?: BuildLinks
  /** For the dry run: the request that would have been sent, already redacted. */
  request?: StartBuildCommandInput
  diagnosis?: { title: string; cause: string; fix: string }
  /** The task's last output lines, for a failed build. */
  lastLines?: readonly string[]
  notes?: string[]
  /** The GitHub run: commit, pull request, run link. */
  identity?: RunIdentity
  /** The backup step before the task, when there was one. */
  backup?: BackupReport
  /** Where the run's time went (time-budget.ts), as far as it is known. */
  timeBudget?: TimeBudget
  /** What the task reported: its outputs, the plan task's pending migrations. */
  results?: TaskResults
}

/** A value as the reports show it: at most this many characters. */
const SHOWN_VALUE_CHARS = 500

/** A task output's value for the reports: cut to `max` characters, never inside a surrogate pair. */
export function shownValue(value: string, max = SHOWN_VALUE_CHARS): string {
  return value.length > max ? `${cutText(value, max)}…` : value
}

/**
 * When the reports say why a build has no outputs: when the buildspec refused them, CodeBuild did not keep them
 * (stopped, timed out, failed before post_build), or did not report them although the buildspec declares them. A
 * build whose post_build ran without TASK_OUTPUTS, which its buildspec does not declare, ran a custom buildspec that
 * does not carry outputs: nothing to say (the plan task's missing list says it).
 */
export function outputsNote(results: TaskResults): string | undefined {
  const { state, note } = results.outputs
  return state === 'undeclared' || state === 'captured' ? undefined : note
}
