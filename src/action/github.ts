/** The GitHub REST calls of the pull-request comment, through @actions/github's Octokit, each bounded in time. */
import { getOctokit } from '@actions/github'
import type { Clock } from '../core/clock.js'
import type { CommentApi } from './pr-comment.js'
import { withTimeLimit } from '../core/retry.js'

const CALL_LIMIT_MS = 15_000

export interface PullRequestRef {
  apiUrl: string
  repository: string
  number: number
}

export function commentApi(token: string, pr: PullRequestRef, clock: Clock): CommentApi {
  const octokit = getOctokit(token, { baseUrl: pr.apiUrl })
  const [owner = '', repo = ''] = pr.repository.split('/')
  const issue = { owner, repo, issue_number: pr.number }
  const limited = <T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> => withTimeLimit(clock, CALL_LIMIT_MS, undefined, call)
  return {
    list: () =>
      limited(signal => octokit.paginate(octokit.rest.issues.listComments, { ...issue, per_page: 100, request: { signal } })).then(
        comments => comments.map(c => ({ id: c.id, body: c.body ?? null, user: c.user ? { type: c.user.type } : null }))
      ),
    create: body => limited(signal => octokit.rest.issues.createComment({ ...issue, body, request: { signal } })).then(() => undefined),
    update: (id, body) =>
      limited(signal => octokit.rest.issues.updateComment({ owner, repo, comment_id: id, body, request: { signal } })).then(() => undefined)
  }
}
