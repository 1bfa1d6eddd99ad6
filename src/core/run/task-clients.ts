/**
 * The clients of a task run: CodeBuild and CloudWatch Logs, and RDS loaded on first use. Only runs with a backup step
 * talk to RDS, and its SDK is a sixth of the bundle: loading it (a chunk of its own in dist/) only then makes every
 * other run start sooner. Kept apart from clients.ts so that the post step's bundle does not carry that chunk.
 */
import type { RDSClient } from '@aws-sdk/client-rds'
import { clientOptions, createCodeBuildClients } from '../aws/index.js'
import type { AwsClients } from '../aws/index.js'

export function createClients(region: string): AwsClients {
  let rds: Promise<RDSClient> | undefined
  return {
    ...createCodeBuildClients(region),
    // RDS (AWS Query protocol) like CodeBuild: a few calls, each retried by the SDK, bounded by the caller (backup.ts).
    rds: () =>
      (rds ??= import('@aws-sdk/client-rds').then(
        ({ RDSClient }) => new RDSClient({ ...clientOptions(region), retryMode: 'standard', maxAttempts: 4 })
      ))
  }
}
