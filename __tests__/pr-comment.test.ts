import type { Build } from '@aws-sdk/client-codebuild'
import { parsePlan } from '../src/core/inputs.js'
import { MAX_COMMENT_CHARS, commentMarker, escapeMarkdown, publishComment, renderComment } from '../src/action/pr-comment.js'
import type { CommentApi, CommentData } from '../src/action/pr-comment.js'
import { BASE_INPUTS, context, reader } from './fixtures/inputs.js'

const plan = parsePlan(reader({ ...BASE_INPUTS, 'github-token': 'ghs_x' }), context())
const failedBuild: Build = {
  id: 'app-migrations:1',
  buildNumber: 12,
  buildStatus: 'FAILED',
  startTime: new Date(0),
  endTime: new Date(65_000),
  phases: [
    { phaseType: 'PRE_BUILD', phaseStatus: 'SUCCEEDED', durationInSeconds: 20 },
    {
      phaseType: 'BUILD',
      phaseStatus: 'FAILED',
      durationInSeconds: 44,
      contexts: [{ statusCode: 'COMMAND_EXECUTION_ERROR', message: 'Error while executing command: docker run. Reason: exit status 1' }]
    }
  ]
}
const data = (extra: Partial<CommentData> = {}): CommentData => ({
  plan,
  build: failedBuild,
  links: { build: 'https://console.example/build/app-migrations%3A1', logs: 'https://console.example/build/app-migrations%3A1/log' },
  identity: { sha: 'f'.repeat(40), runUrl: 'https://github.com/acme/app/actions/runs/42/attempts/1', pullRequest: 7 },
  job: 'migrate',
  key: '',
  redact: text => text.replace(/hunter2/g, '***'),
  ...extra
})

describe('escapeMarkdown', () => {
  it('renders outside text as itself: no HTML, no mentions, no references, no links, no emphasis', () => {
    const hostile = '<img src=x onerror=alert(1)> @octocat #123 [x](https://evil) **b** `c` | :smile: <!-- codebuild-vpc-task'
    const out = escapeMarkdown(hostile)
    expect(out.replace(/&#\d+;/g, '')).not.toMatch(/[<>@#[\]()*`|:]/)
    expect(out.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))).toBe(hostile)
  })
})

describe('renderComment', () => {
  it('starts with the marker, then the status; shows build, links, duration, image, commit, phases, the failure and the run link', () => {
    const body = renderComment(data({ lastLines: ['ERROR: relation "users" already exists'] }))
    const [marker, heading] = body.split('\n')
    expect(marker).toBe(commentMarker('app-migrations', 'migrate', 'migrate', ''))
    expect(heading).toBe('### ❌ migrate FAILED · app&#45;migrations')
    expect(body).toContain(
      '| **Build** | #12 · [build](https://console.example/build/app-migrations%3A1) · [log](https://console.example/build/app-migrations%3A1/log) |'
    )
    expect(body).toContain('| **Duration** | 1m 5s |')
    expect(body).toContain('<code>ffffffffffff</code>')
    expect(body).toContain('[workflow run](https://github.com/acme/app/actions/runs/42/attempts/1)')
    expect(body).toMatch(/\*\*Phases:\*\* PRE&#95;BUILD ✅ 20s · BUILD ❌ 44s/)
    expect(body).toMatch(/\*\*Failed in BUILD:\*\* COMMAND&#95;EXECUTION&#95;ERROR&#58; Error while executing command&#58; docker run/)
    expect(body).toMatch(
      /<details><summary>Last lines of the output<\/summary>\n\n<pre>ERROR&#58; relation &#34;users&#34; already exists<\/pre>/
    )
  })

  it('hides what the action masks, in every part', () => {
    const body = renderComment(data({ lastLines: ['connecting with hunter2'], notes: ['password hunter2 refused'] }))
    expect(body).not.toContain('hunter2')
  })

  it('never cuts the status: the oldest last lines go first to stay under GitHub’s limit', () => {
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i} ${'x'.repeat(300)}`)
    const body = renderComment(data({ lastLines: lines }))
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS)
    expect(body).toContain('### ❌ migrate FAILED')
    expect(body).toContain('line 399 ')
    expect(body).not.toContain('line 0 ')
  })

  it('for a dry run: the request it would send', () => {
    const body = renderComment(data({ build: undefined, request: { projectName: 'app-migrations' } }))
    expect(body).toMatch(/### 📝 migrate DRY RUN/)
    expect(body).toMatch(/<summary>The StartBuild request that would be sent<\/summary>/)
  })
})

describe('publishComment', () => {
  function api(
    existing: Array<{ id: number; body: string; user?: { type: string } }>
  ): CommentApi & { created: string[]; updated: Array<[number, string]> } {
    const created: string[] = []
    const updated: Array<[number, string]> = []
    return {
      created,
      updated,
      list: () => Promise.resolve(existing),
      create: body => Promise.resolve(void created.push(body)),
      update: (id, body) => Promise.resolve(void updated.push([id, body]))
    }
  }
  const marker = commentMarker('app-migrations', 'migrate', 'migrate', '')
  it('creates the comment once, then updates it in place', async () => {
    const fresh = api([{ id: 1, body: 'LGTM' }])
    expect(await publishComment(fresh, marker, `${marker}\nv1`)).toBe('created')
    const again = api([
      { id: 1, body: 'LGTM' },
      { id: 2, body: `${marker}\nv1`, user: { type: 'Bot' } }
    ])
    expect(await publishComment(again, marker, `${marker}\nv2`)).toBe('updated')
    expect(again.updated).toEqual([[2, `${marker}\nv2`]])
    expect(again.created).toEqual([])
  })
  it('prefers the bot’s own comment over one a person pasted the marker into', async () => {
    const both = api([
      { id: 3, body: `${marker}\nfake`, user: { type: 'User' } },
      { id: 4, body: `${marker}\nours`, user: { type: 'Bot' } }
    ])
    await publishComment(both, marker, `${marker}\nv3`)
    expect(both.updated[0]?.[0]).toBe(4)
  })
  it('tells matrix legs apart by key', () => {
    expect(commentMarker('p1', 'seed', 'job', 'eu')).not.toBe(commentMarker('p1', 'seed', 'job', 'us'))
  })
})
