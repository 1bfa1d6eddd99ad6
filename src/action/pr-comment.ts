/**
 * The sticky pull-request comment: one per workflow, job, project, task (and `pr-comment-key`), found by a hidden
 * marker and updated in place on every run, but only a comment written by the identity the token acts as: a comment
 * anyone else posts with the marker is left alone. Everything from outside (build output, AWS messages, ids) is
 * escaped so that it renders as the text it is: no HTML, no Markdown, and (breakAutolinks) no @mentions, no #123
 * references, no links. What the action masks never appears. A comment that cannot be written never changes the
 * step's result.
 */
import type { Build } from '@aws-sdk/client-codebuild'
import { breakAutolinks } from '../core/autolinks.js'
import { STATUS_ICON, buildDurationMs, failedPhase, outputsNote, phaseContext, shownValue } from '../core/report.js'
import type { SummaryData } from '../core/report.js'
import type { TaskResults } from '../core/task-results.js'
import { cutText, formatDuration, wellFormed } from '../core/text.js'

/** GitHub refuses comments longer than 65,536 characters; stay well below. */
export const MAX_COMMENT_CHARS = 60_000

/** What renders the comment, beyond the summary's data. */
export interface CommentData extends SummaryData {
  /**
   * The workflow (commentWorkflow), the job's id (GITHUB_JOB) and the `pr-comment-key`: with project and task, what
   * makes the comment this step's.
   */
  workflow: string
  job: string
  key: string
  /** Hides what the action masks (registered secrets, secret-looking text). */
  redact: (text: string) => string
}

/** Plain text, rendered as itself anywhere in Markdown or HTML: every character with a meaning becomes an entity. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[&<>"'\\`*_{}[\]()#+!|~@:=$%^-]/g, c => `&#${c.charCodeAt(0)};`)
}

/** Outside text for Markdown or HTML: no mention, reference or link (breakAutolinks), then escaped. */
const outside = (text: string): string => escapeMarkdown(breakAutolinks(text))

/** For a table cell or a heading: one line. */
const cell = (text: string): string => outside(text.replace(/\s*[\r\n]+\s*/g, ' '))

/**
 * The workflow, for the marker: the workflow file's path from GITHUB_WORKFLOW_REF (`owner/repo/.github/workflows/
 * pr.yml@refs/pull/7/merge` without the ref, which differs between events), unique in the repository; the workflow's
 * name (GITHUB_WORKFLOW) where the runner does not set the ref.
 */
export function commentWorkflow(env: NodeJS.ProcessEnv): string {
  const ref = env.GITHUB_WORKFLOW_REF ?? ''
  if (ref !== '') return (/^(.+?\.ya?ml)@/.exec(ref)?.[1] ?? ref.split('@')[0]) || ref
  return env.GITHUB_WORKFLOW ? `name:${env.GITHUB_WORKFLOW}` : ''
}

/**
 * A value in the marker: UTF-8, every byte outside [A-Za-z0-9._~/-] percent-encoded, so no value has a space (the
 * separator), a `>` (no `-->` can end the HTML comment early) or anything else, and '' and '-' stay apart.
 */
