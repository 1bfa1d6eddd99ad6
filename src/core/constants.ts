/** Names of the action's inputs and outputs: generated from action.yml (scripts/action-names.mjs, npm run generate). */
export { Inputs, Outputs } from './names.generated.js'

export const TASKS = ['migrate', 'seed', 'cleanup', 'plan'] as const
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
  'TASK_RUN_TOKEN',
  'TASK_OUTPUT',
  'TASK_OUTPUTS',
  'APPROVED_PLAN_DIGEST'
] as const

/** The build carries its StartBuild idempotency token under this name, so the step can find its build by it. */
export const TOKEN_VARIABLE = 'TASK_RUN_TOKEN'

export const USER_AGENT = 'codebuild-vpc-task-action/1'
