/** The AWS SDK clients, configured once: region, retries, timeouts, user agent. */
import { CodeBuildClient } from '@aws-sdk/client-codebuild'
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import type { RDSClient } from '@aws-sdk/client-rds'
import { USER_AGENT } from '../support/index.js'

export interface AwsClients {
  codebuild: CodeBuildClient
  logs: CloudWatchLogsClient
  /** Loaded and created on first use (task-clients.ts): only runs with a backup step talk to RDS. */
  rds: () => Promise<RDSClient>
}

/**
 * Every request is bounded: a connection within 3 s, the answer's first byte within 10 s (`throwOnRequestTimeout`:
 * without it the SDK only logs a warning and waits on), and no 10 s of silence while the body arrives. A request
 * that breaks a limit is abandoned and counts as a transient error.
 */
const REQUEST_LIMITS = {
  connectionTimeout: 3_000,
  requestTimeout: 10_000,
  socketTimeout: 10_000,
  throwOnRequestTimeout: true
} as const

/** What every client shares: the region, the user agent and the request limits above. */
export const clientOptions = (region: string) => ({ region, customUserAgent: USER_AGENT, requestHandler: { ...REQUEST_LIMITS } })

/**
 * Retries: the SDK's standard mode for CodeBuild (few calls; adaptive mode's client-side rate limiter slowed such a
 * low-rate client to one call per 2 s after a few throttles). CloudWatch Logs makes one attempt per call: its polling loop is already a retry
 * loop that decides the pace (watch.ts), and SDK retries inside it would double the call rate and hide the
 * throttling it must see. AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_CODEBUILD / _CLOUDWATCH_LOGS / _RDS) are honoured by the SDK.
 *
 * CodeBuild and CloudWatch Logs: the post step needs no more; a task run adds RDS on demand (task-clients.ts).
 */
export function createCodeBuildClients(region: string): Omit<AwsClients, 'rds'> {
  return {
    codebuild: new CodeBuildClient({ ...clientOptions(region), retryMode: 'standard', maxAttempts: 4 }),
    logs: new CloudWatchLogsClient({ ...clientOptions(region), retryMode: 'standard', maxAttempts: 1 })
  }
}
