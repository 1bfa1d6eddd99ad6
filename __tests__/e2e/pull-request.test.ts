/**
 * The pull-request report end to end: the bundle on Node 24, a pull_request event payload, and the stand-in's
 * GitHub REST calls on the same port as AWS. One sticky comment, created once and updated in place; escaped; a
 * read-only token costs one notice line and never the step; the head commit goes to the build.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { StandIn } from '../standin/index.js'
import { presets } from '../standin/index.js'
import { PROJECT, run, standIn } from './fixtures.js'

let s: StandIn | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})

const HEAD = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678'
const MERGE = '0123456789abcdef0123456789abcdef01234567'
const TOKEN = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a'
const REPO = 'acme/app'
const MARKER = `<!-- codebuild-vpc-task project=${PROJECT} task=migrate job=migrate key=- -->`

function pullRequestEnv(st: StandIn): Record<string, string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'event-'))
  const event = path.join(dir, 'event.json')
  writeFileSync(
    event,
    JSON.stringify({ action: 'synchronize', number: 7, pull_request: { number: 7, head: { sha: HEAD }, base: { sha: MERGE } } })
  )
  return {
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: event,
    GITHUB_API_URL: st.endpoint,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_SHA: MERGE
  }
}

const prRun = (st: StandIn, inputs: Record<string, string> = {}) =>
  run(st, { 'github-token': TOKEN, ...inputs }, { env: pullRequestEnv(st) })

describe('the sticky pull-request comment', () => {
  it('is created once for a run, with the status, links and run link; the build gets the head commit and the PR number', async () => {
    s = await standIn([presets.success({ lines: 10 })])
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
    expect(body).toContain(`<code>${HEAD.slice(0, 12)}</code>`)
    const env = Object.fromEntries(
      ((s.callsOf('StartBuild')[0]?.request.environmentVariablesOverride ?? []) as Array<{ name: string; value: string }>).map(v => [
        v.name,
        v.value
      ])
    )
    expect(env).toMatchObject({ GITHUB_SHA: HEAD, GITHUB_PR_NUMBER: '7', GITHUB_EVENT_NAME: 'pull_request' })
    expect(env.GITHUB_RUN_URL).toMatch(/^https:\/\/github\.com\/acme\/app\/actions\/runs\/\d+\/attempts\/1$/)
    expect(r.stdout).toMatch(/Pull request #7: report comment created\./)
    expect(r.summary).toContain(HEAD)
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
    expect(body).toContain('&#64;octocat please look at &#35;12')
    expect(s.github.calls.filter(c => c.method === 'POST')).toHaveLength(1)
    expect(s.github.calls.filter(c => c.method === 'PATCH')).toHaveLength(1)
    expect(second.stdout).toMatch(/Pull request #7: report comment updated\./)
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
