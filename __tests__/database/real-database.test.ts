/**
 * The real-database suite (issue 24): the bundle (dist/, Node 24) against the stand-in, whose builds really run
 * (fixtures/real-build.ts): the bundled buildspec under bash, `docker run` running the node-pg-migrate fixture image
 * with exactly the container's variables, DATABASE_URL resolved from the project's secret, against a real PostgreSQL.
 * plan lists the pending migrations in the comment and the outputs; migrate with the approved digest applies them
 * and reports its outputs; the CLI bundle does the same (its --json), and a migrate with another digest applies
 * nothing; a broken migration fails the step with PostgreSQL's error; the database password appears in no output,
 * log, summary, comment or annotation.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from '@jest/globals'
import type { StandIn } from '../standin/index.js'
import { IMAGE, PROJECT, failureOf, run, standIn } from '../fixtures/e2e.js'
import { runCli } from '../fixtures/cli.js'
import type { E2ERun } from '../fixtures/e2e.js'
import { BROKEN_MIGRATION, MIGRATIONS, fakeImage, imageDir } from '../fixtures/migration-image.js'
import { describeWithPostgres, startPostgres } from '../fixtures/postgres.js'
import type { PostgresServer } from '../fixtures/postgres.js'
import { pullRequestEnv } from '../fixtures/github.js'
import { realBuild } from '../fixtures/real-build.js'

/**
 * The real build blocks the stand-in while StartBuild is answered (about a second, several on a loaded machine), so
 * the action runs in real time: a scaled clock would shorten its 10 s request limit to a few real seconds. A run
 * takes about 2 s either way (REAL_DB_TIME_SCALE=3: about 1.5 s).
 */
const REAL_BUILD_TIME_SCALE = Number(process.env.REAL_DB_TIME_SCALE ?? '1')
/** The project's DATABASE_URL secret (vpcProject's), which the real build resolves to the test database. */
const SECRET_ID = 'prod/database-url:DATABASE_URL'

const digestOf = (ids: readonly string[], workdir: string): string => {
  const text = ids
    .map(
      id =>
        `${id}\t\t${createHash('sha256')
          .update(readFileSync(path.join(workdir, 'migrations', `${id}.sql`)))
          .digest('hex')}\n`
    )
    .join('')
  return `sha256:${createHash('sha256').update(text).digest('hex')}`
}

