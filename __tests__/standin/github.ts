/**
 * The few GitHub REST calls of the pull-request comment (list, create and update issue comments), answered as
 * api.github.com does: JSON, `Link` pagination, 201 on create, and a mode where the token may only read (403
 * "Resource not accessible by integration", what a fork's pull request gets).
 */
import type http from 'node:http'

export interface IssueComment {
  id: number
  body: string
  user: { login: string; type: 'Bot' | 'User' }
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

  /** A comment written by someone else (a person), e.g. one that pastes the marker. */
  addComment(repository: string, issue: number, body: string, type: 'Bot' | 'User' = 'User'): IssueComment {
    const comment = this.make(body, type === 'Bot' ? 'github-actions[bot]' : 'octocat', type)
    this.list(`${repository}#${issue}`).push(comment)
    return comment
  }

  /** True when the request was a GitHub REST call (and has been answered). */
  handle(req: http.IncomingMessage, res: http.ServerResponse, text: string): boolean {
    const url = new URL(req.url ?? '/', 'http://standin')
    if (!url.pathname.startsWith('/repos/')) return false
    const method = req.method ?? 'GET'
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
    const list = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(url.pathname)
    const one = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(url.pathname)
    const forbidden = {
      message: 'Resource not accessible by integration',
      documentation_url: 'https://docs.github.com/rest',
      status: '403'
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
      const comment = this.make(bodyOf(text), 'github-actions[bot]', 'Bot')
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

  private make(body: string, login: string, type: 'Bot' | 'User'): IssueComment {
    const now = new Date().toISOString()
    return { id: this.nextId++, body, user: { login, type }, created_at: now, updated_at: now }
  }
}

function bodyOf(text: string): string {
  const parsed = JSON.parse(text || '{}') as { body?: unknown }
  return typeof parsed.body === 'string' ? parsed.body : ''
}