function markerValue(value: string): string {
  let out = ''
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte)
    out += /[A-Za-z0-9._~/-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** The hidden marker the comment starts with. */
export function commentMarker(data: Pick<CommentData, 'plan' | 'workflow' | 'job' | 'key'>): string {
  const parts = { workflow: data.workflow, job: data.job, project: data.plan.projectName, task: data.plan.task, key: data.key }
  const values = Object.entries(parts).map(([name, value]) => `${name}=${markerValue(value)}`)
  return `<!-- codebuild-vpc-task/2 ${values.join(' ')} -->`
}

/**
 * The marker of versions before the workflow was in it (project and task are validated names; a job id outside
 * [A-Za-z0-9._-] and an empty key were '-'): a comment of the same identity that starts with it is adopted, so
 * upgrading never adds a second comment.
 */
export function legacyCommentMarker(data: Pick<CommentData, 'plan' | 'job' | 'key'>): string {
  const safeJob = /^[A-Za-z0-9._-]{1,100}$/.test(data.job) ? data.job : '-'
  return `<!-- codebuild-vpc-task project=${data.plan.projectName} task=${data.plan.task} job=${safeJob} key=${data.key || '-'} -->`
}

/** The markers a comment of this step may start with, the current one first. */
export function commentMarkers(data: Pick<CommentData, 'plan' | 'workflow' | 'job' | 'key'>): string[] {
  return [commentMarker(data), legacyCommentMarker(data)]
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

/**
 * The comment's Markdown: the status first, then the details; the task's last lines are cut first to fit. Well-formed
 * UTF-16: a lone surrogate (half an emoji cut off upstream) becomes U+FFFD.
 */
export function renderComment(data: CommentData): string {
  return wellFormed(compose(data))
}

function compose(data: CommentData): string {
  const { plan, build, links, identity, redact } = data
  const status = data.request ? 'DRY RUN' : (build?.buildStatus ?? 'NOT STARTED')
  const head = [
    commentMarker(data),
    `### ${STATUS_ICON[status] ?? '📝'} ${cell(plan.task)} ${cell(status)} · ${cell(plan.projectName)}`,
    ''
  ]
  const rows: Array<[string, string]> = []
  if (build?.id)
    rows.push([
      'Build',
      `${cell(`#${build.buildNumber ?? '?'}`)}${links ? ` · ${link('build', links.build)} · ${link('log', links.logs)}` : ''}`
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
  if (data.results) body.push(...resultsLines(data.results, build, redact))
  for (const note of data.notes ?? []) body.push(cell(redact(note)), '')
  if (data.request)
    body.push(details('The StartBuild request that would be sent', escapeMarkdown(redact(JSON.stringify(data.request, null, 2)))))
  const lines = (data.lastLines ?? []).map(redact)
  const fixed = [...head, ...table, ...body].join('\n')
  if (lines.length === 0) return fit(fixed)
  // Cut the oldest of the last lines until the comment fits; the status and details above are never cut.
  for (let keep = lines.length; keep > 0; keep--) {
    const text = `${fixed}\n${details('Last lines of the output', outside(lines.slice(-keep).join('\n')))}`
    if (text.length <= MAX_COMMENT_CHARS) return text
  }
  return fit(fixed)
}

/** At most this many pending migrations are listed in the comment (all are counted and in the digest). */
const COMMENT_PENDING = 100
/** Values (outputs, migration ids, names, checksums) are cut to this in the comment: escaped, they grow up to 6 times. */
const COMMENT_VALUE_CHARS = 120

/** The task's outputs and the plan's pending migrations, every value outside text. */
function resultsLines(results: TaskResults, build: Build | undefined, redact: (text: string) => string): string[] {
  const lines: string[] = []
  const { outputs } = results.outputs
  if (outputs.length > 0)
    lines.push(
      '**Task outputs**',
      '',
      '| Name | Value |',
      '| --- | --- |',
      ...outputs.map(o => `| <code>${cell(o.name)}</code> | ${cell(redact(shownValue(o.value, COMMENT_VALUE_CHARS)))} |`),
      ''
    )
  const note = outputsNote(results, build)
  if (note) lines.push(`**Task outputs:** ${cell(redact(note))}`, '')
  const plan = results.plan
  if (!plan) return lines
  if (!plan.pending) return [...lines, `**Pending migrations:** unknown (${cell(redact(plan.problem ?? ''))})`, '']
  lines.push(`#### Pending migrations (${plan.pending.length})`, '')
  if (plan.pending.length === 0) lines.push('None: the database is up to date.', '')
  else
    lines.push(
      '| # | ID | Name | Checksum |',
      '| --- | --- | --- | --- |',
      ...plan.pending.slice(0, COMMENT_PENDING).map((m, i) => {
        const [id, name, checksum] = [m.id, m.name ?? '', m.checksum ?? ''].map(v => cell(redact(shownValue(v, COMMENT_VALUE_CHARS))))
        return `| ${i + 1} | <code>${id}</code> | ${name} | ${checksum} |`
      }),
      ''
    )
  if (plan.pending.length > COMMENT_PENDING) lines.push(`…and ${plan.pending.length - COMMENT_PENDING} more.`, '')
  lines.push(`**plan-digest:** <code>${cell(plan.digest ?? '')}</code>`, '')
  return lines
}

/** A collapsed block of escaped text. */
function details(summary: string, escaped: string): string {
  return `<details><summary>${summary}</summary>\n\n<pre>${escaped}</pre>\n</details>\n`
}

/** Cut to GitHub's limit, never inside a surrogate pair. */
function fit(text: string): string {
  return text.length <= MAX_COMMENT_CHARS ? text : `${cutText(text, MAX_COMMENT_CHARS - 40)}\n\n…(cut to fit GitHub's limit)\n`
}

/** The calls the comment needs, so they can be faked in tests; Octokit's in production (see github.ts). */
export interface CommentApi {
  list(): Promise<Array<{ id: number; body?: string | null; user?: { id?: number; login?: string } | null }>>
  /**
   * Who the token acts as, by GraphQL's `viewer` (its databaseId is the REST user id): the Actions bot for
   * GITHUB_TOKEN, `<slug>[bot]` for an App's installation token, the user for a personal token. REST's `GET /user`
   * refuses installation tokens (403 "Resource not accessible by integration"). Undefined when GitHub gave no id.
   */
  viewer(): Promise<{ id: number; login: string } | undefined>
  create(body: string): Promise<void>
  update(id: number, body: string): Promise<void>
}

export interface Published {
  done: 'created' | 'updated'
  /** Comments that start with the marker but were written by someone else: left alone. */
  othersLeft: number
  /** Why the token's identity is unknown, when comments with the marker were there: none was adopted. */
  unverified?: unknown
}

/**
 * Updates this step's comment: the newest one that starts with one of `markers` (the current marker preferred)
 * and was written by the identity the token acts as, compared by numeric id. Anyone can post a comment that starts
 * with the marker; such a comment is never adopted, whoever wrote it. Otherwise, or when the identity can't be
 * found out, creates a new comment: a second comment is the price of never writing into one that may not be ours
 * (the safe choice; the caller says so in a warning).
 */
export async function publishComment(api: CommentApi, markers: readonly string[], body: string): Promise<Published> {
  const rank = (text: string | null | undefined): number => markers.findIndex(m => (text ?? '').startsWith(m))
  const marked = (await api.list()).filter(c => rank(c.body) >= 0)
  let me: { id: number } | undefined
  let unverified: unknown
  if (marked.length > 0) {
    try {
      me = await api.viewer()
      if (me === undefined) unverified = new Error('GitHub did not say who the token acts as')
    } catch (error) {
      unverified = error
    }
  }
  const own = me ? marked.filter(c => typeof c.user?.id === 'number' && c.user.id === me.id) : []
  const othersLeft = me ? marked.length - own.length : 0
  const newest = (r: number) => own.filter(c => rank(c.body) === r).at(-1)
  const target = markers.map((_, r) => newest(r)).find(c => c !== undefined)
  if (target) {
    await api.update(target.id, body)
    return { done: 'updated', othersLeft }
  }
  await api.create(body)
  return { done: 'created', othersLeft, ...(unverified !== undefined ? { unverified } : {}) }
}
