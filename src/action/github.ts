/** The GitHub calls of the pull-request comment (REST, and GraphQL for the token's identity), through @actions/github's Octokit, each bounded in time. */
import { getOctokit } from '@actions/github'
import type { Clock } from '../core/support/index.js'
import type { CommentApi } from './pr-comment.js'
import { withTimeLimit } from '../core/aws/index.js'

const CALL_LIMIT_MS = 15_000

/** Who the token acts as; GraphQL answers it for every kind of token (REST's GET /user refuses an App's). */
const VIEWER_QUERY = 'query { viewer { databaseId login } }'
interface ViewerAnswer {
  viewer?: { databaseId?: number | null; login: string } | null
}

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
        comments => comments.map(c => ({ id: c.id, body: c.body ?? null, user: c.user ? { id: c.user.id, login: c.user.login } : null }))
      ),
    viewer: () =>
      limited(signal => octokit.graphql<ViewerAnswer>(VIEWER_QUERY, { request: { signal } })).then(({ viewer }) =>
        typeof viewer?.databaseId === 'number' ? { id: viewer.databaseId, login: viewer.login } : undefined
      ),
    create: body => limited(signal => octokit.rest.issues.createComment({ ...issue, body, request: { signal } })).then(() => undefined),
    update: (id, body) =>
      limited(signal => octokit.rest.issues.updateComment({ owner, repo, comment_id: id, body, request: { signal } })).then(() => undefined)
  }
}
