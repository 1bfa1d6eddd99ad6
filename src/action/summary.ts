/**
 * The job summary: the run as HTML for GitHub's step summary (@actions/core's summary). Its data is the core's
 * (SummaryData, src/core/report); the HTML, the icons and the escaping for it are the action's.
 */
import {
  adviceText,
  breakAutolinks,
  budgetRows,
  buildDurationMs,
  outputsNote,
  phaseContext,
  phaseFailed,
  shownValue
} from '../core/report/index.js'
import { listedOutputs } from '../core/results/index.js'
import type { TaskResults } from '../core/results/index.js'
import type { SummaryData, TimeBudget } from '../core/report/index.js'
import type { BackupReport } from '../core/backup/index.js'
import { redactText } from '../core/plan/index.js'
import { formatDuration } from '../core/support/index.js'
import { INPUT_NAMES } from '../core/errors/index.js'

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
        outside(phaseFailed(p) ? phaseContext(p) : '')
      ])
    ])
  }
  if (data.timeBudget) addBudgetSummary(summary, data.timeBudget)
  if (data.diagnosis) {
    summary.addRaw(`<p><b>Likely cause:</b> ${outside(data.diagnosis.cause)}<br><b>Fix:</b> ${outside(data.diagnosis.fix)}</p>`, true)
  }
  if (data.lastLines && data.lastLines.length > 0) {
    summary.addRaw('<p><b>Last lines of the output:</b></p>', true)
    summary.addCodeBlock(escapeCode(breakAutolinks(data.lastLines.join('\n'))), 'text')
  }
  if (data.results) addResultsSummary(summary, data.results)
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

/** Where the run's time went: a table of its parts, and the advice when provisioning and the pull took most of it. */
function addBudgetSummary(summary: SummaryWriter, budget: TimeBudget): void {
  summary.addRaw('<p><b>Where the time went</b></p>', true)
  summary.addTable([header('Part', 'Time', 'Share'), ...budgetRows(budget).map(row => row.map(escapeHtml))])
  if (budget.advice) summary.addRaw(`<p>💡 ${escapeHtml(adviceText(budget.advice, INPUT_NAMES))}</p>`, true)
}

/** At most this many pending migrations are listed (all are counted and in the digest). */
const SHOWN_PENDING = 200

/** The task's outputs (name, value) and, for the plan task, the pending migrations and their digest. */
function addResultsSummary(summary: SummaryWriter, results: TaskResults): void {
  const outputs = listedOutputs(results)
  if (outputs.length > 0) {
    summary.addRaw('<p><b>Task outputs</b></p>', true)
    summary.addTable([
      header('Name', 'Value'),
      ...outputs.map(o => [`<code>${escapeHtml(o.name)}</code>`, outside(shownValue(o.value)).replace(/\r?\n/g, '<br>')])
    ])
  }
  const note = outputsNote(results)
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
