/** The AWS SDK clients, configured once: region, retries, timeouts, user agent. */
import { CodeBuildClient } from '@aws-sdk/client-codebuild'
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { USER_AGENT } from './constants.js'

export interface AwsClients {
  codebuild: CodeBuildClient
  logs: CloudWatchLogsClient
}

/**
 * Retries are the SDK's: adaptive mode for CodeBuild (few calls; its client-side rate limiter backs
 * off the whole client when the account is throttled), standard mode for CloudWatch Logs, whose
 * polling loop paces itself and must not be slowed further by a rate limiter after a burst of throttles.
 * AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_CODEBUILD / _CLOUDWATCH_LOGS) are honoured by the SDK.
 */
export function createClients(region: string): AwsClients {
  const common = {
    region,
    customUserAgent: USER_AGENT,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 20_000 }
  }
  return {
    codebuild: new CodeBuildClient({ ...common, retryMode: 'adaptive', maxAttempts: 6 }),
    logs: new CloudWatchLogsClient({ ...common, retryMode: 'standard', maxAttempts: 4 })
  }
}
