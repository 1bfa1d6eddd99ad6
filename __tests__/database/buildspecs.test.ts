/**
 * The bundled buildspecs running real migrations: each buildspec's commands with bash as on the build host
 * (fixtures/build-host.ts), its `docker run` really running the node-pg-migrate fixture image with exactly the
 * variables `docker run -e` passes, against a real PostgreSQL. Task outputs are read from the exported TASK_OUTPUTS
 * (base64 of the TASK_OUTPUT file, issue 24's contract), decoded here independently of the action's parser.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals'
import { runOnBuildHost } from '../fixtures/build-host.js'
import type { HostRun } from '../fixtures/build-host.js'
import { BROKEN_MIGRATION, MIGRATIONS, fakeImage, imageDir } from '../fixtures/migration-image.js'
import { describeWithPostgres, startPostgres } from '../fixtures/postgres.js'
import type { PostgresServer } from '../fixtures/postgres.js'
import { ROOT } from '../fixtures/root.js'

// Not an ECR registry: no login (the bundled buildspecs' login is tested in __tests__/buildspecs.test.ts), two
// processes fewer per build.
const IMAGE = 'registry.example.com/app-backend@sha256:' + 'c'.repeat(64)
const buildspec = (task: string): string => readFileSync(path.join(ROOT, 'buildspecs', `${task}.yml`), 'utf8')
/** How the action carries a variable of its inputs to the build host (src/core/plan/variables.ts CARRIED_PREFIX). */
const CARRIED_PREFIX = 'CBVT_VAR_'

/** The task outputs the build exported (TASK_OUTPUTS: base64 of GitHub's name=value format), when it did. */
function taskOutputs(run: HostRun): Record<string, string> {
  const carried = run.exported.TASK_OUTPUTS ?? ''
  const text = Buffer.from(carried, 'base64').toString('utf8')
  return Object.fromEntries(
    text
      .split('\n')
      .filter(line => /^[A-Za-z_][\w-]*=/.test(line))
      .map(line => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])
  )
}

