/**
 * docs/recipes/: one page per tool with the parts every recipe must have, the index and the README linking them,
 * and plan-guard.sh (the plan / approved-digest glue for tools that can print their pending list) run with sh.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { ROOT } from './fixtures/root.js'

const RECIPES = path.join(ROOT, 'docs', 'recipes')
const PAGES = [
  'flyway.md',
  'prisma.md',
  'rails.md',
  'django.md',
  'alembic.md',
  'knex.md',
  'golang-migrate.md',
  'liquibase.md',
  'atlas.md',
  'node-pg-migrate/README.md'
]
const read = (file: string): string => readFileSync(path.join(RECIPES, file), 'utf8')

describe('recipes', () => {
  it.each(PAGES)('%s has the image, the commands (migrate, plan, seed), the outputs, plan writes / locking, and sources', page => {
    const text = read(page)
    expect(text).toMatch(/^## The image$/m)
    expect(text).toMatch(/^\| migrate +\| /m)
    expect(text).toMatch(/^\| plan +\| /m)
    expect(text).toMatch(/^\| seed +\| /m)
    expect(text).toMatch(/^## Outputs$/m)
    expect(text).toMatch(/^## Does plan write\? Locking$/m)
    expect(text).toMatch(/^Sources: .*\]\(https:\/\//m)
    expect(text).toMatch(/pending/)
  })

  it('the index links every page, and the README links the index', () => {
    const index = read('README.md')
    for (const page of PAGES) expect(index).toContain(`](${page})`)
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain('](docs/recipes/README.md)')
  })

  it('every relative link of the recipes leads to a file', () => {
    for (const page of ['README.md', ...PAGES]) {
      for (const [, target] of read(page).matchAll(/\]\(((?!https?:)[^)#]+)(?:#[^)]*)?\)/g)) {
        expect([page, existsSync(path.resolve(path.dirname(path.join(RECIPES, page)), target as string))]).toEqual([page, true])
      }
    }
  })
})

describe('plan-guard.sh', () => {
  const guard = (mode: string, input: string, env: Record<string, string> = {}) => {
    const output = path.join(mkdtempSync(path.join(os.tmpdir(), 'plan-guard-')), 'output')
    writeFileSync(output, '')
    const r = spawnSync('sh', [path.join(RECIPES, 'plan-guard.sh'), mode], {
      input,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TASK_OUTPUT: output, ...env },
      encoding: 'utf8'
    })
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, output: readFileSync(output, 'utf8') }
  }
  /** The contract's digest, written independently. */
  const digest = (pending: { id: string; name?: string; checksum?: string }[]): string =>
    'sha256:' +
    createHash('sha256')
      .update(pending.map(m => `${m.id}\t${m.name ?? ''}\t${m.checksum ?? ''}\n`).join(''))
      .digest('hex')
  const LIST = 'V2\tadd "accounts" \\ table\tabc123\r\nV3\t\t\n\n'
  const PENDING = [{ id: 'V2', name: 'add "accounts" \\ table', checksum: 'abc123' }, { id: 'V3' }]

  it('plan writes the pending list as one line of JSON and prints its digest', () => {
    const r = guard('plan', LIST)
    expect(r.code).toBe(0)
    expect(r.output).toBe(`pending=${JSON.stringify(PENDING)}\n`)
    expect(r.stdout).toContain(`Plan digest: ${digest(PENDING)}`)
  })

  it('plan of nothing pending: an empty list, the digest of ""', () => {
    const r = guard('plan', '')
    expect(r.output).toBe('pending=[]\n')
    expect(r.stdout).toContain(`Plan digest: ${digest([])}`)
  })

  it('check passes the approved list and without an approval, and refuses another list with exit 3', () => {
    expect(guard('check', LIST, { APPROVED_PLAN_DIGEST: digest(PENDING) }).code).toBe(0)
    expect(guard('check', LIST).code).toBe(0)
    const refused = guard('check', LIST, { APPROVED_PLAN_DIGEST: digest(PENDING.slice(0, 1)) })
    expect(refused.code).toBe(3)
    expect(refused.stderr).toMatch(/^Refusing to migrate: the pending migrations are not the approved plan\.\n {2}approved: sha256:/)
    expect(refused.output).toBe('')
  })

  it('refuses an unknown mode', () => {
    expect(guard('apply', LIST).code).toBe(2)
  })
})
