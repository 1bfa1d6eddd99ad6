/**
 * Task outputs and the plan task end to end: the bundle on Node 24 against the stand-in, whose build carries the
 * outputs file in TASK_OUTPUTS as the bundled buildspec's post_build does. The outputs reach $GITHUB_OUTPUT (each, and
 * all as task-outputs), the job summary and the pull-request comment; a hostile value never becomes a workflow
 * command; a task cannot set one of the action's own outputs; a stopped build has none and the reports say so.
 */
import type { StandIn } from '../standin/index.js'
import { presets, taskOutputs } from '../standin/index.js'
import { PROJECT, envOf, run, standIn } from '../fixtures/e2e.js'
import { pullRequestEnv } from '../fixtures/github.js'

let s: StandIn | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})

const HOSTILE = '::error::pwned\n##[warning]pwned too\n<img src=x onerror=alert(1)> @octocat #1'

describe('task outputs', () => {
  it('reach $GITHUB_OUTPUT and the summary; a hostile value is never a workflow command; the action’s own outputs stay its own', async () => {
    const token = `ghp_${'a'.repeat(36)}`
    const file = `applied=3\nnotes<<EOF\n${HOSTILE}\nEOF\nbuild-status=HACKED\n${token}=1\n`
    s = await standIn([presets.success({ lines: 2, postBuild: [taskOutputs({ file })] })])
    const r = await run(s)
    expect(r.code).toBe(0)
    expect(r.outputs).toMatchObject({ 'build-status': 'SUCCEEDED', applied: '3', notes: HOSTILE })
    // A token-shaped name is *** in every report, and no step output.
    expect(JSON.parse(r.outputs['task-outputs'] ?? '')).toEqual({ applied: '3', notes: HOSTILE, 'build-status': 'HACKED', '***': '1' })
    expect(Object.keys(r.outputs).filter(k => k.includes('***') || k.startsWith('ghp_'))).toEqual([])
    expect(r.stdout).not.toContain(token)
    expect(r.outputs['pending-count']).toBeUndefined()
    // Nothing of the values became a command: the one warning is the action's, about the name.
    expect(r.errors).toEqual([])
    expect(r.warnings).toEqual([
      "Task outputs: build-status is one of the action's own outputs: it is not set as a step output (it is in task-outputs)"
    ])
    expect(r.stdout).not.toContain('pwned')
    expect(r.stdout).toMatch(/^Task outputs: applied, notes, build-status, \*\*\*$/m)
    expect(r.summary).toContain('<b>Task outputs</b>')
    expect(r.summary).toContain('::error::pwned<br>')
    expect(r.summary).toContain('&#60;img src=x onerror=alert(1)&#62;')
    expect(r.summary).not.toContain('<img')
  })

  it('arrive when CodeBuild reports them only after the end (the stand-in’s default: 1 s later), read again at once, then every 0.5 s', async () => {
    s = await standIn([presets.success({ lines: 2, postBuild: [taskOutputs({ file: 'applied=3\n' })] })])
    const r = await run(s)
    expect(r.code).toBe(0)
    expect(r.outputs.applied).toBe('3')
    const [build] = s.startedBuilds(PROJECT)
    const afterEnd = s.callsOf('BatchGetBuilds').filter(c => c.at >= (build?.endedAt ?? Infinity))
    // The poll that saw the end, then the reads for the outputs (the first at once, after the log's drain; then
    // 0.5 s apart): up to three within the 1 s; none when that poll came a second late, as on a loaded machine.
    expect(afterEnd.length).toBeGreaterThanOrEqual(1)
    expect(afterEnd.length).toBeLessThanOrEqual(4)
    // Said only when the read at once did not find them and the run waits.
    const notice = /CodeBuild has not reported the task's outputs \(TASK_OUTPUTS\) yet: asking again for up to 10 s\./
    if (afterEnd.length >= 3) expect(r.stdout).toMatch(notice)
    else expect(r.stdout).not.toMatch(notice)
  })

  it('that CodeBuild never reports are asked for eight times in 10 s, then the reports say so; the step still succeeds', async () => {
    s = await standIn([presets.success({ lines: 2, postBuild: [taskOutputs({ file: 'applied=3\n' })] })], {
      exportedVariablesLagMs: 600_000
    })
    const r = await run(s)
    expect(r.code).toBe(0)
    expect(r.outputs['build-status']).toBe('SUCCEEDED')
    expect(r.outputs['task-outputs']).toBe('{}')
    const [build] = s.startedBuilds(PROJECT)
    const rereads = s
      .callsOf('BatchGetBuilds')
      .filter(c => c.at >= (build?.endedAt ?? Infinity))
      .slice(1)
    expect(rereads).toHaveLength(8)
    expect((rereads.at(-1)?.at ?? 0) - (rereads[0]?.at ?? 0)).toBeGreaterThanOrEqual(10_000 - 200)
    const note = 'no task outputs: CodeBuild has not reported TASK_OUTPUTS, which the buildspec declares and post_build sets'
    expect(r.stdout).toContain(note)
    expect(r.summary).toContain(note)
    expect(r.errors).toEqual([])
  })

  it('are none for a stopped build, and the reports say so', async () => {
    s = await standIn([presets.longRunning({ runMs: 30_000, everyMs: 20, postBuild: [taskOutputs({ file: 'applied=1\n' })] })])
    let signalled = false
    const r = await run(
      s,
      {},
      {
        onLine: (line, child) => {
          if (!signalled && line.text === 'task line 000002') {
            signalled = true
            child.kill('SIGTERM')
          }
        }
      }
    )
    expect(r.outputs['build-status']).toBe('STOPPED')
    expect(r.outputs['task-outputs']).toBe('{}')
    expect(r.outputs.applied).toBeUndefined()
    const note = 'no task outputs: the build ended STOPPED, and CodeBuild keeps exported variables only when post_build ends'
    expect(r.stdout).toContain(note)
    expect(r.summary).toContain(note)
  })
})