describeWithPostgres('bundled buildspecs against a real PostgreSQL (node-pg-migrate image)', () => {
  let server: PostgresServer
  let url: string
  const tables = async (): Promise<string[]> =>
    (
      await server.query<{ t: string }>(
        url,
        "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
      )
    ).map(r => r.t)

  /** A build of `task` as the action starts it, DATABASE_URL resolved from the project's secret. */
  function build(task: string, workdir: string, options: { approved?: string; variables?: Record<string, string> } = {}): HostRun {
    const variables = options.variables ?? {}
    const names = Object.keys(variables)
    return runOnBuildHost(
      buildspec(task),
      {
        DATABASE_URL: url,
        TASK: task,
        RUN_MIGRATIONS: String(task === 'migrate'),
        RUN_SEED: String(task === 'seed'),
        IMAGE_URI: IMAGE,
        TASK_ARGV: task, // the default command: the task's name, one word (quoteArgv leaves it as it is)
        ...(options.approved ? { APPROVED_PLAN_DIGEST: options.approved } : {}),
        TASK_ENV_NAMES: names.join(' '),
        ...Object.fromEntries(names.map(name => [`${CARRIED_PREFIX}${name}`, variables[name] as string]))
      },
      { images: { [IMAGE]: fakeImage(workdir) } }
    )
  }

  beforeAll(async () => {
    server = await startPostgres()
  })
  afterAll(() => server.stop())
  beforeEach(async () => {
    url = await server.createDatabase()
  })

  it('migrate applies the migrations in the database, and a second migrate is a no-op', async () => {
    const workdir = imageDir()
    const first = build('migrate', workdir)
    expect(first.failed).toBeUndefined()
    expect(first.output).toContain(`### MIGRATION ${MIGRATIONS[0]} (UP) ###`)
    expect(await tables()).toEqual(['accounts', 'pgmigrations'])
    expect((await server.query<{ name: string }>(url, 'SELECT name FROM pgmigrations ORDER BY id')).map(r => r.name)).toEqual(MIGRATIONS)
    expect(taskOutputs(first)).toEqual({ 'applied-count': '2', applied: JSON.stringify(MIGRATIONS) })

    const second = build('migrate', workdir)
    expect(second.failed).toBeUndefined()
    expect(second.output).toContain('No migrations to run.')
    expect(second.output).not.toContain('### MIGRATION')
    expect(await server.query(url, 'SELECT name FROM pgmigrations')).toHaveLength(2)
    // The password travels in DATABASE_URL; nothing printed it.
    expect(first.output + second.output).not.toContain(server.password)
  })

  it('a failing migration fails the build phase with PostgreSQL’s error, and nothing is applied', async () => {
    const run = build('migrate', imageDir(BROKEN_MIGRATION))
    expect(run.failed?.phase).toBe('build')
    expect(run.failed?.command).toMatch(/docker run/)
    expect(run.output).toContain('relation "no_such_table" does not exist')
    expect(await tables()).toEqual(['pgmigrations'])
    expect(await server.query(url, 'SELECT name FROM pgmigrations')).toEqual([])
  })

  it('plan lists the pending migrations read-only (PGOPTIONS passed as a variable of the action), then migrate with its digest applies them', async () => {
    const workdir = imageDir()
    const plan = build('plan', workdir, { variables: { PGOPTIONS: '-c default_transaction_read_only=on' } })
    expect(plan.failed).toBeUndefined()
    expect(plan.output).toContain(`Pending migrations (2):\n  ${MIGRATIONS[0]}\n  ${MIGRATIONS[1]}\n`)
    expect(await tables()).toEqual([])
    const digest = /Plan digest: (sha256:[0-9a-f]{64})/.exec(plan.output)?.[1] as string
    const pending = JSON.parse(taskOutputs(plan).pending as string) as { id: string; name?: string; checksum?: string }[]
    expect(pending.map(m => m.id)).toEqual(MIGRATIONS)
    const text = pending.map(m => `${m.id}\t${m.name ?? ''}\t${m.checksum ?? ''}\n`).join('')
    expect(digest).toBe('sha256:' + createHash('sha256').update(text).digest('hex'))

    const changed = imageDir({ '1700000000003_more.sql': '-- Up Migration\nCREATE TABLE more (id int);\n' })
    const refused = build('migrate', changed, { approved: digest })
    expect(refused.failed?.phase).toBe('build')
    expect(refused.output).toContain('Refusing to migrate: the pending migrations are not the approved plan.')
    // post_build ran after the failed build and carried the task's outputs out.
    expect(taskOutputs(refused)).toEqual({ 'applied-count': '0' })
    expect(await tables()).toEqual([])

    const migrate = build('migrate', workdir, { approved: digest })
    expect(migrate.failed).toBeUndefined()
    expect(await tables()).toEqual(['accounts', 'pgmigrations'])
  })

  it('seed runs the image’s seed after the migrations', async () => {
    const workdir = imageDir()
    expect(build('migrate', workdir).failed).toBeUndefined()
    const seed = build('seed', workdir)
    expect(seed.failed).toBeUndefined()
    expect(seed.output).toContain('Seeded 1 account(s).')
    expect(await server.query(url, 'SELECT email FROM accounts')).toEqual([{ email: 'seed@example.com' }])
    expect(taskOutputs(seed)).toEqual({ seeded: '1' })
  })

  it('the task-output transport of the contract: a mounted TASK_OUTPUT file, exported as base64 in post_build, after a failed build too', async () => {
    // The shape issue 24's contract gives the bundled buildspecs, written out here so the transport is exercised
    // end to end whatever the bundled ones do today.
    const spec = [
      'version: 0.2',
      'env:',
      '  shell: bash',
      '  exported-variables:',
      '    - TASK_OUTPUTS',
      'phases:',
      '  build:',
      '    commands:',
      '      - mkdir -p "$HOME/out" && docker run --rm -e DATABASE_URL -v "$HOME/out:/task-output" -e TASK_OUTPUT=/task-output/outputs "$IMAGE_URI" "$TASK"',
      '  post_build:',
      '    commands:',
      '      - TASK_OUTPUTS="$(base64 -w0 "$HOME/out/outputs" 2>/dev/null || true)"'
    ].join('\n')
    const plan = runOnBuildHost(spec, { DATABASE_URL: url, TASK: 'plan', IMAGE_URI: IMAGE }, { images: { [IMAGE]: fakeImage(imageDir()) } })
    expect(plan.failed).toBeUndefined()
    expect(JSON.parse(taskOutputs(plan)?.pending as string)).toEqual(
      MIGRATIONS.map(id => ({ id, checksum: expect.stringMatching(/^[0-9a-f]{64}$/) }))
    )
    const broken = imageDir(BROKEN_MIGRATION)
    const refused = runOnBuildHost(
      spec,
      { DATABASE_URL: url, TASK: 'migrate', IMAGE_URI: IMAGE },
      { images: { [IMAGE]: fakeImage(broken) } }
    )
    expect(refused.failed?.phase).toBe('build')
    expect(refused.exported).toEqual({ TASK_OUTPUTS: '' })
    const approvedElsewhere = runOnBuildHost(
      spec.replace('-e DATABASE_URL', '-e DATABASE_URL -e APPROVED_PLAN_DIGEST=sha256:' + '0'.repeat(64)),
      { DATABASE_URL: url, TASK: 'migrate', IMAGE_URI: IMAGE },
      { images: { [IMAGE]: fakeImage(imageDir()) } }
    )
    expect(approvedElsewhere.failed?.phase).toBe('build')
    expect(taskOutputs(approvedElsewhere)).toEqual({ 'applied-count': '0' })
    // The broken run's node-pg-migrate created its table before failing; nothing was applied.
    expect(await tables()).toEqual(['pgmigrations'])
    expect(await server.query(url, 'SELECT name FROM pgmigrations')).toEqual([])
  })

  it('an image the registry does not have fails the pull, before anything runs', async () => {
    const run = runOnBuildHost(
      buildspec('migrate'),
      { DATABASE_URL: url, TASK: 'migrate', IMAGE_URI: `${IMAGE}-missing`, TASK_ARGV: 'migrate' },
      { images: { [IMAGE]: fakeImage(imageDir()) } }
    )
    expect(run.failed?.phase).toBe('pre_build')
    expect(run.failed?.command).toBe('docker pull "$IMAGE_URI"')
    expect(await tables()).toEqual([])
  })
})
