/** Names of the action's inputs, outputs and saved state, as declared in action.yml. */
export const Inputs = {
  ProjectName: 'project-name',
  Task: 'task',
  ImageUri: 'image-uri',
  Command: 'command',
  Buildspec: 'buildspec',
  EnvVars: 'env-vars',
  SecretEnvVars: 'secret-env-vars',
  ParameterEnvVars: 'parameter-env-vars',
  Region: 'region',
  TimeoutMinutes: 'timeout-minutes',
  ComputeType: 'compute-type',
  Wait: 'wait',
  ShowLogs: 'show-logs',
  IfRunning: 'if-running',
  StopOnCancel: 'stop-on-cancel',
  DryRun: 'dry-run',
  IfRunningTimeoutMinutes: 'if-running-timeout-minutes',
  ProjectLookup: 'project-lookup',
  QueuedTimeoutMinutes: 'queued-timeout-minutes',
  PrComment: 'pr-comment',
  PrCommentKey: 'pr-comment-key',
  GithubToken: 'github-token',
  MaxLogRequestsPerMinute: 'max-log-requests-per-minute',
  Backup: 'backup',
  DbIdentifier: 'db-identifier',
  BackupMaxAgeMinutes: 'backup-max-age-minutes',
  BackupTimeoutMinutes: 'backup-timeout-minutes'
} as const

export const Outputs = {
  BuildId: 'build-id',
  BuildNumber: 'build-number',
  BuildStatus: 'build-status',
  LogsUrl: 'logs-url',
  SnapshotId: 'snapshot-id',
  SnapshotArn: 'snapshot-arn',
  SnapshotStatus: 'snapshot-status',
  TaskExitCode: 'task-exit-code'
} as const

/** State shared with the post step (GITHUB_STATE → STATE_* in the post process). */
export const State = {
  BuildId: 'build-id',
  Region: 'region',
  StopOnCancel: 'stop-on-cancel',
  /** Saved before StartBuild is sent: the post step can still find a build whose start answer never came. */
  ProjectName: 'project-name',
  StartToken: 'start-token',
  /** Set once the build no longer needs the post step: it ended, was stopped, or was started with wait: false. */
  Settled: 'settled'
} as const

export const TASKS = ['migrate', 'seed', 'cleanup'] as const
export type Task = (typeof TASKS)[number]

export const BACKUP_MODES = ['none', 'verify', 'snapshot'] as const
export type BackupMode = (typeof BACKUP_MODES)[number]

export const IF_RUNNING = ['wait', 'fail', 'start'] as const

export const PR_COMMENT = ['auto', 'never'] as const
export const PROJECT_LOOKUP = ['required', 'optional'] as const
export type ProjectLookup = (typeof PROJECT_LOOKUP)[number]
export type IfRunning = (typeof IF_RUNNING)[number]

/** Variables the action itself sets in the build; users cannot override them through env-vars. */
export const RESERVED_VARIABLES = [
  'TASK',
  'RUN_MIGRATIONS',
  'RUN_SEED',
  'IMAGE_URI',
  'ECR_REGISTRY',
  'TASK_COMMAND',
  'TASK_ARGV',
  'TASK_ENV_NAMES',
  'GITHUB_REPOSITORY',
  'GITHUB_SHA',
  'GITHUB_REF',
  'GITHUB_RUN_ID',
  'GITHUB_RUN_ATTEMPT',
  'GITHUB_ACTOR',
  'GITHUB_EVENT_NAME',
  'GITHUB_PR_NUMBER',
  'GITHUB_RUN_URL',
  'TASK_RUN_TOKEN'
] as const

/** The build carries its StartBuild idempotency token under this name, so the step can find its build by it. */
export const TOKEN_VARIABLE = 'TASK_RUN_TOKEN'

export const USER_AGENT = 'codebuild-vpc-task-action/1'
