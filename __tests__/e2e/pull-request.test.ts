/**
 * The pull-request report end to end: the bundle on Node 24, a pull_request event payload, and the stand-in's
 * GitHub REST and GraphQL calls on the same port as AWS. One sticky comment, created once and updated in place,
 * only ever the one the token's identity wrote; escaped, with no live mention or reference; a read-only token costs
 * one notice line and never the step; the head commit goes to the build.
 */
import type { ScriptCommand, StandIn } from '../standin/index.js'
import { ACTIONS_BOT, OCTOCAT, preBuildCommands, presets } from '../standin/index.js'
import { PROJECT, run, standIn } from '../fixtures/e2e.js'
import { PR_HEAD, pullRequestEnv } from '../fixtures/github.js'

let s: StandIn | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})

const TOKEN = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a'
const REPO = 'acme/app'
const WORKFLOW = 'acme/app/.github/workflows/pr.yml'
const MARKER = `<!-- codebuild-vpc-task/2 workflow=${WORKFLOW} job=migrate project=${PROJECT} task=migrate key= -->`
/** The marker of earlier versions. */
const OLD_MARKER = `<!-- codebuild-vpc-task project=${PROJECT} task=migrate job=migrate key=- -->`

const prRun = (st: StandIn, inputs: Record<string, string> = {}, workflow = WORKFLOW) =>
  run(st, { 'github-token': TOKEN, ...inputs }, { env: pullRequestEnv(st.endpoint, workflow) })