describe('the plan task', () => {
  it('runs its own buildspec with RUN_MIGRATIONS=false; pending-count, plan-digest and "Pending migrations" in the summary and the comment', async () => {
    const pending = [
      { id: '20240101_create_users', name: 'create users', checksum: 'c1' },
      { id: '20240102_add_index', name: '<b>@octocat</b>' }
    ]
    s = await standIn([presets.success({ lines: 2, postBuild: [taskOutputs({ file: `pending=${JSON.stringify(pending)}\n` })] })])
    const r = await run(
      s,
      { task: 'plan', 'github-token': 'ghs_16C7e42F292c6912E7710c838347Ae178B4a' },
      { env: pullRequestEnv(s.endpoint, 'acme/app/.github/workflows/plan.yml') }
    )
    expect(r.code).toBe(0)
    const start = s.callsOf('StartBuild')[0]
    expect(envOf(start)).toMatchObject({ TASK: 'plan', RUN_MIGRATIONS: 'false', RUN_SEED: 'false', TASK_ARGV: "'plan'" })
    expect(start?.request.buildspecOverride).toContain("# The 'plan' task")
    // The digest of this list, computed by hand from the contract: see __tests__/core/results/task-outputs.test.ts.
    const text = '20240101_create_users\tcreate users\tc1\n20240102_add_index\t<b>@octocat</b>\t\n'
    const { createHash } = await import('node:crypto')
    const digest = `sha256:${createHash('sha256').update(text).digest('hex')}`
    expect(r.outputs).toMatchObject({ 'pending-count': '2', 'plan-digest': digest, pending: JSON.stringify(pending) })
    expect(r.stdout).toContain(`Pending migrations: 2 (plan-digest ${digest})`)
    expect(r.summary).toContain('Pending migrations (2)')
    expect(r.summary).toContain('<code>20240101_create_users</code>')
    expect(r.summary).toContain(digest)
    const body = s.github.comments('acme/app', 7)[0]?.body ?? ''
    expect(body).toContain('#### Pending migrations (2)')
    expect(body).toMatch(/\| 1 \| <code>20240101&#95;create&#95;users<\/code> \| create users \| c1 \|/)
    expect(body).not.toContain('<b>@octocat')
    // The list is shown as a table, not again as the JSON it came in.
    expect(body).not.toContain('**Task outputs**')
    expect(body).toContain(`**plan-digest:** <code>sha256&#58;${digest.slice(7)}</code>`)
  })

  it('refuses approved-plan-digest of the wrong shape before anything starts, and passes a good one to a migrate task', async () => {
    s = await standIn([presets.success({ lines: 1 })])
    const bad = await run(s, { 'approved-plan-digest': 'sha256:ABC' })
    expect(bad.code).toBe(1)
    expect(bad.errors.join('\n')).toMatch(/approved-plan-digest' must be a plan-digest/)
    expect(s.callsOf('StartBuild')).toHaveLength(0)
    const digest = `sha256:${'0a'.repeat(32)}`
    const good = await run(s, { 'approved-plan-digest': digest })
    expect(good.code).toBe(0)
    expect(envOf(s.callsOf('StartBuild')[0])).toMatchObject({ APPROVED_PLAN_DIGEST: digest })
    expect(PROJECT).toBe(s.startedBuilds(PROJECT)[0]?.projectName)
  })
})
