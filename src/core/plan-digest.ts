/**
 * The `plan` task's result: the pending migrations it reports as the task output `pending` (a JSON array in apply
 * order, each `{"id": string, "name"?: string, "checksum"?: string}`), and the digest of that ordered list that a
 * later `migrate` run can be given as `approved-plan-digest` (passed to the task as APPROVED_PLAN_DIGEST, so that a
 * task that supports it applies only the plan that was approved).
 *
 * plan-digest = "sha256:" + lowercase hex SHA-256 of the UTF-8 bytes of, for each migration in order,
 * `id + "\t" + (name ?? "") + "\t" + (checksum ?? "") + "\n"`; an empty list is the digest of "".
 */
import { createHash } from 'node:crypto'

/** The task output the plan task reports its pending migrations in. */
export const PENDING_OUTPUT = 'pending'
/** The shape of a digest, as the `approved-plan-digest` input must be written. */
export const PLAN_DIGEST = /^sha256:[0-9a-f]{64}$/
/** The variable the task gets the approved digest in. */
export const APPROVED_PLAN_DIGEST_VARIABLE = 'APPROVED_PLAN_DIGEST'

export interface PendingMigration {
  id: string
  name?: string
  checksum?: string
}

/** The digest of an ordered list of pending migrations (the contract above). */
export function planDigest(pending: readonly PendingMigration[]): string {
  const text = pending.map(m => `${m.id}\t${m.name ?? ''}\t${m.checksum ?? ''}\n`).join('')
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`
}

const FIELDS = new Set(['id', 'name', 'checksum'])

/**
 * The `pending` output read as the list of pending migrations, or why it can't be: a JSON array of objects with a
 * string `id` and optional string `name` and `checksum` (no other field, no tab or line break in them, since the
 * digest separates fields and entries with those).
 */
export function parsePending(value: string): PendingMigration[] | { problem: string } {
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    return { problem: `the ${PENDING_OUTPUT} output is not JSON` }
  }
  if (!Array.isArray(parsed)) return { problem: `the ${PENDING_OUTPUT} output is not a JSON array` }
  const list: PendingMigration[] = []
  for (const [index, item] of parsed.entries()) {
    const at = `${PENDING_OUTPUT}[${index}]`
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return { problem: `${at} is not an object` }
    const entry = item as Record<string, unknown>
    const unknown = Object.keys(entry).find(k => !FIELDS.has(k))
    if (unknown !== undefined) return { problem: `${at} has a field other than id, name and checksum` }
    const migration: PendingMigration = { id: '' }
    for (const field of FIELDS) {
      const v = entry[field]
      if (v === undefined || (v === null && field !== 'id')) continue
      if (typeof v !== 'string') return { problem: `${at}.${field} is not a string` }
      if (/[\t\r\n]/.test(v)) return { problem: `${at}.${field} has a tab or a line break` }
      ;(migration as unknown as Record<string, string>)[field] = v
    }
    if (typeof entry.id !== 'string' || migration.id === '') return { problem: `${at}.id is missing or empty` }
    list.push(migration)
  }
  return list
}
