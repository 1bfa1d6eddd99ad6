/**
 * The node-pg-migrate recipe's wrapper (docs/recipes/node-pg-migrate/migrate-task.mjs) against a real PostgreSQL:
 * plan lists the pending migrations in $TASK_OUTPUT without writing anything (not even node-pg-migrate's table),
 * also as a read-only user; migrate applies them, and with APPROVED_PLAN_DIGEST only the approved list.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals'
import { PG_MIGRATE_LOCK_ID } from 'node-pg-migrate'
import pg from 'pg'
import { BROKEN_MIGRATION, MIGRATIONS, WRAPPER, imageDir } from '../fixtures/migration-image.js'
import { describeWithPostgres, startPostgres } from '../fixtures/postgres.js'
import type { PostgresServer } from '../fixtures/postgres.js'

interface Pending {
  id: string
  name?: string
  checksum?: string
}

/** The contract's plan digest (issue 24), written here independently of the wrapper. */
function contractDigest(pending: readonly Pending[]): string {
  const text = pending.map(m => `${m.id}\t${m.name ?? ''}\t${m.checksum ?? ''}\n`).join('')
  return 'sha256:' + createHash('sha256').update(text, 'utf8').digest('hex')
}

interface TaskRun {
  code: number | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
}

function task(command: string, databaseUrl: string, workdir: string, env: Record<string, string> = {}): TaskRun {
  const outputFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'task-output-')), 'output')
  writeFileSync(outputFile, '')
  const r = spawnSync(process.execPath, [WRAPPER, command], {
    cwd: workdir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', DATABASE_URL: databaseUrl, TASK_OUTPUT: outputFile, ...env },
    encoding: 'utf8'
  })
  const outputs = Object.fromEntries(
    readFileSync(outputFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(line => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])
  )
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, outputs }
}

const pendingOf = (run: TaskRun): Pending[] => JSON.parse(run.outputs.pending ?? 'null') as Pending[]
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex')

