/** What happened, for people: the failure's phase and message, and the job summary. */
import { StatusType } from '@aws-sdk/client-codebuild'
import type { Build, BuildPhase, StartBuildCommandInput } from '@aws-sdk/client-codebuild'
import type { LogLine } from './agent-log.js'
import { breakAutolinks } from './autolinks.js'
import type { BackupReport } from './backup.js'
import type { Plan } from './inputs.js'
import type { BuildLinks } from './links.js'
import type { RunIdentity } from './run-identity.js'
import type { TaskResults } from './task-results.js'
import { redactText } from './secrets.js'
import { cutText, formatDuration, stripAnsi, tailText } from './text.js'

const OK_PHASE_STATUSES = new Set<string>([StatusType.SUCCEEDED, StatusType.IN_PROGRESS])

/** The phase that failed: the first with a status other than SUCCEEDED. */
export function failedPhase(build: Build): BuildPhase | undefined {
  return build.phases?.find(p => p.phaseStatus !== undefined && !OK_PHASE_STATUSES.has(p.phaseStatus))
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

export const STATUS_ICON: Record<string, string> = {
  SUCCEEDED: '✅',
  FAILED: '❌',
  FAULT: '❌',
  TIMED_OUT: '⏱️',
  STOPPED: '⏹️',
  IN_PROGRESS: '⏳'
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

/** Outside text (AWS answers, build output, the diagnosis) for HTML: no mention, reference or link, then escaped. */
const outside = (value: string): string => escapeHtml(breakAutolinks(value))

/** For the inside of a code block: @actions/core's addCodeBlock writes its text as is, so `<…>` would be markup. */
function escapeCode(text: string): string {
  return text.replace(/[&<>]/g, c => `&#${c.charCodeAt(0)};`)
}

/** The part of @actions/core's summary used here, so tests can pass a recorder. */
export interface SummaryWriter {
  addHeading(text: string, level?: number): SummaryWriter
  addTable(rows: Array<Array<string | { data: string; header?: boolean }>>): SummaryWriter
  addRaw(text: string, addEOL?: boolean): SummaryWriter
  addCodeBlock(code: string, lang?: string): SummaryWriter
  write(): Promise<unknown>
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
  /** What the task reported: its outputs, the plan task's pending migrations. */
  results?: TaskResults
}

const link = (text: string, href: string): string => `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`
const header = (...cells: string[]): Array<{ data: string; header: boolean }> => cells.map(data => ({ data, header: true }))

/**
 * Writes the job summary. All text from outside (messages, names, ids) is escaped, and has no mention, reference or
 * link (breakAutolinks, the comment's rule); nothing secret is in it.
 */
export function addSummary(summary: SummaryWriter, data: SummaryData): SummaryWriter {
  const { plan, build, links } = data
  const status = data.request ? 'DRY RUN' : (build?.buildStatus ?? 'NOT STARTED')
  summary.addHeading(`${STATUS_ICON[status] ?? '📝'} CodeBuild ${outside(plan.task)}: ${outside(status)}`, 3)
  const rows: Array<[string, string]> = [
    ['Task', escapeHtml(plan.task)],
    ['Project', escapeHtml(plan.projectName)],
    ['Region', escapeHtml(plan.region)],
    ['Image', plan.image ? `<code>${escapeHtml(plan.image.uri)}</code>` : "the project's IMAGE_URI"]
  ]
  if (plan.command !== undefined) rows.push(['Command', `<code>${escapeHtml(redactText(plan.command))}</code>`])
  if (build?.id) rows.push(['Build', `${outside(`#${build.buildNumber ?? '?'}`)} <code>${outside(build.id)}</code>`])
  if (links) rows.push(['Links', `${link('build', links.build)} · ${link('log', links.logs)}`])
  if (data.identity?.sha) rows.push(['Commit', `<code>${escapeHtml(data.identity.sha)}</code>`])
  if (data.identity?.pullRequest !== undefined) rows.push(['Pull request', `#${data.identity.pullRequest}`])
  if (data.identity?.runUrl) rows.push(['Run', link('workflow run', data.identity.runUrl)])
  if (build) {
    rows.push(['Status', `${STATUS_ICON[status] ?? ''} ${outside(status)}`])
    rows.push(['Duration', formatDuration(buildDurationMs(build))])
  }
  summary.addTable(rows.map(([k, v]) => [`<b>${k}</b>`, v]))
  const phases = (build?.phases ?? []).filter(p => p.phaseType !== 'COMPLETED')
  if (phases.length > 0) {
    summary.addTable([
      header('Phase', 'Status', 'Duration', 'Context'),
      ...phases.map(p => [
        outside(p.phaseType ?? ''),
        `${STATUS_ICON[p.phaseStatus ?? ''] ?? ''} ${outside(p.phaseStatus ?? (p.endTime ? '' : 'IN_PROGRESS'))}`.trim(),
        p.durationInSeconds !== undefined ? formatDuration(p.durationInSeconds * 1000) : '–',
        outside(p.phaseStatus && !OK_PHASE_STATUSES.has(p.phaseStatus) ? phaseContext(p) : '')
      ])
    ])
  }
  if (data.diagnosis) {
    summary.addRaw(`<p><b>Likely cause:</b> ${outside(data.diagnosis.cause)}<br><b>Fix:</b> ${outside(data.diagnosis.fix)}</p>`, true)
  }
  if (data.lastLines && data.lastLines.length > 0) {
    summary.addRaw('<p><b>Last lines of the output:</b></p>', true)
    summary.addCodeBlock(escapeCode(breakAutolinks(data.lastLines.join('\n'))), 'text')
  }
  if (data.results) addResultsSummary(summary, data.results, build)
  if (data.backup) addBackupSummary(summary, data.backup)
  for (const note of data.notes ?? []) summary.addRaw(`<p>${outside(note)}</p>`, true)
  if (data.request) {
    summary.addRaw('<p>Dry run: nothing was started. This is the StartBuild request that would be sent:</p>', true)
    summary.addCodeBlock(escapeCode(JSON.stringify(data.request, null, 2)), 'json')
    summary.addRaw(`<p>Buildspec (${escapeHtml(plan.buildspec.source)}): <code>${escapeHtml(plan.buildspec.path)}</code></p>`, true)
    summary.addCodeBlock(escapeCode(redactText(plan.buildspec.content)), 'yaml')
  }
  return summary
}

/** A value as the reports show it: at most this many characters. */
const SHOWN_VALUE_CHARS = 500
/** At most this many pending migrations are listed (all are counted and in the digest). */
const SHOWN_PENDING = 200

/** A task output's value for the reports: cut to `max` characters, never inside a surrogate pair. */
export function shownValue(value: string, max = SHOWN_VALUE_CHARS): string {
  return value.length > max ? `${cutText(value, max)}…` : value
}

/**
 * When the reports say why a build has no outputs: when the buildspec refused them, or the build did not succeed
 * (a succeeded build without TASK_OUTPUTS ran a custom buildspec that does not carry them: nothing to say).
 */
export function outputsNote(results: TaskResults, build: Build | undefined): string | undefined {
  const { state, note } = results.outputs
  if (state === 'refused' || (state === 'missing' && build?.buildStatus !== StatusType.SUCCEEDED)) return note
  return undefined
}

/** The task's outputs (name, value) and, for the plan task, the pending migrations and their digest. */
function addResultsSummary(summary: SummaryWriter, results: TaskResults, build: Build | undefined): void {
  const { outputs } = results.outputs
  if (outputs.length > 0) {
    summary.addRaw('<p><b>Task outputs</b></p>', true)
    summary.addTable([
      header('Name', 'Value'),
      ...outputs.map(o => [`<code>${escapeHtml(o.name)}</code>`, outside(shownValue(o.value)).replace(/\r?\n/g, '<br>')])
    ])
  }
  const note = outputsNote(results, build)
  if (note) summary.addRaw(`<p><b>Task outputs:</b> ${outside(note)}</p>`, true)
  const plan = results.plan
  if (!plan) return
  if (!plan.pending) {
    summary.addRaw(`<p><b>Pending migrations:</b> unknown (${outside(plan.problem ?? '')})</p>`, true)
    return
  }
  summary.addHeading(`Pending migrations (${plan.pending.length})`, 4)
  if (plan.pending.length === 0) summary.addRaw('<p>None: the database is up to date.</p>', true)
  else
    summary.addTable([
      header('#', 'ID', 'Name', 'Checksum'),
      ...plan.pending
        .slice(0, SHOWN_PENDING)
        .map((m, i) => [String(i + 1), `<code>${outside(m.id)}</code>`, outside(m.name ?? ''), outside(m.checksum ?? '')])
    ])
  if (plan.pending.length > SHOWN_PENDING) summary.addRaw(`<p>…and ${plan.pending.length - SHOWN_PENDING} more.</p>`, true)
  summary.addRaw(`<p><b>plan-digest:</b> <code>${escapeHtml(plan.digest ?? '')}</code></p>`, true)
}

/** The backup step: what was verified, or the snapshot (id, size, time taken) and how to restore from it. */
function addBackupSummary(summary: SummaryWriter, backup: BackupReport): void {
  const what = backup.database ? `${backup.database.kind === 'instance' ? 'DB instance' : 'DB cluster'} ` : ''
  const rows: Array<[string, string]> = [['Database', `${what}<code>${escapeHtml(backup.dbIdentifier)}</code>`]]
  if (backup.verified) rows.push(['Verified', `${backup.verified.passed ? '✅' : '❌'} ${outside(backup.verified.found)}`])
  const snap = backup.snapshot
  if (snap) {
    rows.push([
      'Snapshot',
      `<code>${escapeHtml(snap.id)}</code> (${outside(snap.status)}${snap.reused ? ', from an earlier try of this step' : ''})`
    ])
    if (snap.allocatedStorageGiB !== undefined) rows.push(['Allocated storage', `${snap.allocatedStorageGiB} GiB`])
    if (snap.tookMs !== undefined) rows.push(['Time taken', formatDuration(snap.tookMs)])
  }
  summary.addRaw(`<p><b>Backup before the task</b> (backup: ${escapeHtml(backup.mode)}${backup.dryRun ? ', dry run' : ''})</p>`, true)
  summary.addTable(rows.map(([k, v]) => [`<b>${k}</b>`, v]))
  if (backup.restore && snap) {
    summary.addRaw('<p>To restore from the snapshot into a new database:</p>', true)
    summary.addCodeBlock(escapeCode(backup.restore), 'sh')
  }
}
