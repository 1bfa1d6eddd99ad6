/** The CLI bundle (dist/cli/index.js) on Node 24 against the stand-in: output, exit codes, --json, Ctrl-C. */
import type { StandIn } from '../standin/index.js'
import { presets, taskOutputs } from '../standin/index.js'
import { runCli } from '../fixtures/cli.js'
import { IMAGE, PROJECT, afterVirtual, logLines, standIn } from '../fixtures/e2e.js'
import type { TimeBudget } from '../../src/core/report/time-budget.js'

const BASE = ['migrate', '--project-name', PROJECT, '--image-uri', IMAGE]

/** The build's lines as the CLI streamed them (before the result, which quotes the last ones again). */
function printedLogLines(output: string, build: { lines(): string[] }): string[] {
  const set = new Set(logLines(build).filter(l => l !== ''))
  const streamed = output.split('── Result ──')[0] as string
  return streamed.split('\n').filter(l => set.has(l))
}

function expectClean(output: string): void {
  // eslint-disable-next-line no-control-regex
  expect(output).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/)
  for (const line of output.split('\n')) expect(line).not.toMatch(/^\s*(::|##\[)/)
}

let s: StandIn | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})

describe('the codebuild-vpc-task CLI bundle on Node 24', () => {
  it('runs a successful task: every line once and in order, phases as headings, the result table, exit 0', async () => {
    s = await standIn([presets.success({ lines: 200, everyMs: 5 })])
    const r = await runCli([...BASE, '--env-vars', 'LOG_LEVEL=debug', '--env-vars', 'FEATURE=on'], s)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const [build] = s.startedBuilds(PROJECT)
    expect(s.startedBuilds(PROJECT)).toHaveLength(1)
    expect(printedLogLines(r.stdout, build as NonNullable<typeof build>)).toEqual(logLines(build).filter(l => l !== ''))
    expect(r.stdout).toContain('── BUILD ──')
    expect(r.stdout).toContain(`Started migrate build #${build?.buildNumber} of ${PROJECT}: ${build?.id}`)
    expect(r.stdout).toMatch(/── Result ──\n {2}Status +✔ SUCCEEDED\n/)
    expect(r.stdout).toMatch(/ {2}Exit code +0\n/)
    expect(r.stdout).toMatch(
      /\n {2}Where the time went +Time +Share\n {2}before the build .*\n {2}queued +\d+s +\d+%\n {2}provisioning +\d+s +\d+%\n/
    )
    expect(r.stdout).toMatch(/\n {2}the whole run +\d+s +100%\n/)
    expectClean(r.stdout)
    // Repeatable flags: one variable each; the token is the invocation's own, with no workflow identity.
    const env = Object.fromEntries(
      ((s.callsOf('StartBuild')[0]?.request.environmentVariablesOverride ?? []) as Array<{ name: string; value: string }>).map(v => [
        v.name,
        v.value
      ])
    )
    expect(env).toMatchObject({ TASK_ENV_NAMES: 'LOG_LEVEL FEATURE', CBVT_VAR_LOG_LEVEL: 'debug', CBVT_VAR_FEATURE: 'on' })
    expect(env).not.toHaveProperty('GITHUB_RUN_ID')
    expect(env.TASK_RUN_TOKEN).toMatch(/^[0-9a-f]{40}$/)
    expect(s.callsOf('StopBuild')).toHaveLength(0)
  })

  it('exits 1 for a failed build, with the failing phase, CodeBuild’s message, the last lines and the task’s exit code', async () => {
    s = await standIn([presets.failure({ lines: 20, everyMs: 5 })])
    const r = await runCli(BASE, s)
    expect(r.code).toBe(1)
    const [build] = s.startedBuilds(PROJECT)
    expect(printedLogLines(r.stdout, build as NonNullable<typeof build>)).toEqual(logLines(build).filter(l => l !== ''))
    expect(r.stdout).toContain('── Failure ──')
    expect(r.stdout).toContain(`ended FAILED in phase BUILD: COMMAND_EXECUTION_ERROR: ${build?.failureContext()?.message}`)
    expect(r.stdout).toContain('Last lines of the output:')
    const exit = /exit status (\d+)/.exec(build?.failureContext()?.message ?? '')?.[1]
    expect(r.stdout).toMatch(new RegExp(` {2}Exit code +${exit}\\n`))
    expectClean(r.stdout)
  })

  it('shows the diagnosis of a known failure (timed out), exit 1', async () => {
    s = await standIn([presets.timedOut({ timeoutAtMs: 400 })])
    const r = await runCli(BASE, s)
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('TIMED_OUT')
    expect(r.stdout).toMatch(/^Likely cause: /m)
    expect(r.stdout).toMatch(/^Fix: /m)
    expectClean(r.stdout)
  })

  it('exits 2 for a bad flag or input, naming the flag, with nothing started', async () => {
    s = await standIn([presets.success({ lines: 3 })])
    const unknown = await runCli([...BASE, '--no-such-flag', 'x'], s)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('--no-such-flag is not a flag')
    const bad = await runCli([...BASE, '--timeout-minutes', '2'], s)
    expect(bad.code).toBe(2)
    expect(bad.stdout + bad.stderr).toContain("--timeout-minutes: must be a whole number of minutes from 5 to 2160, got '2'")
    const workflowOnly = await runCli([...BASE, '--github-token', 'x'], s)
    expect(workflowOnly.code).toBe(2)
    expect(s.calls).toHaveLength(0)
  })

  it('--help lists every flag and the exit codes; --version prints the version', async () => {
    const help = await runCli(['--help'])
    expect(help.code).toBe(0)
    for (const flag of ['--project-name', '--image-uri', '--env-vars', '--if-running', '--backup', '--profile', '--json'])
      expect(help.stdout).toContain(flag)
    expect(help.stdout).toMatch(/^ {2}130 {2}interrupted with Ctrl-C/m)
    expect(help.stdout).toMatch(/^ {2}143 {2}terminated with SIGTERM/m)
    expect(help.stdout).not.toContain('--github-token')
    const version = await runCli(['--version'])
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/)
  })

  it('--json prints one result object on stdout matching the build, with where the time went, the log on stderr', async () => {
    // Provisioning (15 s) is most of the run: the budget's advice, with the flag as the CLI writes it.
    s = await standIn([presets.failure({ lines: 10, everyMs: 5, provisioningMs: 15_000 })])
    const r = await runCli([...BASE, '--json'], s)
    expect(r.code).toBe(1)
    const [build] = s.startedBuilds(PROJECT)
    const result = JSON.parse(r.stdout) as Record<string, unknown>
    expect(result).toMatchObject({
      exitCode: 1,
      status: 'FAILED',
      id: build?.id,
      number: build?.buildNumber,
      task: 'migrate',
      project: PROJECT,
      taskExitCode: Number(/exit status (\d+)/.exec(build?.failureContext()?.message ?? '')?.[1])
    })
    expect((result.links as { logs: string }).logs).toContain(encodeURIComponent(build?.id ?? ''))
    expect((result.phases as Array<{ phase: string }>).map(p => p.phase)).toContain('BUILD')
    expect(typeof result.durationSeconds).toBe('number')
    const budget = result.timeBudget as TimeBudget & { advice: { text: string } }
    expect(budget.parts.map(p => p.id)).toEqual(['before', 'queued', 'provisioning', 'pull', 'task', 'rest', 'tail'])
    expect(budget.parts.find(p => p.id === 'provisioning')?.ms).toBeCloseTo(15_000, -2)
    expect(budget.totalMs).toBe(budget.parts.reduce((sum, p) => sum + p.ms, 0))
    expect(budget.advice.text).toMatch(
      /^Provisioning \(15s\) and the image pull \(0s\) took 15s, \d+% of this run's \d+s\. Faster: --run-in=build-environment /
    )
    expect(r.stderr).not.toContain('Where the time went')
    expect(printedLogLines(r.stderr, build as NonNullable<typeof build>)).toEqual(logLines(build).filter(l => l !== ''))
    expectClean(r.stderr)
  })

  it('the plan task: --json carries the task outputs, the pending migrations and their digest; the table shows them', async () => {
    const pending = [{ id: '0001', name: 'create_users', checksum: 'abc' }, { id: '0002' }]
    const file = `pending=${JSON.stringify(pending)}\nnote<<EOF\n::error::not a command\nEOF\n`
    s = await standIn(
      [presets.success({ lines: 2 }), presets.success({ lines: 2 })].map(b => ({ ...b, postBuild: [taskOutputs({ file })] }))
    )
    const plan = ['plan', ...BASE.slice(1)]
    const json = await runCli([...plan, '--json'], s)
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: 'SUCCEEDED',
      taskOutputs: { pending: JSON.stringify(pending), note: '::error::not a command' },
      pending,
      pendingCount: 2,
      // The contract's test vector (__tests__/core/results/task-outputs.test.ts).
      planDigest: 'sha256:dfd2e36323e4a611ad4bf650a70124ef435e937db998d65c902e5e3065ca2419'
    })
    const table = await runCli(plan, s)
    expect(table.stdout).toMatch(/── Pending migrations \(2\) ──\n {2}1 {2}0001 {2}create_users {2}abc\n {2}2 {2}0002\n/)
    expect(table.stdout).toContain('plan-digest: sha256:dfd2e36323e4a611ad4bf650a70124ef435e937db998d65c902e5e3065ca2419')
    expectClean(table.stdout)
  })

  it('Ctrl-C stops the build and exits 130', async () => {
    s = await standIn([presets.longRunning({ runMs: 60_000, everyMs: 20 })])
    let sent = false
    const r = await runCli(BASE, s, (out, child) => {
      if (!sent && out.includes('task line 000002')) {
        sent = true
        child.kill('SIGINT')
      }
    })
    expect(sent).toBe(true)
    expect(r.code).toBe(130)
    const [build] = s.startedBuilds(PROJECT)
    expect(s.callsOf('StopBuild')).toHaveLength(1)
    expect(r.stdout).toContain(`Interrupted: stopping build ${build?.id}`)
    expect(r.stdout).toContain(`Interrupted: stopped build ${build?.id}.`)
    expect(r.stdout).toContain('STOPPED')
  })
  it('a second Ctrl-C exits at once, leaving the build running, with its console link', async () => {
    // StopBuild answers slowly: the second Ctrl-C comes while it is in flight.
    s = await standIn([presets.longRunning({ runMs: 60_000, everyMs: 20 })], { faults: { StopBuild: { latencyMs: 5_000 } } })
    let first = false
    let second = false
    const r = await runCli(BASE, s, (out, child) => {
      if (!first && out.includes('task line 000002')) {
        first = true
        child.kill('SIGINT')
      }
      if (!second && out.includes('Interrupted: stopping build')) {
        second = true
        child.kill('SIGINT')
      }
    })
    expect(r.code).toBe(130)
    const [build] = s.startedBuilds(PROJECT)
    expect(r.stdout).toContain(`Interrupted again: exiting now; build ${build?.id} may still be running: https://`)
    expect(r.stdout).not.toContain('── Result ──')
  })
  it('exits 4 with nothing started when the project is busy and --if-running fail; --wait=false exits 0 with the build running', async () => {
    s = await standIn([presets.longRunning({ runMs: 60_000, everyMs: 50 }), presets.success({ lines: 3 })])
    const detached = await runCli([...BASE, '--wait=false'], s)
    expect(detached.code).toBe(0)
    expect(detached.stdout).toContain('With --wait=false, the build goes on.')
    const busy = await runCli([...BASE, '--if-running', 'fail'], s)
    expect(busy.code).toBe(4)
    // The setting named as the CLI writes it.
    expect(busy.stdout).toContain('Not starting (--if-running=fail).')
    expect(s.startedBuilds(PROJECT)).toHaveLength(1)
    expectClean(busy.stdout)
  })

  it('--backup snapshot whose CreateDBSnapshot answer is lost: the retry finds the name taken by this invocation, which uses it', async () => {
    s = await standIn([presets.success({ lines: 5, everyMs: 5 })], {
      rds: { databases: [{ id: 'orders-db', snapshots: [{ durationMs: 1_000 }] }] },
      faults: { CreateDBSnapshot: { sequence: ['lost'] } }
    })
    const r = await runCli([...BASE, '--backup', 'snapshot', '--db-identifier', 'orders-db'], s)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const creates = s.callsOf('CreateDBSnapshot')
    expect(creates.map(c => c.injected ?? c.errorType ?? 'ok')).toEqual(['lost', 'DBSnapshotAlreadyExists'])
    // No run id: a timestamp, then the invocation's own mark; the tag that recognises it is its token.
    const [snapshot] = s.snapshots()
    expect(s.snapshots()).toHaveLength(1)
    expect(snapshot?.id).toMatch(/^gha-orders-db-migrate-\d{14}-[0-9a-f]{8}$/)
    const token = ((s.callsOf('StartBuild')[0]?.request.environmentVariablesOverride ?? []) as Array<{ name: string; value: string }>).find(
      v => v.name === 'TASK_RUN_TOKEN'
    )?.value
    expect(snapshot?.tags).toContainEqual({ Key: 'codebuild-vpc-task:execution', Value: token })
    expect(snapshot?.tags.map(t => t.Key)).not.toContain('github:run-id')
    expect(r.stdout).toContain(
      `Snapshot ${snapshot?.id} was already created by an earlier try of this request (its answer was lost): using it`
    )
    expect(s.startedBuilds(PROJECT)).toHaveLength(1)
    // The result table shows the snapshot and how its wait ended, after a successful run too.
    expect(r.stdout.split('── Result ──')[1]).toMatch(new RegExp(`Snapshot +${snapshot?.id} \\(available\\)`))
  })

  it('--backup verify then snapshot: --json carries the backup report after a successful run; the table shows the check', async () => {
    s = await standIn([presets.success({ lines: 3, everyMs: 5 }), presets.success({ lines: 3, everyMs: 5 })], {
      rds: {
        databases: [{ id: 'orders-db', backupRetentionPeriod: 7, latestRestorableAgoMs: 4 * 60_000, snapshots: [{ durationMs: 500 }] }]
      }
    })
    const verify = await runCli([...BASE, '--backup', 'verify', '--db-identifier', 'orders-db'], s)
    expect(verify.code).toBe(0)
    expect(verify.stdout.split('── Result ──')[1]).toMatch(/Backup +verified: /)
    const snap = await runCli([...BASE, '--json', '--backup', 'snapshot', '--db-identifier', 'orders-db'], s)
    expect(snap.code).toBe(0)
    const result = JSON.parse(snap.stdout) as { status: string; backup?: { mode: string; snapshot?: { id: string; outcome: string } } }
    expect(result.status).toBe('SUCCEEDED')
    expect(result.backup).toMatchObject({ mode: 'snapshot', snapshot: { id: s.snapshots()[0]?.id, outcome: 'available' } })
  })

  it('--json prints one JSON object with the error for a refused flag or input (exit 2), nothing on stdout besides', async () => {
    for (const [args, message] of [
      [['--no-such-flag', 'x'], '--no-such-flag is not a flag'],
      [['--region'], '--region needs a value'],
      [['--timeout-minutes', '2'], "--timeout-minutes: must be a whole number of minutes from 5 to 2160, got '2'"]
    ] as const) {
      const r = await runCli([...BASE, '--json', ...args])
      expect(r.code).toBe(2)
      const lines = r.stdout.split('\n').filter(l => l !== '')
      expect(lines).toHaveLength(1)
      const result = JSON.parse(lines[0] as string) as Record<string, unknown>
      expect(result).toMatchObject({ exitCode: 2, status: 'NOT_STARTED', taskExitCode: null, diagnosis: null })
      expect(result.message).toContain(message)
    }
  })

  it("exits 4, naming the flag, when the project's lookup refuses: a variable replacing the project's DATABASE_URL; a lookup that fails with variables set", async () => {
    s = await standIn([presets.success({ lines: 3 })])
    const shadow = await runCli([...BASE, '--json', '--env-vars', 'DATABASE_URL=postgres://u:p@attacker.example/db'], s)
    expect(shadow.code).toBe(4)
    const result = JSON.parse(shadow.stdout) as Record<string, unknown>
    expect(result).toMatchObject({ exitCode: 4, status: 'NOT_STARTED' })
    expect(result.message).toMatch(/^--env-vars: names DATABASE_URL, which project 'app-migrations' reads from Secrets Manager/)
    expect(s.callsOf('BatchGetProjects')).toHaveLength(1)
    // Fail closed: the lookup answers 500 (past the SDK's retries) and variables are set.
    s.setFaults({ BatchGetProjects: { internal: 1 } })
    const failing = await runCli([...BASE, '--env-vars', 'LOG_LEVEL=debug'], s)
    expect(failing.code).toBe(4)
    expect(failing.stdout).toMatch(/Could not look up project 'app-migrations' .*nothing was started/)
    expect(s.callsOf('StartBuild')).toHaveLength(0)
    expectClean(failing.stdout)
  })

  it('SIGTERM (kill, timeout) stops the build as Ctrl-C does, and exits 143', async () => {
    s = await standIn([presets.longRunning({ runMs: 60_000, everyMs: 20 })])
    let sent = false
    const r = await runCli(BASE, s, (out, child) => {
      if (!sent && out.includes('task line 000002')) {
        sent = true
        child.kill('SIGTERM')
      }
    })
    expect(sent).toBe(true)
    expect(r.signal).toBeNull()
    expect(r.code).toBe(143)
    const [build] = s.startedBuilds(PROJECT)
    expect(s.callsOf('StopBuild').map(c => c.request.id)).toEqual([build?.id])
    expect(r.stdout).toContain(`Terminated (SIGTERM): stopping build ${build?.id}`)
    expect(r.stdout).toContain(`Terminated (SIGTERM): stopped build ${build?.id}.`)
  })

  it('credentials that expire while watching: the action’s message (how long it watched, how to get longer sessions), exit 3, the build goes on', async () => {
    s = await standIn([presets.longRunning({ runMs: 60_000, everyMs: 20 })])
    const st = s
    let expired = false
    const r = await runCli([...BASE, '--json'], s, out => {
      if (!expired && out.includes('task line 000003')) {
        expired = true
        st.setFaults({ '*': { expiredFromMs: st.now() } })
      }
    })
    expect(r.code).toBe(3)
    const result = JSON.parse(r.stdout) as { status: string; message: string }
    expect(result.status).toBe('IN_PROGRESS')
    // The same words as the action's (e2e/faults.test.ts): one wording per fact.
    expect(result.message).toMatch(
      /^The AWS credentials have expired \(ExpiredTokenException: The security token included in the request is expired\) after \d+s of watching build app-migrations:[0-9a-f-]+\. The build goes on \(it is not stopped\): https:\/\/.*role-duration-seconds/
    )
    expect(s.callsOf('StopBuild')).toHaveLength(0)
  })

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143]
  ] as const)(
    '%s while waiting for the --backup snapshot: nothing starts, exit %i, one JSON object saying where the snapshot goes on',
    async (name, code) => {
      s = await standIn([presets.success({ lines: 3 })], {
        rds: { databases: [{ id: 'orders-db', snapshots: [{ durationMs: 5 * 60_000 }] }] }
      })
      let sent = false
      const r = await runCli([...BASE, '--backup', 'snapshot', '--db-identifier', 'orders-db', '--json'], s, (out, child) => {
        if (!sent && out.includes('Taking snapshot')) {
          sent = true
          afterVirtual(5_000, () => child.kill(name))
        }
      })
      expect(sent).toBe(true)
      expect(r.signal).toBeNull()
      expect(r.code).toBe(code)
      expect(s.callsOf('StartBuild')).toHaveLength(0)
      const result = JSON.parse(r.stdout) as { exitCode: number; status: string; message: string; backup?: { snapshot?: { id: string } } }
      expect(result).toMatchObject({ exitCode: code, status: 'NOT_STARTED' })
      expect(result.message).toMatch(
        /^Cancelled while waiting for snapshot gha-orders-db-migrate-\S+ \(creating, \d+% after \d+s\): nothing was started\. The snapshot goes on in RDS/
      )
      expect(result.backup?.snapshot?.id).toBe(s.snapshots()[0]?.id)
    }
  )
})

describe("a secret in the task's output, from the CLI", () => {
  const output = ['FATAL: could not connect to postgres://app_user:Sup3r-S3cret-Pw@db.internal:5432/app']
  it.each([[[] as string[]], [['--json']]])('is *** in the streamed lines, the result and --json (%j)', async extra => {
    s = await standIn([presets.failure({ output })])
    const r = await runCli([...BASE, ...extra], s)
    expect(r.code).toBe(1)
    expect(r.stdout + r.stderr).not.toContain('Sup3r-S3cret-Pw')
    expect(r.stdout + r.stderr).toContain('postgres://app_user:***@db.internal:5432/app')
  })
})
