/** The stand-in's RDS through the real @aws-sdk/client-rds: the Query protocol both ways, progress, refusals, faults. */
import http from 'node:http'
import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient
} from '@aws-sdk/client-rds'
import { isTransient } from '../src/core/errors/aws-errors.js'
import { startStandIn } from './standin/index.js'
import type { StandIn } from './standin/index.js'

let s: StandIn | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})

const client = (st: StandIn): RDSClient =>
  new RDSClient({ region: st.region, endpoint: st.endpoint, credentials: st.credentials, maxAttempts: 1 })
const failure = async (p: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> => {
  try {
    await p
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } }
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message }
  }
  throw new Error('expected an error')
}

test('instances and clusters are described with their backup fields; unknown ones are RDS errors', async () => {
  s = await startStandIn({
    rds: {
      databases: [
        { id: 'Orders-DB', latestRestorableAgoMs: 60_000 },
        { id: 'aur', kind: 'cluster' }
      ]
    }
  })
  const rds = client(s)
  const [db] = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-db' }))).DBInstances ?? []
  expect(db).toMatchObject({
    DBInstanceIdentifier: 'orders-db',
    DBInstanceStatus: 'available',
    BackupRetentionPeriod: 7,
    Engine: 'postgres'
  })
  expect(Date.now() - (db?.LatestRestorableTime?.getTime() ?? 0)).toBeGreaterThanOrEqual(59_000)
  expect((await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'aur' }))).DBClusters?.[0]?.DBClusterArn).toBe(
    'arn:aws:rds:us-east-1:123456789012:cluster:aur'
  )
  expect(await failure(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'aur' })))).toEqual({
    name: 'DBInstanceNotFoundFault',
    status: 404,
    message: 'DBInstance aur not found.'
  })
  expect((await failure(rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: 'nope' })))).name).toBe('DBClusterNotFoundFault')
  expect(s.calls.map(c => [c.service, c.operation, c.request.Version, c.signedService])).toEqual([
    ['rds', 'DescribeDBInstances', '2014-10-31', 'rds'],
    ['rds', 'DescribeDBClusters', '2014-10-31', 'rds'],
    ['rds', 'DescribeDBInstances', '2014-10-31', 'rds'],
    ['rds', 'DescribeDBClusters', '2014-10-31', 'rds']
  ])
})

test('a snapshot progresses to available with its tags; the instance is backing-up meanwhile; names and quota are checked', async () => {
  s = await startStandIn({
    rds: {
      databases: [
        { id: 'db1', snapshots: [{ durationMs: 400 }], defaultSnapshot: { durationMs: 100 } },
        { id: 'aur', kind: 'cluster' }
      ],
      snapshotQuota: 2
    }
  })
  const rds = client(s)
  const created = await rds.send(
    new CreateDBSnapshotCommand({
      DBSnapshotIdentifier: 'gha-db1-1',
      DBInstanceIdentifier: 'db1',
      Tags: [{ Key: 'github:run-id', Value: '7' }]
    })
  )
  expect(created.DBSnapshot).toMatchObject({
    Status: 'creating',
    PercentProgress: 0,
    SnapshotType: 'manual',
    TagList: [{ Key: 'github:run-id', Value: '7' }]
  })
  expect(
    (await failure(rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 'gha-db1-2', DBInstanceIdentifier: 'db1' })))).name
  ).toBe('InvalidDBInstanceStateFault')
  await new Promise(r => setTimeout(r, 450))
  const [snap] = (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'gha-db1-1' }))).DBSnapshots ?? []
  expect(snap).toMatchObject({
    Status: 'available',
    PercentProgress: 100,
    DBSnapshotArn: 'arn:aws:rds:us-east-1:123456789012:snapshot:gha-db1-1'
  })
  expect(
    (await failure(rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 'gha-db1-1', DBInstanceIdentifier: 'db1' })))).name
  ).toBe('DBSnapshotAlreadyExistsFault')
  expect(
    (await failure(rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 'gha--bad', DBInstanceIdentifier: 'db1' })))).name
  ).toBe('InvalidParameterValue')
  expect(
    (
      await failure(
        rds.send(new CreateDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: `gha-${'a'.repeat(60)}`, DBClusterIdentifier: 'aur' }))
      )
    ).name
  ).toBe('InvalidParameterValue')
  await rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 'gha-db1-3', DBInstanceIdentifier: 'db1' })).catch(() => undefined)
  await new Promise(r => setTimeout(r, 450))
  expect(
    (await failure(rds.send(new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 'gha-db1-4', DBInstanceIdentifier: 'db1' })))).name
  ).toBe('SnapshotQuotaExceededFault')
})

test('injected faults in the Query shape: Throttling (transient), 503 ServiceUnavailable; a raw ErrorResponse body', async () => {
  s = await startStandIn({
    rds: { databases: [{ id: 'db1' }] },
    faults: { DescribeDBInstances: { sequence: ['throttle', 'unavailable'] } }
  })
  const rds = client(s)
  const throttled = await failure(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'db1' })))
  expect(throttled).toMatchObject({ name: 'Throttling', status: 400, message: 'Rate exceeded' })
  expect(await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'db1' })).catch((e: unknown) => isTransient(e))).toBe(true)
  const body = await new Promise<{ status: number; type: string; text: string }>((resolve, reject) => {
    const req = http.request(
      `${(s as StandIn).endpoint}/`,
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } },
      res => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), text }))
      }
    )
    req.on('error', reject)
    req.end('Action=DescribeDBSnapshots&Version=2014-10-31&DBSnapshotIdentifier=none')
  })
  expect(body.status).toBe(400)
  expect(body.type).toBe('text/xml')
  expect(body.text).toMatch(
    /^<ErrorResponse xmlns="http:\/\/rds\.amazonaws\.com\/doc\/2014-10-31\/"><Error><Type>Sender<\/Type><Code>MissingAuthenticationTokenException<\/Code><Message>Missing Authentication Token<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/
  )
})
