/**
 * The RDS part of the stand-in: DB instances, Aurora DB clusters and their manual snapshots, answered in the AWS
 * Query protocol (form-encoded `Action=…&Version=2014-10-31` requests, XML results). Operations: DescribeDBInstances,
 * DescribeDBClusters, CreateDBSnapshot, CreateDBClusterSnapshot, DescribeDBSnapshots, DescribeDBClusterSnapshots.
 * A snapshot's progress is computed from the clock: `creating` with PercentProgress growing over its duration,
 * then `available` (or `failed`).
 */
import { AwsError } from './errors.js'

export const RDS_VERSION = '2014-10-31'
export const RDS_XMLNS = `http://rds.amazonaws.com/doc/${RDS_VERSION}/`

/** How a snapshot of this database goes: consumed one per Create call, then `defaultSnapshot`. */
export interface SnapshotScript {
  /** ms from creation to `available`. Default 2 000. */
  durationMs?: number
  /** The snapshot ends `failed` at this ms after creation instead. */
  failAtMs?: number
}

export interface RdsDatabaseConfig {
  id: string
  /** 'instance' (default) or an Aurora 'cluster'. */
  kind?: 'instance' | 'cluster'
  engine?: string
  /** DBInstanceStatus / Status. Default 'available'; e.g. 'stopped'. */
  status?: string
  /** Default 7 (instances), 1 (clusters). 0: automated backups off. */
  backupRetentionPeriod?: number
  /** LatestRestorableTime = now − this, evaluated at each answer. Default 120 000. null: absent. */
  latestRestorableAgoMs?: number | null
  /** GiB. Default 20 (instance), 1 (cluster). */
  allocatedStorage?: number
  /** For an instance of an Aurora cluster. */
  clusterId?: string
  snapshots?: SnapshotScript[]
  defaultSnapshot?: SnapshotScript
}

export interface ExistingSnapshot {
  id: string
  kind?: 'instance' | 'cluster'
  db: string
  status?: string
  tags?: Array<{ Key: string; Value: string }>
}

export interface RdsConfig {
  databases?: RdsDatabaseConfig[]
  /** Manual snapshots already there (e.g. one with the name the action will choose). */
  snapshots?: ExistingSnapshot[]
  /** Manual snapshots the account may hold (instance and cluster snapshots counted apart). Default 100, as AWS. */
  snapshotQuota?: number
}

export interface SnapshotView {
  id: string
  kind: 'instance' | 'cluster'
  db: string
  arn: string
  createdAt: number
  tags: Array<{ Key: string; Value: string }>
  /** status now */
  status: string
  percent: number
}

interface SnapshotState {
  id: string
  kind: 'instance' | 'cluster'
  db: string
  createdEpochMs: number
  durationMs: number
  failAtMs: number | undefined
  fixedStatus: string | undefined
  tags: Array<{ Key: string; Value: string }>
  allocatedStorage: number
  engine: string
}

const IDENTIFIER = /^[a-z](?:[a-z0-9]|-(?!-))*$/

function esc(text: string): string {
  return text.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string)
}

