import type { Build } from '@aws-sdk/client-codebuild'
import { parsePlan } from '../../src/core/inputs.js'
import {
  MAX_COMMENT_CHARS,
  commentMarker,
  commentMarkers,
  commentWorkflow,
  escapeMarkdown,
  legacyCommentMarker,
  publishComment,
  renderComment
} from '../../src/action/pr-comment.js'
import type { CommentApi, CommentData } from '../../src/action/pr-comment.js'
import { taskResultsOf } from '../../src/core/task-results.js'
import { BASE_INPUTS, context, reader } from '../fixtures/inputs.js'

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
  workflow: 'acme/app/.github/workflows/pr.yml',
  job: 'migrate',
  key: '',
  redact: text => text.replace(/hunter2/g, '***'),
  ...extra
})

describe('escapeMarkdown', () => {
  it('renders outside text as itself: no HTML, no links, no emphasis (mentions and references: see autolinks.test.ts)', () => {
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
    expect(marker).toBe(
      '<!-- codebuild-vpc-task/2 workflow=acme/app/.github/workflows/pr.yml job=migrate project=app-migrations task=migrate key= -->'
    )
    expect(marker).toBe(commentMarker(data()))
    expect(heading).toBe('### ❌ migrate FAILED · app&#45;migrations')
    expect(body).toContain(
      '| **Build** | &#35;\u200B12 · [build](https://console.example/build/app-migrations%3A1) · [log](https://console.example/build/app-migrations%3A1/log) |'
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

  it('cut at the size limit, never leaves half an emoji (a lone UTF-16 surrogate); nor does a line cut upstream', () => {
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
    for (const pad of ['', 'a']) {
      const body = renderComment(data({ notes: [`${pad}${'😀'.repeat(40_000)}`] }))
      expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS)
      expect(body).toMatch(/…\(cut to fit GitHub's limit\)\n$/)
      expect(body).not.toMatch(lone)
    }
    const cutUpstream = renderComment(data({ lastLines: ['done 😀'.slice(0, 6)], notes: ['\udc00 tail'] }))
    expect(cutUpstream).not.toMatch(lone)
    expect(cutUpstream).toContain('done \uFFFD')
  })

  it('for a dry run: the request it would send', () => {
    const body = renderComment(data({ build: undefined, request: { projectName: 'app-migrations' } }))
    expect(body).toMatch(/### 📝 migrate DRY RUN/)
    expect(body).toMatch(/<summary>The StartBuild request that would be sent<\/summary>/)
  })
})

describe('the marker', () => {
  const marker = (extra: Partial<CommentData>) => commentMarker(data(extra))
  it('tells apart workflows, jobs, keys; an empty key and "-" too', () => {
    const markers = [
      marker({}),
      marker({ workflow: 'acme/app/.github/workflows/nightly.yml' }),
      marker({ job: 'migrate-eu' }),
      marker({ key: '-' }),
      marker({ key: 'eu' })
    ]
    expect(new Set(markers).size).toBe(markers.length)
  })
  it('keeps any workflow or job text inside the HTML comment: no space, no "-->", nothing but the safe set', () => {
    const hostile = marker({ workflow: 'a b --> <!-- x="y" @octocat #1 é\u0000\ud800', job: '--!>' })
    expect(hostile.startsWith('<!-- codebuild-vpc-task/2 ')).toBe(true)
    expect(hostile.indexOf('-->')).toBe(hostile.length - 3)
    expect(hostile.slice(5, -4)).toMatch(/^[A-Za-z0-9._~/%= -]+$/)
    expect(hostile).toContain('workflow=a%20b%20--%3E%20%3C%21--%20x%3D%22y%22%20%40octocat%20%231%20%C3%A9%00%EF%BF%BD ')
  })
  it('the marker of earlier versions, kept to adopt their comments', () => {
    expect(legacyCommentMarker(data())).toBe('<!-- codebuild-vpc-task project=app-migrations task=migrate job=migrate key=- -->')
    expect(legacyCommentMarker(data({ job: 'a b', key: 'eu' }))).toBe(
      '<!-- codebuild-vpc-task project=app-migrations task=migrate job=- key=eu -->'
    )
    expect(commentMarkers(data())).toEqual([commentMarker(data()), legacyCommentMarker(data())])
  })
  it('names the workflow by its file (the ref left out: it differs between events), else by its name', () => {
    expect(commentWorkflow({ GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/pr.yml@refs/pull/7/merge', GITHUB_WORKFLOW: 'PR' })).toBe(
      'acme/app/.github/workflows/pr.yml'
    )
    expect(commentWorkflow({ GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/a@b.yaml@refs/heads/x@y' })).toBe(
      'acme/app/.github/workflows/a@b.yaml'
    )
    expect(commentWorkflow({ GITHUB_WORKFLOW: 'PR checks' })).toBe('name:PR checks')
    expect(commentWorkflow({})).toBe('')
  })
})

describe('publishComment', () => {
  const BOT = { id: 41898282, login: 'github-actions[bot]' }
  const STRANGER = { id: 583231, login: 'octocat' }
  const OTHER_APP = { id: 99, login: 'evil-app[bot]' }
  type Existing = { id: number; body: string; user?: { id?: number; login?: string } | null }
  function api(
    existing: Existing[],
    viewer: () => Promise<{ id: number; login: string } | undefined> = () => Promise.resolve(BOT)
  ): CommentApi & { created: string[]; updated: Array<[number, string]>; asked: number } {
    const created: string[] = []
    const updated: Array<[number, string]> = []
    const fake = {
      created,
      updated,
      asked: 0,
      list: () => Promise.resolve(existing),
      viewer: () => {
        fake.asked++
        return viewer()
      },
      create: (body: string) => Promise.resolve(void created.push(body)),
      update: (id: number, body: string) => Promise.resolve(void updated.push([id, body]))
    }
    return fake
  }
  const [marker = '', legacy = ''] = commentMarkers(data())
  const markers = [marker, legacy]
  it('creates the comment once (no identity needed), then updates its own in place', async () => {
    const fresh = api([{ id: 1, body: 'LGTM', user: STRANGER }])
    expect(await publishComment(fresh, markers, `${marker}\nv1`)).toEqual({ done: 'created', othersLeft: 0 })
    expect(fresh.asked).toBe(0)
    const again = api([
      { id: 1, body: 'LGTM', user: STRANGER },
      { id: 2, body: `${marker}\nv1`, user: BOT }
    ])
    expect(await publishComment(again, markers, `${marker}\nv2`)).toEqual({ done: 'updated', othersLeft: 0 })
    expect(again.updated).toEqual([[2, `${marker}\nv2`]])
    expect(again.created).toEqual([])
  })
  it('never adopts a comment someone else wrote with the marker, a person’s or another app’s, even the only one', async () => {
    for (const user of [STRANGER, OTHER_APP, null]) {
      const planted = api([{ id: 3, body: `${marker}\n✅ all good`, user }])
      expect(await publishComment(planted, markers, `${marker}\nv3`)).toEqual({ done: 'created', othersLeft: 1 })
      expect(planted.updated).toEqual([])
      expect(planted.created).toEqual([`${marker}\nv3`])
    }
    const both = api([
      { id: 4, body: `${marker}\nfake`, user: STRANGER },
      { id: 5, body: `${marker}\nours`, user: BOT },
      { id: 6, body: `${legacy}\nfake, old marker`, user: STRANGER }
    ])
    expect(await publishComment(both, markers, `${marker}\nv4`)).toEqual({ done: 'updated', othersLeft: 2 })
    expect(both.updated).toEqual([[5, `${marker}\nv4`]])
  })
  it('compares by id, not login: a token acting as a person adopts that person’s comment only', async () => {
    const pat = api(
      [
        { id: 7, body: `${marker}\nbot`, user: BOT },
        { id: 8, body: `${marker}\nmine`, user: { id: 1234, login: 'github-actions[bot]' } }
      ],
      () => Promise.resolve({ id: 1234, login: 'release-bot' })
    )
    await publishComment(pat, markers, `${marker}\nv5`)
    expect(pat.updated.map(([id]) => id)).toEqual([8])
  })
  it('adopts its own comment with the old marker, so upgrading adds no second comment; the current marker first', async () => {
    const upgraded = api([{ id: 9, body: `${legacy}\nold`, user: BOT }])
    expect(await publishComment(upgraded, markers, `${marker}\nnew`)).toEqual({ done: 'updated', othersLeft: 0 })
    expect(upgraded.updated).toEqual([[9, `${marker}\nnew`]])
    const both = api([
      { id: 10, body: `${marker}\ncurrent`, user: BOT },
      { id: 11, body: `${legacy}\nold`, user: BOT },
      { id: 12, body: `${marker}\ncurrent, newer`, user: BOT }
    ])
    await publishComment(both, markers, `${marker}\nv6`)
    expect(both.updated.map(([id]) => id)).toEqual([12])
  })
  it('when the identity can’t be found out: adopts nothing and writes a new comment, saying why', async () => {
    const own = [{ id: 13, body: `${marker}\nours`, user: BOT }]
    const down = api(own, () => Promise.reject(new Error('HTTP 502')))
    const result = await publishComment(down, markers, `${marker}\nv7`)
    expect(result).toMatchObject({ done: 'created', othersLeft: 0, unverified: new Error('HTTP 502') })
    expect(down.updated).toEqual([])
    expect(down.created).toHaveLength(1)
    const nobody = api(own, () => Promise.resolve(undefined))
    const unknown = await publishComment(nobody, markers, `${marker}\nv8`)
    expect(unknown.done).toBe('created')
    expect(unknown.unverified).toBeInstanceOf(Error)
    expect(nobody.updated).toEqual([])
  })
})

describe('the task outputs and the pending migrations in the comment', () => {
  const carried = (file: string): Build => ({
    ...failedBuild,
    exportedEnvironmentVariables: [{ name: 'TASK_OUTPUTS', value: Buffer.from(file).toString('base64') }]
  })

  it('escape every value (table cells, HTML, mentions), cut long ones, hide what is masked', () => {
    const hostile = '| cell | --> <script>x</script> @octocat #1 [link](https://evil.example)\nsecond line'
    const results = taskResultsOf(carried(`notes<<EOF\n${hostile}\nEOF\nlong=${'x'.repeat(500)}\nurl=hunter2-secret\n`), 'migrate')
    const body = renderComment(data({ results, redact: t => t.replaceAll('hunter2-secret', '***') }))
    const row = body.split('\n').find(l => l.startsWith('| <code>notes</code>')) ?? ''
    // One row of two cells: the value's pipes, markup and line break are text.
    expect(row.split(' | ')).toHaveLength(2)
    expect(row).not.toMatch(/<script>|-->|@octocat|\]\(/)
    expect(body).toContain(`| <code>long</code> | ${'x'.repeat(120)}… |`)
    expect(body).not.toContain('hunter2-secret')
  })

  it('lists the first 100 pending migrations, counts all, and gives the digest; says why when they are unknown', () => {
    const pending = Array.from({ length: 130 }, (_, i) => ({ id: String(i + 1).padStart(4, '0') }))
    const results = taskResultsOf(carried(`pending=${JSON.stringify(pending)}\n`), 'plan')
    const body = renderComment(data({ plan: { ...plan, task: 'plan' }, results }))
    expect(body).toContain('#### Pending migrations (130)')
    expect(body).toContain('| 100 | <code>0100</code> |  |  |')
    expect(body).not.toContain('<code>0101</code>')
    expect(body).toContain('…and 30 more.')
    expect(body).toContain(`**plan-digest:** <code>sha256&#58;${results.plan?.digest?.slice(7) ?? ''}</code>`)
    const unknown = renderComment(data({ plan: { ...plan, task: 'plan' }, results: taskResultsOf(carried('x=1\n'), 'plan') }))
    expect(unknown).toMatch(/\*\*Pending migrations:\*\* unknown \(the plan task reported no &#39;pending&#39; output/)
  })
})
