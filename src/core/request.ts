/** The StartBuild request, built from the plan: only what the plan says, plus the run's identity and the execution's token. */
import { EnvironmentVariableType } from '@aws-sdk/client-codebuild'
import type { EnvironmentVariable, StartBuildCommandInput } from '@aws-sdk/client-codebuild'
import { quoteArgv } from './command.js'
import { TOKEN_VARIABLE } from './constants.js'
import type { Plan } from './inputs.js'
import { APPROVED_PLAN_DIGEST_VARIABLE } from './plan-digest.js'
import type { RunIdentity } from './run-identity.js'
import { MASK, redactText } from './secrets.js'
import { buildName } from './variables.js'

const plain = (name: string, value: string): EnvironmentVariable => ({ name, value, type: EnvironmentVariableType.PLAINTEXT })

export function environmentOverrides(plan: Plan, run: RunIdentity, token: string): EnvironmentVariable[] {
  const vars: EnvironmentVariable[] = [
    plain('TASK', plan.task),
    plain('RUN_MIGRATIONS', String(plan.task === 'migrate')),
    plain('RUN_SEED', String(plan.task === 'seed'))
  ]
  if (plan.image) vars.push(plain('IMAGE_URI', plan.image.uri), plain('ECR_REGISTRY', plan.image.registry))
  if (plan.command !== undefined) vars.push(plain('TASK_COMMAND', plan.command))
  vars.push(plain('TASK_ARGV', quoteArgv(plan.argv)))
  if (plan.approvedPlanDigest !== undefined) vars.push(plain(APPROVED_PLAN_DIGEST_VARIABLE, plan.approvedPlanDigest))
  if (plan.variables.length > 0) vars.push(plain('TASK_ENV_NAMES', plan.variables.map(v => v.name).join(' ')))
  // Each variable is its own entry (a value cannot add another), under the name it travels with (src/variables.ts).
  for (const v of plan.variables) vars.push({ name: buildName(v.name, plan.buildspec.source), value: v.value, type: v.type })
  const identity: Array<[string, string | undefined]> = [
    ['GITHUB_REPOSITORY', run.repository],
    ['GITHUB_SHA', run.sha],
    ['GITHUB_REF', run.ref],
    ['GITHUB_RUN_ID', run.runId],
    ['GITHUB_RUN_ATTEMPT', run.runAttempt],
    ['GITHUB_ACTOR', run.actor],
    ['GITHUB_EVENT_NAME', run.eventName],
    ['GITHUB_PR_NUMBER', run.pullRequest === undefined ? undefined : String(run.pullRequest)],
    ['GITHUB_RUN_URL', run.runUrl]
  ]
  for (const [name, value] of identity) if (value) vars.push(plain(name, value))
  vars.push(plain(TOKEN_VARIABLE, token))
  return vars
}

export type StartRequest = StartBuildCommandInput & { idempotencyToken: string }

/**
 * `token` is this execution's (src/core/execution.ts): StartBuild's idempotency token, so a request retried after a
 * lost answer returns the build already started, and the build's TASK_RUN_TOKEN, by which the step finds it.
 */
export function buildStartRequest(plan: Plan, run: RunIdentity, token: string): StartRequest {
  const request: StartRequest = {
    projectName: plan.projectName,
    buildspecOverride: plan.buildspec.content,
    environmentVariablesOverride: environmentOverrides(plan, run, token),
    idempotencyToken: token
  }
  if (plan.timeoutMinutes !== undefined) request.timeoutInMinutesOverride = plan.timeoutMinutes
  if (plan.queuedTimeoutMinutes !== undefined) request.queuedTimeoutInMinutesOverride = plan.queuedTimeoutMinutes
  if (plan.computeType !== undefined) request.computeTypeOverride = plan.computeType
  return request
}

/**
 * The request as it may be shown: values of secret-looking plaintext variables replaced by ***, secret-looking
 * parts of the command replaced by ***, and the buildspec named rather than inlined (it is shown on its own).
 */
export function redactRequest(request: StartBuildCommandInput, plan: Plan): StartBuildCommandInput {
  const secret = new Set(plan.variables.filter(v => v.looksSecret).map(v => buildName(v.name, plan.buildspec.source)))
  const free = new Set(['TASK_COMMAND', 'TASK_ARGV'])
  return {
    ...request,
    buildspecOverride: `<${plan.buildspec.source} buildspec ${plan.buildspec.path}, ${plan.buildspec.content.split('\n').length} lines>`,
    environmentVariablesOverride: request.environmentVariablesOverride?.map(v =>
      v.name && secret.has(v.name)
        ? { ...v, value: MASK }
        : v.name && free.has(v.name) && v.value
          ? { ...v, value: redactText(v.value) }
          : v
    )
  }
}