/** `<name>value</name>` for the defined fields, in order. */
function fields(values: Array<[string, string | number | boolean | undefined]>): string {
  return values
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<${k}>${esc(String(v))}</${k}>`)
    .join('')
}

const iso = (epochMs: number): string => new Date(epochMs).toISOString()

function tagList(tags: Array<{ Key: string; Value: string }>): string {
  return `<TagList>${tags
    .map(
      t =>
        `<Tag>${fields([
          ['Key', t.Key],
          ['Value', t.Value]
        ])}</Tag>`
    )
    .join('')}</TagList>`
}

export class Rds {
  private readonly databases = new Map<string, RdsDatabaseConfig & { queue: SnapshotScript[] }>()
  private readonly snapshots = new Map<string, SnapshotState>()
  private readonly quota: number

  constructor(
    config: RdsConfig,
    private readonly region: string,
    private readonly accountId: string,
    private readonly epochNow: () => number
  ) {
    for (const db of config.databases ?? []) this.databases.set(db.id.toLowerCase(), { ...db, queue: [...(db.snapshots ?? [])] })
    this.quota = config.snapshotQuota ?? 100
    for (const s of config.snapshots ?? []) {
      const kind = s.kind ?? 'instance'
      this.snapshots.set(`${kind}:${s.id.toLowerCase()}`, {
        id: s.id.toLowerCase(),
        kind,
        db: s.db,
        createdEpochMs: this.epochNow() - 3_600_000,
        durationMs: 0,
        failAtMs: undefined,
        fixedStatus: s.status ?? 'available',
        tags: s.tags ?? [],
        allocatedStorage: 20,
        engine: 'postgres'
      })
    }
  }

  private arn(type: string, id: string): string {
    return `arn:aws:rds:${this.region}:${this.accountId}:${type}:${id}`
  }

  /** The database's status now: an instance is `backing-up` while a snapshot of it is being created (a cluster is not). */
  private statusOf(db: RdsDatabaseConfig): string {
    const status = db.status ?? 'available'
    if (status !== 'available') return status
    if (db.kind === 'cluster') return status
    const busy = [...this.snapshots.values()].some(s => s.db === db.id.toLowerCase() && this.snapshotStatus(s) === 'creating')
    return busy ? 'backing-up' : status
  }

  private snapshotStatus(s: SnapshotState, at = this.epochNow()): string {
    if (s.fixedStatus) return s.fixedStatus
    const age = at - s.createdEpochMs
    if (s.failAtMs !== undefined && age >= s.failAtMs) return 'failed'
    return age >= s.durationMs ? 'available' : 'creating'
  }

  private percentOf(s: SnapshotState, at = this.epochNow()): number {
    const status = this.snapshotStatus(s, at)
    if (status === 'available') return 100
    const age = at - s.createdEpochMs
    return Math.min(99, Math.floor((age / Math.max(1, s.durationMs)) * 100))
  }

  private find(id: string | undefined, kind: 'instance' | 'cluster'): (RdsDatabaseConfig & { queue: SnapshotScript[] }) | undefined {
    const db = this.databases.get((id ?? '').toLowerCase())
    return db && (db.kind ?? 'instance') === kind ? db : undefined
  }

  private instanceXml(db: RdsDatabaseConfig): string {
    const id = db.id.toLowerCase()
    const ago = db.latestRestorableAgoMs === undefined ? 120_000 : db.latestRestorableAgoMs
    return `<DBInstance>${fields([
      ['DBInstanceIdentifier', id],
      ['DBInstanceClass', 'db.t4g.medium'],
      ['Engine', db.engine ?? (db.clusterId ? 'aurora-postgresql' : 'postgres')],
      ['DBInstanceStatus', this.statusOf(db)],
      ['AllocatedStorage', db.allocatedStorage ?? (db.clusterId ? 1 : 20)],
      ['InstanceCreateTime', iso(this.epochNow() - 90 * 86_400_000)],
      ['BackupRetentionPeriod', db.backupRetentionPeriod ?? 7],
      ['LatestRestorableTime', ago === null || db.clusterId ? undefined : iso(this.epochNow() - ago)],
      ['MultiAZ', false],
      ['EngineVersion', '16.4'],
      ['DBClusterIdentifier', db.clusterId],
      ['DBInstanceArn', this.arn('db', id)]
    ])}</DBInstance>`
  }

  private clusterXml(db: RdsDatabaseConfig): string {
    const id = db.id.toLowerCase()
    const ago = db.latestRestorableAgoMs === undefined ? 120_000 : db.latestRestorableAgoMs
    return `<DBCluster>${fields([
      ['AllocatedStorage', db.allocatedStorage ?? 1],
      ['BackupRetentionPeriod', db.backupRetentionPeriod ?? 1],
      ['DBClusterIdentifier', id],
      ['Status', this.statusOf(db)],
      ['EarliestRestorableTime', iso(this.epochNow() - 86_400_000)],
      ['Engine', db.engine ?? 'aurora-postgresql'],
      ['EngineVersion', '16.4'],
      ['LatestRestorableTime', ago === null ? undefined : iso(this.epochNow() - ago)],
      ['MultiAZ', false],
      ['DBClusterArn', this.arn('cluster', id)]
    ])}</DBCluster>`
  }

  /** The snapshot as it is now, or at `at` (a create call answers with the snapshot as it was created). */
  private snapshotXml(s: SnapshotState, at = this.epochNow()): string {
    const common: Array<[string, string | number | boolean | undefined]> = [
      ['SnapshotCreateTime', iso(s.createdEpochMs)],
      ['Engine', s.engine],
      ['AllocatedStorage', s.allocatedStorage],
      ['Status', this.snapshotStatus(s, at)],
      ['PercentProgress', this.percentOf(s, at)],
      ['SnapshotType', 'manual']
    ]
    if (s.kind === 'instance') {
      return `<DBSnapshot>${fields([
        ['DBSnapshotIdentifier', s.id],
        ['DBInstanceIdentifier', s.db],
        ...common,
        ['DBSnapshotArn', this.arn('snapshot', s.id)]
      ])}${tagList(s.tags)}</DBSnapshot>`
    }
    return `<DBClusterSnapshot>${fields([
      ['DBClusterSnapshotIdentifier', s.id],
      ['DBClusterIdentifier', s.db],
      ...common,
      ['DBClusterSnapshotArn', this.arn('cluster-snapshot', s.id)]
    ])}${tagList(s.tags)}</DBClusterSnapshot>`
  }

  // ------------------------------------------------------------------------------------------------------------
  // Operations: each gets the form parameters and returns the inner XML of <Action>Result.
  // ------------------------------------------------------------------------------------------------------------

  describeDBInstances(p: URLSearchParams): string {
    const id = p.get('DBInstanceIdentifier')
    if (id !== null) {
      const db = this.find(id, 'instance')
      if (!db) throw new AwsError('DBInstanceNotFound', `DBInstance ${id} not found.`, 404)
      return `<DBInstances>${this.instanceXml(db)}</DBInstances>`
    }
    const all = [...this.databases.values()].filter(d => (d.kind ?? 'instance') === 'instance')
    return `<DBInstances>${all.map(d => this.instanceXml(d)).join('')}</DBInstances>`
  }

  describeDBClusters(p: URLSearchParams): string {
    const id = p.get('DBClusterIdentifier')
    if (id !== null) {
      const db = this.find(id, 'cluster')
      if (!db) throw new AwsError('DBClusterNotFoundFault', `DBCluster ${id} not found.`, 404)
      return `<DBClusters>${this.clusterXml(db)}</DBClusters>`
    }
    const all = [...this.databases.values()].filter(d => d.kind === 'cluster')
    return `<DBClusters>${all.map(d => this.clusterXml(d)).join('')}</DBClusters>`
  }

  createDBSnapshot(p: URLSearchParams): string {
    const created = this.create(p, 'instance')
    return this.snapshotXml(created, created.createdEpochMs)
  }

  createDBClusterSnapshot(p: URLSearchParams): string {
    const created = this.create(p, 'cluster')
    return this.snapshotXml(created, created.createdEpochMs)
  }

  describeDBSnapshots(p: URLSearchParams): string {
    return `<DBSnapshots>${this.describe(p, 'instance')}</DBSnapshots>`
  }

  describeDBClusterSnapshots(p: URLSearchParams): string {
    return `<DBClusterSnapshots>${this.describe(p, 'cluster')}</DBClusterSnapshots>`
  }

  private describe(p: URLSearchParams, kind: 'instance' | 'cluster'): string {
    const idParam = kind === 'instance' ? 'DBSnapshotIdentifier' : 'DBClusterSnapshotIdentifier'
    const id = p.get(idParam)
    if (id !== null) {
      const s = this.snapshots.get(`${kind}:${id.toLowerCase()}`)
      if (!s) {
        throw kind === 'instance'
          ? new AwsError('DBSnapshotNotFound', `DBSnapshot ${id} not found.`, 404)
          : new AwsError('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${id} not found.`, 404)
      }
      return this.snapshotXml(s)
    }
    const dbParam = kind === 'instance' ? 'DBInstanceIdentifier' : 'DBClusterIdentifier'
    const db = p.get(dbParam)?.toLowerCase()
    return [...this.snapshots.values()]
      .filter(s => s.kind === kind && (db === undefined || s.db === db))
      .map(s => this.snapshotXml(s))
      .join('')
  }

  private create(p: URLSearchParams, kind: 'instance' | 'cluster'): SnapshotState {
    const idParam = kind === 'instance' ? 'DBSnapshotIdentifier' : 'DBClusterSnapshotIdentifier'
    const dbParam = kind === 'instance' ? 'DBInstanceIdentifier' : 'DBClusterIdentifier'
    const rawId = p.get(idParam)
    const dbId = p.get(dbParam)
    if (rawId === null) throw new AwsError('MissingParameter', `The request must contain the parameter ${idParam}`, 400)
    if (dbId === null) throw new AwsError('MissingParameter', `The request must contain the parameter ${dbParam}`, 400)
    const id = rawId.toLowerCase()
    const limit = kind === 'instance' ? 255 : 63
    if (!IDENTIFIER.test(id) || id.endsWith('-') || id.length > limit) {
      throw new AwsError(
        'InvalidParameterValue',
        `The parameter ${idParam} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
        400
      )
    }
    const db = this.find(dbId, kind)
    if (!db) {
      throw kind === 'instance'
        ? new AwsError('DBInstanceNotFound', `DBInstance ${dbId} not found.`, 404)
        : new AwsError('DBClusterNotFoundFault', `DBCluster ${dbId} not found.`, 404)
    }
    if (this.snapshots.has(`${kind}:${id}`)) {
      throw kind === 'instance'
        ? new AwsError(
            'DBSnapshotAlreadyExists',
            `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`,
            400
          )
        : new AwsError(
            'DBClusterSnapshotAlreadyExistsFault',
            `Cannot create the cluster snapshot because one with the identifier ${id} already exists.`,
            400
          )
    }
    const status = this.statusOf(db)
    if (status !== 'available') {
      throw kind === 'instance'
        ? new AwsError(
            'InvalidDBInstanceState',
            `Cannot create a snapshot because the database instance ${db.id.toLowerCase()} is not currently in the available state.`,
            400
          )
        : new AwsError('InvalidDBClusterStateFault', `DBCluster ${db.id.toLowerCase()} is not in the available state (${status}).`, 400)
    }
    if ([...this.snapshots.values()].filter(s => s.kind === kind).length >= this.quota) {
      throw new AwsError('SnapshotQuotaExceeded', `Cannot create more than ${this.quota} manual snapshots`, 400)
    }
    const tags: Array<{ Key: string; Value: string }> = []
    for (let i = 1; p.has(`Tags.Tag.${i}.Key`); i++)
      tags.push({ Key: p.get(`Tags.Tag.${i}.Key`) ?? '', Value: p.get(`Tags.Tag.${i}.Value`) ?? '' })
    const script = db.queue.shift() ?? db.defaultSnapshot ?? {}
    const state: SnapshotState = {
      id,
      kind,
      db: db.id.toLowerCase(),
      createdEpochMs: this.epochNow(),
      durationMs: script.durationMs ?? 2_000,
      failAtMs: script.failAtMs,
      fixedStatus: undefined,
      tags,
      allocatedStorage: db.allocatedStorage ?? (kind === 'instance' ? 20 : 1),
      engine: db.engine ?? (kind === 'instance' ? 'postgres' : 'aurora-postgresql')
    }
    this.snapshots.set(`${kind}:${id}`, state)
    return state
  }

  /** Every snapshot, as a test sees it. */
  views(): SnapshotView[] {
    return [...this.snapshots.values()].map(s => ({
      id: s.id,
      kind: s.kind,
      db: s.db,
      arn: this.arn(s.kind === 'instance' ? 'snapshot' : 'cluster-snapshot', s.id),
      createdAt: s.createdEpochMs,
      tags: s.tags,
      status: this.snapshotStatus(s),
      percent: this.percentOf(s)
    }))
  }
}
