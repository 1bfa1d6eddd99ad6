#!/usr/bin/env node
// The plan / migrate entrypoint for node-pg-migrate images (copy this file into your image; it needs the packages
// node-pg-migrate and pg, which an image that runs node-pg-migrate has).
//
//   node migrate-task.mjs plan      lists the pending migrations, writes `pending=[...]` to $TASK_OUTPUT; read-only
//   node migrate-task.mjs migrate   applies them; with APPROVED_PLAN_DIGEST set, only if the pending list is exactly
//                                   the approved one (else exit 3, nothing applied); writes applied-count and applied
//
// Environment: DATABASE_URL (required), TASK_OUTPUT (optional: the action's task-output file), APPROVED_PLAN_DIGEST
// (optional, migrate), MIGRATIONS_DIR (default: migrations), MIGRATIONS_TABLE (default: pgmigrations),
// MIGRATIONS_SCHEMA (default: public). PGOPTIONS is honoured by pg: plan works with
// PGOPTIONS='-c default_transaction_read_only=on' and with a user that may only SELECT.
//
// A migration's entry is {"id": <its name as node-pg-migrate records it: the file name without extension>,
// "checksum": <SHA-256 of the file, hex>}: a migration edited after the plan was approved changes the digest.
// The digest is the action's plan-digest: "sha256:" + hex SHA-256 of, for each pending migration in order,
// id + "\t" + (name ?? "") + "\t" + (checksum ?? "") + "\n".
//
// Plan never writes: it reads the migrations table only when it exists (node-pg-migrate's own commands create it
// on connect, and take an advisory lock). Migrate takes node-pg-migrate's advisory lock (the one its CLI takes;
// fails at once when another run holds it), computes the pending list under the lock, checks the digest, and
// applies exactly that many migrations in one transaction (node-pg-migrate's default), then unlocks.
import { createHash } from 'node:crypto'
import { appendFileSync, readFileSync, readdirSync, realpathSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

/** node-pg-migrate's advisory lock id (its PG_MIGRATE_LOCK_ID), so this excludes its own runs too. */
export const LOCK_ID = '7241865325823964'
const EXIT_USAGE = 2
const EXIT_DIGEST_MISMATCH = 3

const log = (...args) => console.error(...args)

/** The contract's digest of an ordered pending list. */
export function planDigest(pending) {
  const text = pending.map(m => `${m.id}\t${m.name ?? ''}\t${m.checksum ?? ''}\n`).join('')
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`
}

/** The migration files in node-pg-migrate's order (its default: files not starting with '.', by name). */
function migrationFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .filter(entry => (entry.isFile() || entry.isSymbolicLink()) && !entry.name.startsWith('.'))
    .map(entry => entry.name)
    .sort(compareNames)
    .map(name => path.resolve(dir, name))
}

// node-pg-migrate's compareMigrationFileNames: by numeric prefix, then by name.
function compareNames(a, b) {
  const prefix = name => {
    const n = Number.parseInt(name.split(/\D/)[0] ?? '', 10)
    return Number.isNaN(n) ? 0 : n
  }
  return prefix(a) - prefix(b) || a.localeCompare(b)
}

/** Names of the migrations already run, in the order they ran ([] when the table does not exist yet). */
async function runNames(client, schema, table) {
  const qualified = `"${schema.replaceAll('"', '""')}"."${table.replaceAll('"', '""')}"`
  const exists = await client.query('SELECT to_regclass($1) IS NOT NULL AS present', [qualified])
  if (!exists.rows[0].present) return []
  const rows = await client.query(`SELECT name FROM ${qualified} ORDER BY run_on, id`)
  return rows.rows.map(r => r.name)
}

/** The pending migrations, in apply order; refuses when the files and the table disagree (as node-pg-migrate does). */
async function pendingMigrations(client, options) {
  const files = migrationFiles(options.dir)
  const names = files.map(file => path.basename(file, path.extname(file)))
  const done = await runNames(client, options.schema, options.table)
  for (let i = 0; i < Math.min(done.length, names.length); i++)
    if (done[i] !== names[i]) throw new Error(`Not run migration ${names[i]} is preceding already run migration ${done[i]}`)
  return files
    .map((file, i) => ({ file, id: names[i] }))
    .filter(m => !done.includes(m.id))
    .map(m => ({ id: m.id, checksum: createHash('sha256').update(readFileSync(m.file)).digest('hex') }))
}

function writeOutputs(values) {
  const file = process.env.TASK_OUTPUT
  if (!file) return
  appendFileSync(
    file,
    Object.entries(values)
      .map(([name, value]) => `${name}=${value}\n`)
      .join('')
  )
}

async function main(command) {
  if (command !== 'plan' && command !== 'migrate') {
    log(`usage: migrate-task.mjs plan|migrate (got ${JSON.stringify(command ?? '')})`)
    return EXIT_USAGE
  }
  const databaseUrl = process.env.DATABASE_URL
  if (!databaseUrl) {
    log('DATABASE_URL is not set')
    return EXIT_USAGE
  }
  const approved = process.env.APPROVED_PLAN_DIGEST ?? ''
  if (approved && !/^sha256:[0-9a-f]{64}$/.test(approved)) {
    log('APPROVED_PLAN_DIGEST is not a digest (sha256:<64 hex digits>)')
    return EXIT_USAGE
  }
  const options = {
    dir: process.env.MIGRATIONS_DIR || 'migrations',
    table: process.env.MIGRATIONS_TABLE || 'pgmigrations',
    schema: process.env.MIGRATIONS_SCHEMA || 'public'
  }
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    if (command === 'plan') {
      const pending = await pendingMigrations(client, options)
      log(pending.length ? `Pending migrations (${pending.length}):` : 'No pending migrations.')
      for (const m of pending) log(`  ${m.id}`)
      log(`Plan digest: ${planDigest(pending)}`)
      writeOutputs({ pending: JSON.stringify(pending) })
      return 0
    }
    const locked = await client.query('SELECT pg_try_advisory_lock($1) AS locked', [LOCK_ID])
    if (!locked.rows[0].locked) throw new Error('Another migration is already running (node-pg-migrate advisory lock held).')
    try {
      const pending = await pendingMigrations(client, options)
      const digest = planDigest(pending)
      if (approved && digest !== approved) {
        log(`Refusing to migrate: the pending migrations are not the approved plan.`)
        log(`  approved: ${approved}`)
        log(`  pending:  ${digest} (${pending.length}: ${pending.map(m => m.id).join(', ') || 'none'})`)
        writeOutputs({ 'applied-count': '0' })
        return EXIT_DIGEST_MISMATCH
      }
      if (approved) log(`The pending migrations match the approved plan (${digest}).`)
      let applied = []
      if (pending.length > 0) {
        // Loaded only to apply: plan, a refusal and an up-to-date database don't need it.
        const { runner } = await import('node-pg-migrate')
        applied = await runner({
          dbClient: client,
          noLock: true,
          dir: options.dir,
          migrationsTable: options.table,
          migrationsSchema: options.schema,
          direction: 'up',
          count: pending.length,
          singleTransaction: true,
          checkOrder: true,
          log: message => console.log(message)
        })
      }
      if (pending.length === 0) log('No migrations to run.')
      const ids = applied.map(m => m.name)
      if (ids.join('\n') !== pending.map(m => m.id).join('\n'))
        throw new Error(`node-pg-migrate applied ${ids.join(', ')}, not the pending list ${pending.map(m => m.id).join(', ')}`)
      writeOutputs({ 'applied-count': String(ids.length), applied: JSON.stringify(ids) })
      return 0
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_ID])
    }
  } finally {
    await client.end()
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  main(process.argv[2]).then(
    code => {
      process.exitCode = code
    },
    error => {
      log(`migrate-task: ${error instanceof Error ? error.message : String(error)}`)
      process.exitCode = 1
    }
  )
}
