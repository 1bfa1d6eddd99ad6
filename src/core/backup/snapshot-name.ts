/**
 * The name of the snapshot taken before a task: `gha-<db>-<task>-<run>-<attempt>-<execution>`, valid under RDS's
 * identifier rules (letters, digits and hyphens, a letter first, no double or trailing hyphen, lowercase as RDS
 * stores it) and within the length limit of its kind. The database part is shortened when needed, never the rest.
 * The execution part (src/core/build/execution.ts) makes it one execution's own: every leg of a matrix, every job of the
 * run, has the same run and attempt (and, without step ids, the same step id), so only it tells them apart.
 */
import { createHash } from 'node:crypto'
import { executionMark } from '../build/index.js'

/** Every snapshot the action takes starts with this: the IAM policy grants snapshots of this prefix only. */
export const SNAPSHOT_PREFIX = 'gha-'

/** RDS's limits: 255 characters for a DB snapshot identifier, 63 for a DB cluster snapshot identifier. */
const SNAPSHOT_NAME_LIMIT = { instance: 255, cluster: 63 } as const

export interface SnapshotNameParts {
  kind: 'instance' | 'cluster'
  db: string
  task: string
  /** GITHUB_RUN_ID; absent outside a workflow run, where `at` (a timestamp) takes its place. */
  runId?: string | undefined
  runAttempt?: string | undefined
  /** The execution's token: its first characters end the name. */
  execution: string
  /** Epoch ms, used when there is no run id. */
  at: number
}

/** Lowercase letters, digits and single hyphens, none at either end. */
function clean(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

const hash6 = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 6)

/** A long piece cut to `max` characters, ending in a short hash of the whole so that two long ones stay apart. */
function shorten(piece: string, original: string, max: number): string {
  if (piece.length <= max) return piece
  if (max < 8) return piece.slice(0, max).replace(/-+$/, '')
  const head = piece.slice(0, Math.max(1, max - 7)).replace(/-+$/, '')
  return `${head}-${hash6(original)}`
}

function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)
}

export function snapshotName(parts: SnapshotNameParts): string {
  const limit = SNAPSHOT_NAME_LIMIT[parts.kind]
  const runId = clean(parts.runId ?? '')
  const run = runId ? [runId, clean(parts.runAttempt ?? '') || '1'] : [timestamp(parts.at)]
  const tail = [clean(parts.task), ...run, executionMark(parts.execution)].filter(Boolean).join('-')
  const db = clean(parts.db) || 'db'
  // What is left for the database once the prefix, the hyphen and the tail are counted.
  const room = limit - SNAPSHOT_PREFIX.length - 1 - tail.length
  if (room < 1) throw new Error(`a snapshot name for run ${run.join('-')} does not fit in ${limit} characters`)
  return `${SNAPSHOT_PREFIX}${shorten(db, parts.db, room)}-${tail}`
}

/** RDS's rule for a snapshot identifier of this kind. */
export function isValidSnapshotName(name: string, kind: 'instance' | 'cluster'): boolean {
  return name.length <= SNAPSHOT_NAME_LIMIT[kind] && /^[A-Za-z](?:[A-Za-z0-9]|-(?!-))*$/.test(name) && !name.endsWith('-')
}
