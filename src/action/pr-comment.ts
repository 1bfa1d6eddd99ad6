/**
 * The sticky pull-request comment: one per project, task, job (and `pr-comment-key`), found by a hidden marker and
 * updated in place on every run. Everything from outside (build output, AWS messages, ids) is escaped so that it
 * renders as the text it is: no HTML, no Markdown, no @mentions that notify, no #123 references. What the action
 * masks never appears. A comment that cannot be written never changes the step's result.
 */
import type { Build } from '@aws-sdk/client-codebuild'
import { STATUS_ICON, buildDurationMs, failedPhase, phaseContext } from '../core/report.js'
import type { SummaryData } from '../core/report.js'
import { formatDuration } from '../core/text.js'

/** GitHub refuses comments longer than 65,536 characters; stay well below. */
export const MAX_COMMENT_CHARS = 60_000

/** What renders the comment, beyond the summary's data. */
export interface CommentData extends SummaryData {
  /** The job's id (GITHUB_JOB) and the `pr-comment-key`: with project and task, what makes the comment this step's. */
  job: string
  key: string
  /** Hides what the action masks (registered secrets, secret-looking text). */
  redact: (text: string) => string
}

/** Plain text, rendered as itself anywhere in Markdown or HTML: every character with a meaning becomes an entity. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[&<>"'\\`*_{}[\]()#+!|~@:=$%^-]/g, c => `&#${c.charCodeAt(0)};`)
}

/** For a table cell or a heading: one line. */
const cell = (text: string): string => escapeMarkdown(text.replace(/\s*[\r\n]+\s*/g, ' '))

/** The hidden marker. Its parts are validated inputs ([A-Za-z0-9._-]); a job id outside that set is left out. */
export function commentMarker(projectName: string, task: string, job: string, key: string): string {
  const safeJob = /^[A-Za-z0-9._-]{1,100}$/.test(job) ? job : '-'
  return `<!-- codebuild-vpc-task project=${projectName} task=${task} job=${safeJob} key=${key || '-'} -->`
}

/** A Markdown link to a URL the action built (console and run links): characters that would end it are encoded. */
const link = (text: string, url: string): string =>
  `[${cell(text)}](${url.replace(/[()<>\s"']/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)})`

function phasesLine(build: Build): string | undefined {
  const phases = (build.phases ?? []).filter(p => p.phaseType !== 'COMPLETED' && p.phaseType !== undefined)
  if (phases.length === 0) return undefined
  return phases
    .map(p => {
      const icon = STATUS_ICON[p.phaseStatus ?? 'IN_PROGRESS'] ?? ''
      const took = p.durationInSeconds !== undefined ? ` ${formatDuration(p.durationInSeconds * 1000)}` : ''
      return `${cell(p.phaseType ?? '')} ${icon}${took}`
    })
    .join(' · ')
}

/** The comment's Markdown: the status first, then the details; the task's last lines are cut first to fit. */
export function renderComment(data: CommentData): string {
  const { plan, build, links, identity, redact } = data
  const status = data.request ? 'DRY RUN' : (build?.buildStatus ?? 'NOT STARTED')
  const head = [
    commentMarker(plan.projectName, plan.task, data.job, data.key),
    `### ${STATUS_ICON[status] ?? '📝'} ${cell(plan.task)} ${cell(status)} · ${cell(plan.projectName)}`,
    ''
  ]
  const rows: Array<[string, string]> = []
  if (build?.id)
    rows.push([
      'Build',
      `#${cell(String(build.buildNumber ?? '?'))}${links ? ` · ${link('build', links.build)} · ${link('log', links.logs)}` : ''}`
    ])
  if (build) rows.push(['Duration', cell(formatDuration(buildDurationMs(build)))])
  rows.push(['Image', plan.image ? `<code>${escapeMarkdown(redact(plan.image.uri))}</code>` : "the project's IMAGE_URI"])
  if (identity?.sha) rows.push(['Commit', `<code>${cell(identity.sha.slice(0, 12))}</code>`])
  if (identity?.runUrl) rows.push(['Run', link('workflow run', identity.runUrl)])
  const table = ['| | |', '| --- | --- |', ...rows.map(([k, v]) => `| **${k}** | ${v} |`), '']
  const body: string[] = []
  const phases = build ? phasesLine(build) : undefined
  if (phases) body.push(`**Phases:** ${phases}`, '')
  const failed = build && build.buildStatus !== 'SUCCEEDED' && build.buildStatus !== 'IN_PROGRESS' ? failedPhase(build) : undefined
  if (failed)
    body.push(
      `**Failed in ${cell(failed.phaseType ?? 'a phase')}:** ${cell(redact(phaseContext(failed) || 'CodeBuild gave no message'))}`,
      ''
    )
  if (data.diagnosis)
    body.push(`**Likely cause:** ${cell(redact(data.diagnosis.cause))}<br>**Fix:** ${cell(redact(data.diagnosis.fix))}`, '')
  for (const note of data.notes ?? []) body.push(cell(redact(note)), '')
  if (data.request) body.push(details('The StartBuild request that would be sent', JSON.stringify(data.request, null, 2), redact))
  const lines = (data.lastLines ?? []).map(redact)
  const fixed = [...head, ...table, ...body].join('\n')
  if (lines.length === 0) return fit(fixed)
  // Cut the oldest of the last lines until the comment fits; the status and details above are never cut.
  for (let keep = lines.length; keep > 0; keep--) {
    const text = `${fixed}\n${details('Last lines of the output', lines.slice(-keep).join('\n'), s => s)}`
    if (text.length <= MAX_COMMENT_CHARS) return text
  }
  return fit(fixed)
}

function details(summary: string, text: string, redact: (text: string) => string): string {
  return `<details><summary>${summary}</summary>\n\n<pre>${escapeMarkdown(redact(text))}</pre>\n</details>\n`
}

function fit(text: string): string {
  return text.length <= MAX_COMMENT_CHARS ? text : `${text.slice(0, MAX_COMMENT_CHARS - 40)}\n\n…(cut to fit GitHub's limit)\n`
}

/** The calls the comment needs, so they can be faked in tests; Octokit's in production (see github.ts). */
export interface CommentApi {
  list(): Promise<Array<{ id: number; body?: string | null; user?: { type?: string } | null }>>
  create(body: string): Promise<void>
  update(id: number, body: string): Promise<void>
}

/**
 * Creates the comment, or updates the one that starts with the marker: the bot's own if there are several (a
 * person could paste the marker; updating their comment is all that could do).
 */
export async function publishComment(api: CommentApi, marker: string, body: string): Promise<'created' | 'updated'> {
  const ours = (await api.list()).filter(c => (c.body ?? '').startsWith(marker))
  const target = ours.find(c => c.user?.type === 'Bot') ?? ours[0]
  if (target) {
    await api.update(target.id, body)
    return 'updated'
  }
  await api.create(body)
  return 'created'
}
