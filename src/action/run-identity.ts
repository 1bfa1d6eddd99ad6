import type { RunIdentity } from '../core/plan/index.js'

/**
 * Who is running: the GitHub run, read from @actions/github's context (the type, RunIdentity, is the core's:
 * src/core/plan/identity.ts). It goes to the build (for the audit trail in
 * CodeBuild, and back links to the run), into the snapshot's name and tags, the job summary and the pull-request
 * comment. It is the same for every execution of a step in a run (matrix legs, jobs without step ids): what tells
 * executions apart is src/core/build/execution.ts.
 * On pull_request and pull_request_target events the commit is the pull request's head, the one its author
 * pushed, not the temporary merge commit GITHUB_SHA names.
 */

/** The parts of @actions/github's Context used here (its constructor reads the runner's environment). */
export interface GitHubContext {
  eventName: string
  sha: string
  ref: string
  payload: { pull_request?: { number?: unknown; head?: { sha?: unknown } } }
  runId: number
  runAttempt: number
  actor: string
  job: string
  /** GITHUB_ACTION: the step's id, unique within the job. */
  action: string
  serverUrl: string
  apiUrl: string
}

const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target'])
const SHA = /^[0-9a-f]{40}$/

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)
const count = (value: number): string | undefined => (Number.isInteger(value) && value > 0 ? String(value) : undefined)

export function runIdentity(context: GitHubContext, repository: string | undefined): RunIdentity {
  const identity: RunIdentity = {}
  const set = <K extends keyof RunIdentity>(key: K, value: RunIdentity[K] | undefined): void => {
    if (value !== undefined) identity[key] = value
  }
  set('repository', text(repository))
  set('ref', text(context.ref))
  set('runId', count(context.runId))
  set('runAttempt', count(context.runAttempt))
  set('actor', text(context.actor))
  set('job', text(context.job))
  set('step', text(context.action))
  set('eventName', text(context.eventName))
  let sha = text(context.sha)
  const pr = context.payload.pull_request
  if (PULL_REQUEST_EVENTS.has(context.eventName) && pr) {
    const head = pr.head?.sha
    if (typeof head === 'string' && SHA.test(head)) sha = head
    if (typeof pr.number === 'number' && Number.isInteger(pr.number) && pr.number > 0) identity.pullRequest = pr.number
  }
  set('sha', sha)
  if (identity.repository && identity.runId) {
    const server = text(context.serverUrl)?.replace(/\/+$/, '') ?? 'https://github.com'
    identity.runUrl = `${server}/${identity.repository}/actions/runs/${identity.runId}/attempts/${identity.runAttempt ?? '1'}`
  }
  return identity
}
