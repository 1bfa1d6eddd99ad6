/** Looking the project up before starting: an unknown project fails; a misconfigured one is warned about. */
import { BatchGetProjectsCommand, EnvironmentVariableType } from '@aws-sdk/client-codebuild'
import type { CodeBuildClient, Project } from '@aws-sdk/client-codebuild'
import { errorText, expiredBeforeStart, isExpiredCredentials, isUnreachable, PreflightError, unreachableTarget } from '../errors/index.js'
import type { Clock } from '../support/index.js'
import { Inputs } from '../support/index.js'
import { InputError, inputOf, namesOf } from '../plan/index.js'
import type { Plan } from '../plan/index.js'
import { withTimeLimit } from '../aws/index.js'

export { PreflightError }

/** The lookup, the SDK's retries included, gets this long: an endpoint that cannot be reached fails within it. */
const LOOKUP_LIMIT_MS = 45_000

export interface PreflightResult {
  project?: Project
  warnings: string[]
}

export async function preflight(codebuild: CodeBuildClient, plan: Plan, clock: Clock, signal?: AbortSignal): Promise<PreflightResult> {
  let project: Project | undefined
  try {
    const response = await withTimeLimit(clock, LOOKUP_LIMIT_MS, signal, s =>
      codebuild.send(new BatchGetProjectsCommand({ names: [plan.projectName] }), { abortSignal: s })
    )
    project = response.projects?.find(p => p.name === plan.projectName) ?? response.projects?.[0]
    if (!project) {
      throw new PreflightError(
        `CodeBuild project '${plan.projectName}' was not found in region ${plan.region}. Check ${namesOf(plan).name(Inputs.ProjectName)}, ${namesOf(plan).name(Inputs.Region)} and the account of the credentials.`
      )
    }
  } catch (error) {
    if (error instanceof PreflightError || signal?.aborted) throw error
    if (isUnreachable(error)) {
      const target = unreachableTarget(error)
      throw new PreflightError(
        `Could not reach CodeBuild in region ${plan.region}${target ? ` at ${target}` : ''}: ${errorText(error)}. ` +
          `Check the region (${namesOf(plan).name(Inputs.Region)}, AWS_REGION), any AWS_ENDPOINT_URL setting, and that the runner can reach AWS. Nothing was started.`
      )
    }
    if (isExpiredCredentials(error)) throw expiredBeforeStart(error)
    return { warnings: [lookupFailed(plan, error)] }
  }
  return { project, warnings: checkProject(project, plan) }
}

/**
 * A lookup that failed for another reason (denied, throttled past the SDK's retries, a 5xx): fail closed when the
 * plan sends variables, which only the lookup can show not to replace the project's Secrets Manager or Parameter
 * Store variables (the bundled buildspecs refuse to pass a DATABASE_URL the project sets; a custom one has no such
 * guard). Otherwise, or with project-lookup: optional, a warning: the other checks only warn or fail early.
 */
function lookupFailed(plan: Plan, error: unknown): string {
  const why = `Could not look up project '${plan.projectName}' (${errorText(error)})`
  if (plan.variables.length > 0 && plan.projectLookup === 'required') {
    const inputs = [...new Set(plan.variables.map(v => namesOf(plan).name(inputOf(v.type))))].join(', ')
    throw new PreflightError(
      `${why}: without it nothing can check that ${inputs} do not replace a variable the project reads from Secrets Manager or Parameter Store (such as DATABASE_URL), so nothing was started. Allow codebuild:BatchGetProjects, or set ${namesOf(plan).value(Inputs.ProjectLookup, 'optional')} to start without that check.`
    )
  }
  return `${why}; starting without the project's checks. Allow codebuild:BatchGetProjects to get them.`
}

/** What will go wrong with this project for this plan, as warnings; throws when the build could not run at all. */
export function checkProject(project: Project, plan: Plan): string[] {
  const warnings: string[] = []
  const name = plan.projectName
  if (!project.vpcConfig?.vpcId) {
    warnings.push(
      `Project '${name}' has no VPC configuration: its builds run outside your VPC and cannot reach a database in private subnets (connections time out). Attach the project to the database's VPC, private subnets and a security group the database admits.`
    )
  }
  if (plan.buildspec.usesDocker && project.environment?.privilegedMode !== true) {
    warnings.push(
      `Project '${name}' is not privileged but the buildspec runs Docker: the build will fail with "Cannot connect to the Docker daemon". Set privilegedMode to true in the project's environment.`
    )
  }
  // A variable of the action would replace one the project reads from Secrets Manager or Parameter Store (such as
  // DATABASE_URL): the task would silently talk to another database.
  const stored: Record<string, string> = {
    [EnvironmentVariableType.SECRETS_MANAGER]: 'Secrets Manager',
    [EnvironmentVariableType.PARAMETER_STORE]: 'Parameter Store'
  }
  for (const v of plan.variables) {
    const own = project.environment?.environmentVariables?.find(p => p.name === v.name && p.type !== undefined && p.type in stored)
    if (own) {
      throw new InputError(
        inputOf(v.type),
        `names ${v.name}, which project '${name}' reads from ${stored[own.type as string]}: it would replace the project's value. Remove ${v.name} from ${namesOf(plan).name(inputOf(v.type))}, or give it another name`
      )
    }
  }
  const projectHasImage = project.environment?.environmentVariables?.some(v => v.name === 'IMAGE_URI')
  if (!plan.image && plan.buildspec.source === 'bundled' && !projectHasImage) {
    throw new InputError(
      Inputs.ImageUri,
      `is empty and project '${name}' has no IMAGE_URI environment variable: pass the image to run, e.g. <registry>/<repository>@sha256:…`
    )
  }
  return warnings
}