describeWithPostgres('real database, end to end (node-pg-migrate image on PostgreSQL)', () => {
  let server: PostgresServer
  let url: string
  let s: StandIn | undefined
  const tables = async (): Promise<string[]> =>
    (
      await server.query<{ t: string }>(
        url,
        "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
      )
    ).map(r => r.t)
  const everything = (r: E2ERun, comment = ''): string => [r.stdout, r.stderr, r.summary, JSON.stringify(r.outputs), comment].join('\n')

  beforeAll(async () => {
    server = await startPostgres()
  })
  afterAll(() => server.stop())
  beforeEach(async () => {
    url = await server.createDatabase()
  })
  afterEach(async () => {
    await s?.close()
    s = undefined
  })

  async function standInFor(workdir: string): Promise<StandIn> {
    return standIn(
      [],
      { timeScale: REAL_BUILD_TIME_SCALE },
      { defaultBuild: realBuild({ images: { [IMAGE]: fakeImage(workdir) }, secrets: { [SECRET_ID]: url } }) }
    )
  }

  it('plan on a pull request lists the pending migrations in the comment and the outputs, and changes nothing; migrate with its digest applies them', async () => {
    const workdir = imageDir()
    s = await standInFor(workdir)
    const plan = await run(
      s,
      { task: 'plan', 'github-token': 'ghs_16C7e42F292c6912E7710c838347Ae178B4a' },
      { env: pullRequestEnv(s.endpoint, 'acme/app/.github/workflows/plan.yml'), timeScale: REAL_BUILD_TIME_SCALE }
    )
    expect(plan.errors).toEqual([])
    expect(plan.code).toBe(0)
    const digest = digestOf(MIGRATIONS, workdir)
    expect(plan.outputs).toMatchObject({ 'build-status': 'SUCCEEDED', 'pending-count': '2', 'plan-digest': digest })
    expect(plan.streamed).toContain(`Plan digest: ${digest}`)
    const comment = s.github.comments('acme/app', 7)[0]?.body ?? ''
    expect(comment).toContain('#### Pending migrations (2)')
    expect(comment).toContain('| 1 | <code>1700000000000&#95;create&#45;accounts</code> |')
    expect(plan.summary).toContain('Pending migrations (2)')
    expect(await tables()).toEqual([])
    expect(everything(plan, comment)).not.toContain(server.password)

    const migrate = await run(s, { task: 'migrate', 'approved-plan-digest': digest }, { timeScale: REAL_BUILD_TIME_SCALE })
    expect(migrate.errors).toEqual([])
    expect(migrate.code).toBe(0)
    expect(migrate.outputs).toMatchObject({ 'build-status': 'SUCCEEDED', 'task-exit-code': '0', 'applied-count': '2' })
    expect(JSON.parse(migrate.outputs['task-outputs'] ?? '{}')).toEqual({ 'applied-count': '2', applied: JSON.stringify(MIGRATIONS) })
    expect(migrate.streamed).toContain(`### MIGRATION ${MIGRATIONS[0]} (UP) ###`)
    expect(await tables()).toEqual(['accounts', 'pgmigrations'])
    expect(everything(migrate)).not.toContain(server.password)
  })

  it('the CLI: plan --json lists the pending migrations and changes nothing; migrate with its digest applies them, as the action does', async () => {
    const workdir = imageDir()
    s = await standInFor(workdir)
    const base = ['--project-name', PROJECT, '--image-uri', IMAGE, '--json']
    const plan = await runCli(['plan', ...base], s)
    expect(plan.code).toBe(0)
    const digest = digestOf(MIGRATIONS, workdir)
    const planned = JSON.parse(plan.stdout) as Record<string, unknown>
    expect(planned).toMatchObject({ exitCode: 0, status: 'SUCCEEDED', taskExitCode: 0, pendingCount: 2, planDigest: digest })
    expect((planned.pending as Array<{ id: string }>).map(m => m.id)).toEqual(MIGRATIONS)
    expect(await tables()).toEqual([])

    const migrate = await runCli(['migrate', ...base, '--approved-plan-digest', digest], s)
    expect(migrate.code).toBe(0)
    const applied = JSON.parse(migrate.stdout) as Record<string, unknown>
    expect(applied).toMatchObject({ exitCode: 0, status: 'SUCCEEDED', taskExitCode: 0 })
    expect(applied.taskOutputs).toEqual({ 'applied-count': '2', applied: JSON.stringify(MIGRATIONS) })
    // The log goes to stderr, the tool's own lines in it.
    expect(migrate.stderr).toContain(`### MIGRATION ${MIGRATIONS[0]} (UP) ###`)
    expect(await tables()).toEqual(['accounts', 'pgmigrations'])
    for (const r of [plan, migrate]) expect(r.stdout + r.stderr).not.toContain(server.password)

    // Another digest than the plan's: the task refuses to apply anything, and the CLI exits non-zero.
    url = await server.createDatabase()
    await s.close()
    s = await standInFor(workdir)
    const refused = await runCli(['migrate', ...base, '--approved-plan-digest', `sha256:${'0'.repeat(64)}`], s)
    expect(refused.code).not.toBe(0)
    expect(JSON.parse(refused.stdout)).toMatchObject({ status: 'FAILED', taskExitCode: 3 })
    expect(await tables()).not.toContain('accounts')
  })

  it('a broken migration fails the step with PostgreSQL’s error and the task’s exit code, and applies nothing', async () => {
    s = await standInFor(imageDir(BROKEN_MIGRATION))
    const r = await run(s, { task: 'migrate' }, { timeScale: REAL_BUILD_TIME_SCALE })
    expect(r.code).toBe(1)
    expect(r.outputs).toMatchObject({ 'build-status': 'FAILED', 'task-exit-code': '1' })
    // The tool's own error among the last lines; no infrastructure cause is made up (the diagnosis knows none here).
    expect(failureOf(r)).toMatch(
      /Reason: exit status 1\nLast lines of the output:\n[\s\S]*migrate-task: relation "no_such_table" does not exist$/m
    )
    expect(r.errors.join('\n')).not.toContain('Likely cause')
    expect(await server.query(url, 'SELECT name FROM pgmigrations')).toEqual([])
    expect(await tables()).toEqual(['pgmigrations'])
    expect(everything(r)).not.toContain(server.password)
  })
})