describeWithPostgres('node-pg-migrate recipe: migrate-task.mjs on a real PostgreSQL', () => {
  let server: PostgresServer
  let url: string
  let workdir: string
  const tables = async (): Promise<string[]> =>
    (
      await server.query<{ t: string }>(
        url,
        "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
      )
    ).map(r => r.t)

  beforeAll(async () => {
    server = await startPostgres()
  })
  afterAll(() => server.stop())
  beforeEach(async () => {
    url = await server.createDatabase()
    workdir = imageDir()
  })

  it('plan lists the pending migrations in apply order with their checksums, and writes nothing', async () => {
    const plan = task('plan', url, workdir, { PGOPTIONS: '-c default_transaction_read_only=on' })
    expect(plan.code).toBe(0)
    expect(pendingOf(plan)).toEqual(MIGRATIONS.map(id => ({ id, checksum: sha256(path.join(workdir, 'migrations', `${id}.sql`)) })))
    expect(plan.outputs.pending).not.toMatch(/\n/)
    expect(plan.stderr).toContain(`Plan digest: ${contractDigest(pendingOf(plan))}`)
    // node-pg-migrate's own commands would have created pgmigrations here.
    expect(await tables()).toEqual([])
  })

  it('migrate applies them, reports what it applied, and a second migrate and plan find nothing to do', async () => {
    const migrate = task('migrate', url, workdir)
    expect(migrate.stderr).toBe('')
    expect(migrate.code).toBe(0)
    expect(migrate.outputs).toEqual({ 'applied-count': '2', applied: JSON.stringify(MIGRATIONS) })
    expect(await tables()).toEqual(['accounts', 'pgmigrations'])
    const columns = await server.query<{ c: string }>(
      url,
      "SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'accounts' ORDER BY 1"
    )
    expect(columns.map(r => r.c)).toEqual(['created_at', 'email', 'id'])

    const again = task('migrate', url, workdir)
    expect(again.code).toBe(0)
    expect(again.outputs).toEqual({ 'applied-count': '0', applied: '[]' })
    const plan = task('plan', url, workdir)
    expect(pendingOf(plan)).toEqual([])
    expect(plan.stderr).toContain(`Plan digest: ${contractDigest([])}`)
  })

  it('plan runs as a user that may only read, after migrations ran', async () => {
    expect(task('migrate', url, imageDir()).code).toBe(0)
    const reader = await server.createReadOnlyUser(url)
    const newer = imageDir({ '1700000000005_add-accounts-name.sql': '-- Up Migration\nALTER TABLE accounts ADD COLUMN name text;\n' })
    const plan = task('plan', reader, newer)
    expect(plan.stderr).not.toMatch(/error/i)
    expect(plan.code).toBe(0)
    expect(pendingOf(plan).map(m => m.id)).toEqual(['1700000000005_add-accounts-name'])
    // The same user cannot migrate: the database, not the wrapper, keeps it read-only.
    const migrate = task('migrate', reader, newer)
    expect(migrate.code).toBe(1)
    expect(migrate.stderr).toMatch(/must be owner of table pgmigrations/)
  })

  it('migrate with the approved digest applies exactly the approved plan', async () => {
    const plan = task('plan', url, workdir)
    const migrate = task('migrate', url, workdir, { APPROVED_PLAN_DIGEST: contractDigest(pendingOf(plan)) })
    expect(migrate.code).toBe(0)
    expect(migrate.stderr).toContain('The pending migrations match the approved plan')
    expect(migrate.outputs['applied-count']).toBe('2')
    expect(await tables()).toEqual(['accounts', 'pgmigrations'])
  })

  it.each([
    ['a migration added after the approval', { '1700000000009_later.sql': '-- Up Migration\nCREATE TABLE later (id int);\n' }, undefined],
    ['a migration edited after the approval', {}, '1700000000001_add-accounts-created-at.sql']
  ])('migrate refuses %s (exit 3) and applies nothing', async (_, extra, edited) => {
    const approved = contractDigest(pendingOf(task('plan', url, workdir)))
    const changed = imageDir(extra)
    if (edited)
      writeFileSync(path.join(changed, 'migrations', edited), '-- Up Migration\nALTER TABLE accounts ADD COLUMN created_at date;\n')
    const migrate = task('migrate', url, changed, { APPROVED_PLAN_DIGEST: approved })
    expect(migrate.code).toBe(3)
    expect(migrate.stderr).toMatch(/^Refusing to migrate: the pending migrations are not the approved plan\./)
    expect(migrate.outputs).toEqual({ 'applied-count': '0' })
    expect(await tables()).toEqual([])
  })

  it('refuses a digest of the wrong shape before connecting', () => {
    const migrate = task('migrate', 'postgres://nobody@127.0.0.1:1/none', workdir, { APPROVED_PLAN_DIGEST: 'sha256:ABC' })
    expect(migrate.code).toBe(2)
    expect(migrate.stderr).toMatch(/APPROVED_PLAN_DIGEST is not a digest/)
  })

  it('a failing migration fails the task with PostgreSQL’s error and rolls back every migration of the run', async () => {
    const migrate = task('migrate', url, imageDir(BROKEN_MIGRATION))
    expect(migrate.code).toBe(1)
    expect(migrate.stderr).toContain('relation "no_such_table" does not exist')
    expect(migrate.outputs).toEqual({})
    expect(await server.query(url, 'SELECT * FROM pgmigrations')).toEqual([])
    expect(await tables()).toEqual(['pgmigrations'])
  })

  it('takes node-pg-migrate’s own advisory lock (the same id), so it excludes the tool’s own runs', () => {
    expect(/^export const LOCK_ID = '(\d+)'$/m.exec(readFileSync(WRAPPER, 'utf8'))?.[1]).toBe(String(PG_MIGRATE_LOCK_ID))
  })

  it('migrate fails at once while another run holds node-pg-migrate’s lock', async () => {
    const holder = new pg.Client({ connectionString: url })
    await holder.connect()
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [String(PG_MIGRATE_LOCK_ID)])
      const migrate = task('migrate', url, workdir)
      expect(migrate.code).toBe(1)
      expect(migrate.stderr).toMatch(/Another migration is already running/)
    } finally {
      await holder.end()
    }
    expect(await tables()).toEqual([])
  })
})
