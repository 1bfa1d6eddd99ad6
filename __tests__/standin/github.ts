/**
 * The few GitHub calls of the pull-request comment, answered as api.github.com does: REST (list, create and update
 * issue comments: JSON, `Link` pagination, 201 on create, and a mode where the token may only read: 403 "Resource
 * not accessible by integration", what a fork's pull request gets), and GraphQL's `POST /graphql` for
 * `{ viewer { databaseId login } }`, the identity the token acts as. Every token acts as someone: the Actions bot
 * (`github-actions[bot]`, id 41898282) unless `identities` names another; a comment is written by its token's
 * identity. `GET /user` answers for a user's token and refuses a bot's (an installation token, GITHUB_TOKEN) with
 * 403 "Resource not accessible by integration", as GitHub does.
 */
import type http from 'node:http'

export interface GitHubUser {
  id: number
  login: string
  type: 'Bot' | 'User'
}

/** Who GITHUB_TOKEN acts as: the GitHub Actions app's bot user. */
export const ACTIONS_BOT: GitHubUser = { id: 41898282, login: 'github-actions[bot]', type: 'Bot' }
/** A person. */
export const OCTOCAT: GitHubUser = { id: 583231, login: 'octocat', type: 'User' }

export interface IssueComment {
  id: number
  body: string
  user: GitHubUser
  created_at: string
  updated_at: string
}

export interface GitHubCall {
  method: string
  path: string
  status: number
  authorization?: string
}

export interface GitHubOptions {
  /** Answer writes with 403, as for a read-only token. */
  readOnly?: boolean
  /** Who each token acts as; any other token acts as ACTIONS_BOT. */
  identities?: Record<string, GitHubUser>
  /** GraphQL answers 502 (as GitHub sometimes does) instead of the viewer. */
  graphqlDown?: boolean
}

const PER_PAGE_MAX = 100

export class GitHubStandIn {
  readonly calls: GitHubCall[] = []
  /** Comments by issue, keyed `owner/repo#number`. */
  private readonly issues = new Map<string, IssueComment[]>()
  private nextId = 1000

  constructor(
    private readonly baseUrl: () => string,
    public options: GitHubOptions = {}
  ) {}

  comments(repository: string, issue: number): IssueComment[] {
    return [...(this.issues.get(`${repository}#${issue}`) ?? [])]
  }

  /** A comment written by someone (a person by default), e.g. one that pastes the marker. */
  addComment(repository: string, issue: number, body: string, by: GitHubUser = OCTOCAT): IssueComment {
    const comment = this.make(body, by)
    this.list(`${repository}#${issue}`).push(comment)
    return comment
  }

  /** True when the request was a GitHub call (REST or GraphQL) and has been answered. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, text: string): boolean {
    const url = new URL(req.url ?? '/', 'http://standin')
    const method = req.method ?? 'GET'
    const graphql = url.pathname === '/graphql' && method === 'POST'
    if (!url.pathname.startsWith('/repos/') && !graphql && url.pathname !== '/user') return false
    const call: GitHubCall = { method, path: `${url.pathname}${url.search}`, status: 0 }
    if (typeof req.headers.authorization === 'string') call.authorization = req.headers.authorization
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): true => {
      call.status = status
      this.calls.push(call)
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
      res.end(JSON.stringify(payload))
      return true
    }
    if (!call.authorization) return send(401, { message: 'Requires authentication' })
    const token = call.authorization.replace(/^(token|bearer)\s+/i, '')
    const identity = this.options.identities?.[token] ?? ACTIONS_BOT
    const list = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(url.pathname)
    const one = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(url.pathname)
    const forbidden = {
      message: 'Resource not accessible by integration',
      documentation_url: 'https://docs.github.com/rest',
      status: '403'
    }
    if (graphql) {
      if (this.options.graphqlDown) return send(502, { message: 'Server Error' })
      const query = (JSON.parse(text || '{}') as { query?: unknown }).query
      if (typeof query !== 'string' || !/^\s*(query\s*)?\{\s*viewer\s*\{\s*databaseId\s+login\s*\}\s*\}\s*$/.test(query))
        return send(200, { errors: [{ message: 'The stand-in answers only { viewer { databaseId login } }' }] })
      return send(200, { data: { viewer: { databaseId: identity.id, login: identity.login } } })
    }
    if (url.pathname === '/user' && method === 'GET') {
      if (identity.type === 'Bot') return send(403, forbidden)
      return send(200, { login: identity.login, id: identity.id, type: identity.type })
    }
    if (list && method === 'GET') {
      const all = this.list(`${list[1]}/${list[2]}#${list[3]}`)
      const perPage = Math.min(PER_PAGE_MAX, Number(url.searchParams.get('per_page') ?? 30) || 30)
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1)
      const pages = Math.max(1, Math.ceil(all.length / perPage))
      const headers: Record<string, string> = {}
      if (page < pages) {
        const next = new URL(`${this.baseUrl()}${url.pathname}`)
        next.searchParams.set('per_page', String(perPage))
        next.searchParams.set('page', String(page + 1))
        headers.link = `<${next.toString()}>; rel="next"`
      }
      return send(200, all.slice((page - 1) * perPage, page * perPage), headers)
    }
    if (list && method === 'POST') {
      if (this.options.readOnly) return send(403, forbidden)
      const comment = this.make(bodyOf(text), identity)
      this.list(`${list[1]}/${list[2]}#${list[3]}`).push(comment)
      return send(201, comment)
    }
    if (one && method === 'PATCH') {
      if (this.options.readOnly) return send(403, forbidden)
      const id = Number(one[3])
      for (const comments of this.issues.values()) {
        const found = comments.find(c => c.id === id)
        if (found) {
          found.body = bodyOf(text)
          found.updated_at = new Date().toISOString()
          return send(200, found)
        }
      }
      return send(404, { message: 'Not Found' })
    }
    return send(404, { message: 'Not Found' })
  }

  private list(key: string): IssueComment[] {
    let comments = this.issues.get(key)
    if (!comments) this.issues.set(key, (comments = []))
    return comments
  }

  private make(body: string, user: GitHubUser): IssueComment {
    const now = new Date().toISOString()
    return { id: this.nextId++, body, user: { ...user }, created_at: now, updated_at: now }
  }
}

function bodyOf(text: string): string {
  const parsed = JSON.parse(text || '{}') as { body?: unknown }
  return typeof parsed.body === 'string' ? parsed.body : ''
}