describe('the sticky pull-request comment', () => {
  it('is created once for a run, with the status, links and run link, and where the time went; the build gets the head commit and the PR number', async () => {
    // Provisioning (15 s) and the pull (4 s) are most of the run: the advice says so, in the comment and the summary.
    const [login, pull] = preBuildCommands()
    const preBuild = [login as ScriptCommand, { ...(pull as ScriptCommand), durationMs: 4_000 }]
    s = await standIn([presets.success({ lines: 10, provisioningMs: 15_000, preBuild })])
    const r = await prRun(s)
    expect(r.code).toBe(0)
    const comments = s.github.comments(REPO, 7)
    expect(comments).toHaveLength(1)
    const body = comments[0]?.body ?? ''
    expect(body.startsWith(MARKER)).toBe(true)
    expect(body).toMatch(/### ✅ migrate SUCCEEDED · app&#45;migrations/)
    expect(body).toMatch(
      /\[build\]\(https:\/\/us-east-1\.console\.aws\.amazon\.com\/codesuite\/codebuild\/123456789012\/projects\/app-migrations\/build\//
    )
    expect(body).toMatch(/\[workflow run\]\(https:\/\/github\.com\/acme\/app\/actions\/runs\/\d+\/attempts\/1\)/)
    expect(body).toContain(`<code>${PR_HEAD.slice(0, 12)}</code>`)
    const env = Object.fromEntries(
      ((s.callsOf('StartBuild')[0]?.request.environmentVariablesOverride ?? []) as Array<{ name: string; value: string }>).map(v => [
        v.name,
        v.value
      ])
    )
    expect(env).toMatchObject({ GITHUB_SHA: PR_HEAD, GITHUB_PR_NUMBER: '7', GITHUB_EVENT_NAME: 'pull_request' })
    expect(env.GITHUB_RUN_URL).toMatch(/^https:\/\/github\.com\/acme\/app\/actions\/runs\/\d+\/attempts\/1$/)
    expect(r.stdout).toMatch(/Pull request #7: report comment created\./)
    expect(r.summary).toContain(PR_HEAD)
    expect(body).toMatch(
      /\*\*Where the time went:\*\* before the build .* · provisioning 15s \(\d+&#37;\) · image pull &#40;docker pull&#41; 4s /
    )
    expect(body).toMatch(/\n💡 Provisioning &#40;15s&#41; and the image pull &#40;4s&#41; took 19s, \d+&#37; of this run/)
    expect(r.summary).toMatch(/<td>provisioning<\/td><td>15s<\/td><td>\d+%<\/td>/)
    expect(r.summary).toMatch(/<td>image pull \(docker pull\)<\/td><td>4s<\/td>/)
    expect(r.summary).toMatch(/💡 Provisioning \(15s\) and the image pull \(4s\) took 19s, \d+% of this run/)
    expect(r.stdout.split('\n').filter(l => l.includes(TOKEN))).toEqual([`::add-mask::${TOKEN}`])
    expect(s.github.calls.every(c => c.authorization?.endsWith(TOKEN))).toBe(true)
  })

  it('is updated in place by the next run, here with the failure’s phase, message and last lines, escaped', async () => {
    s = await standIn([
      presets.success({ lines: 3 }),
      presets.failure({
        output: [
          '@octocat please look at #12',
          '<script>alert(1)</script> **bold** [x](https://evil.example)',
          'ERROR: relation "users" already exists'
        ]
      })
    ])
    s.github.addComment(REPO, 7, 'Looks good to me')
    expect((await prRun(s)).code).toBe(0)
    const second = await prRun(s)
    expect(second.code).toBe(1)
    const comments = s.github.comments(REPO, 7)
    expect(comments).toHaveLength(2)
    const ours = comments.filter(c => c.body.startsWith(MARKER))
    expect(ours).toHaveLength(1)
    const body = ours[0]?.body ?? ''
    expect(body).toMatch(/### ❌ migrate FAILED/)
    expect(body).toMatch(/\*\*Failed in BUILD:\*\* COMMAND&#95;EXECUTION&#95;ERROR/)
    expect(body).toContain('relation &#34;users&#34; already exists')
    expect(body).not.toMatch(/@octocat|(?<!&)#12(?!\d)|<script>|\*\*bold\*\*|\[x\]\(https/)
    // Entities alone still mention once GitHub decodes them (github/cmark-gfm#181): a zero-width space breaks it.
    expect(body).toContain('&#64;\u200Boctocat please look at &#35;\u200B12')
    // Outside text only: the image (the workflow's input, in code to be copied exactly) is the action's.
    expect(body.replace(/^.*\*\*Image\*\*.*$/m, '')).not.toMatch(/&#64;[A-Za-z0-9.]|&#35;\d/)
    expect(second.summary).toContain('@\u200Boctocat please look at #\u200B12')
    expect(second.summary).not.toMatch(/@octocat|#12/)
    expect(s.github.calls.filter(c => c.method === 'POST' && c.path !== '/graphql')).toHaveLength(1)
    expect(s.github.calls.filter(c => c.method === 'PATCH')).toHaveLength(1)
    expect(second.stdout).toMatch(/Pull request #7: report comment updated\./)
  })

  it('a stranger’s comment that starts with the marker, posted before the first run, is never adopted', async () => {
    s = await standIn([presets.success({ lines: 3 }), presets.success({ lines: 3 })])
    const planted = s.github.addComment(REPO, 7, `${MARKER}\n### ✅ migrate SUCCEEDED (trust me)`, OCTOCAT)
    const plantedOld = s.github.addComment(REPO, 7, `${OLD_MARKER}\n### ✅ migrate SUCCEEDED (trust me)`, OCTOCAT)
    const first = await prRun(s)
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/Pull request #7: report comment created\./)
    expect(first.stdout).toMatch(/left alone 2 comment\(s\) with this step's marker written by someone else/)
    expect((await prRun(s)).code).toBe(0)
    const comments = s.github.comments(REPO, 7)
    expect(comments).toHaveLength(3)
    expect(comments.find(c => c.id === planted.id)?.body).toBe(planted.body)
    expect(comments.find(c => c.id === plantedOld.id)?.body).toBe(plantedOld.body)
    const ours = comments.filter(c => c.user.id === ACTIONS_BOT.id)
    expect(ours).toHaveLength(1)
    expect(ours[0]?.body.startsWith(MARKER)).toBe(true)
    expect(s.github.calls.filter(c => c.method === 'PATCH').map(c => c.path)).toEqual([`/repos/${REPO}/issues/comments/${ours[0]?.id}`])
    // Who the token acts as, asked once per run (GraphQL viewer), only when a comment with the marker is there.
    expect(s.github.calls.filter(c => c.path === '/graphql')).toHaveLength(2)
  })

  it('the action’s own comment with the marker of earlier versions is adopted: upgrading adds no second comment', async () => {
    s = await standIn([presets.success({ lines: 3 })])
    const old = s.github.addComment(REPO, 7, `${OLD_MARKER}\n### ❌ migrate FAILED`, ACTIONS_BOT)
    const r = await prRun(s)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/Pull request #7: report comment updated\./)
    const comments = s.github.comments(REPO, 7)
    expect(comments.map(c => c.id)).toEqual([old.id])
    expect(comments[0]?.body).toMatch(new RegExp(`^${MARKER.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\n### ✅ migrate SUCCEEDED`))
  })

  it('two workflows with the same job, project and task keep a comment each', async () => {
    s = await standIn([presets.success({ lines: 3 }), presets.failure({ lines: 3 }), presets.success({ lines: 3 })])
    const NIGHTLY = 'acme/app/.github/workflows/pr-nightly.yml'
    expect((await prRun(s)).code).toBe(0)
    expect((await prRun(s, {}, NIGHTLY)).code).toBe(1)
    expect((await prRun(s)).code).toBe(0)
    const comments = s.github.comments(REPO, 7)
    expect(comments).toHaveLength(2)
    expect(comments[0]?.body).toMatch(/workflow=acme\/app\/\.github\/workflows\/pr\.yml [^]*### ✅ migrate SUCCEEDED/)
    expect(comments[1]?.body).toMatch(/workflow=acme\/app\/\.github\/workflows\/pr-nightly\.yml [^]*### ❌ migrate FAILED/)
  })

  it('when GitHub can’t say who the token acts as: no comment is adopted, a new one is written, with a warning', async () => {
    s = await standIn([presets.success({ lines: 3 })])
    const own = s.github.addComment(REPO, 7, `${MARKER}\n### ❌ migrate FAILED`, ACTIONS_BOT)
    s.github.options.graphqlDown = true
    const r = await prRun(s)
    expect(r.code).toBe(0)
    expect(r.commands.filter(c => c.command === 'warning').map(c => c.message)).toEqual([
      expect.stringMatching(
        /^Pull request #7: could not tell who github-token acts as \(.*\), so no existing report comment was updated; wrote a new one\.$/
      )
    ])
    const comments = s.github.comments(REPO, 7)
    expect(comments).toHaveLength(2)
    expect(comments[0]).toEqual(own)
    expect(comments[1]?.body).toMatch(/### ✅ migrate SUCCEEDED/)
  })

  it('a token that acts as an app’s bot adopts that bot’s comment, not the Actions bot’s', async () => {
    s = await standIn([presets.success({ lines: 3 })])
    const app = { id: 135_790, login: 'acme-ci[bot]', type: 'Bot' as const }
    s.github.options.identities = { [TOKEN]: app }
    const actions = s.github.addComment(REPO, 7, `${MARKER}\nby GITHUB_TOKEN`, ACTIONS_BOT)
    const mine = s.github.addComment(REPO, 7, `${MARKER}\nby the app`, app)
    expect((await prRun(s)).code).toBe(0)
    const comments = s.github.comments(REPO, 7)
    expect(comments.find(c => c.id === actions.id)?.body).toBe(actions.body)
    expect(comments.find(c => c.id === mine.id)?.body).toMatch(/### ✅ migrate SUCCEEDED/)
    expect(comments).toHaveLength(2)
  })

  it('without permission to write: one notice naming the permission, and the step’s result is the build’s', async () => {
    s = await standIn([presets.success({ lines: 3 })])
    s.github.options.readOnly = true
    const r = await prRun(s)
    expect(r.code).toBe(0)
    const notices = r.commands.filter(c => c.command === 'notice').map(c => c.message)
    expect(notices).toEqual([
      expect.stringMatching(/Could not comment on pull request #7 \(HTTP 403\): give the job 'permissions: pull-requests: write'/)
    ])
    expect(r.errors).toEqual([])
    expect(s.github.comments(REPO, 7)).toEqual([])
  })

  it('pr-comment: never writes nothing; a push event has no pull request to comment on', async () => {
    s = await standIn([presets.success({ lines: 3 }), presets.success({ lines: 3 })])
    expect((await prRun(s, { 'pr-comment': 'never' })).code).toBe(0)
    expect((await run(s, { 'github-token': TOKEN }, { env: { GITHUB_API_URL: s.endpoint } })).code).toBe(0)
    expect(s.github.calls).toEqual([])
  })

  it('a dry run comments the request it would send, secrets masked', async () => {
    s = await standIn([])
    const r = await prRun(s, { 'dry-run': 'true', 'env-vars': 'DB_PASSWORD=hunter2-secret-value' })
    expect(r.code).toBe(0)
    const body = s.github.comments(REPO, 7)[0]?.body ?? ''
    expect(body).toMatch(/### 📝 migrate DRY RUN/)
    expect(body).toContain('The StartBuild request that would be sent')
    expect(body).not.toContain('hunter2-secret-value')
  })
})
