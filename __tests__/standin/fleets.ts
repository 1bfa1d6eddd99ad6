/**
 * Reserved-capacity fleets (BatchGetFleets, StartBuild's fleetOverride) and StartBuild's image overrides
 * (imageOverride, imagePullCredentialsTypeOverride, privilegedModeOverride, environmentTypeOverride), as CodeBuild
 * documents them; where its behaviour is unknown the stand-in refuses (README, Fidelity notes).
 */
import { AwsError, quoteValue, validationMessage } from './errors.js'
import { prngFor } from './prng.js'
import type { FleetConfig, ProjectConfig, StartBuildRequest } from './types.js'

/** `EnvironmentType` of @aws-sdk/client-codebuild. */
export const ENVIRONMENT_TYPES: readonly string[] = [
  'ARM_CONTAINER',
  'ARM_EC2',
  'ARM_LAMBDA_CONTAINER',
  'LINUX_CONTAINER',
  'LINUX_EC2',
  'LINUX_GPU_CONTAINER',
  'LINUX_LAMBDA_CONTAINER',
  'MAC_ARM',
  'WINDOWS_CONTAINER',
  'WINDOWS_EC2',
  'WINDOWS_SERVER_2019_CONTAINER',
  'WINDOWS_SERVER_2022_CONTAINER'
]
/** `ImagePullCredentialsType` of @aws-sdk/client-codebuild. */
const PULL_CREDENTIALS: readonly string[] = ['CODEBUILD', 'SERVICE_ROLE']
/** Fleet types whose builds run on the instance (an AMI), not in a container: `[Instance]` agent lines. */
const EC2_TYPES: readonly string[] = ['LINUX_EC2', 'ARM_EC2', 'WINDOWS_EC2', 'MAC_ARM']
/** States in which a fleet takes builds (the stand-in's reading of FleetStatusCode; UPDATING and ROTATING still exist). */
const RUNNING_STATES: readonly string[] = ['ACTIVE', 'UPDATING', 'ROTATING']
/** CodeBuild's curated images: pulled with CodeBuild's own credentials only (aws/aws-codebuild-docker-images#163). */
const CURATED_IMAGE = /^aws\/codebuild\//
const ECR_IMAGE = /^(\d{12})\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/([^:@]+)/

export interface FleetState {
  config: FleetConfig
  arn: string
  id: string
  createdEpochMs: number
}

export class Fleets {
  private readonly byArn = new Map<string, FleetState>()

  constructor(configs: readonly FleetConfig[], region: string, accountId: string, seed: number, t0EpochMs: number) {
    for (const config of configs) {
      const id = prngFor(seed, 'fleet', config.name).uuid()
      const arn = `arn:aws:codebuild:${region}:${accountId}:fleet/${config.name}:${id}`
      this.byArn.set(arn, { config, arn, id, createdEpochMs: t0EpochMs - 7 * 24 * 3_600_000 })
    }
  }

  find(nameOrArn: string): FleetState | undefined {
    return this.byArn.get(nameOrArn) ?? [...this.byArn.values()].find(f => f.config.name === nameOrArn)
  }

  batchGetFleets(body: Record<string, unknown>): Record<string, unknown> {
    const names = body['names']
    if (!Array.isArray(names) || names.length === 0)
      throw new AwsError(
        'InvalidInputException',
        validationMessage([
          `Value ${quoteValue(names)} at 'names' failed to satisfy constraint: Member must have length greater than or equal to 1`
        ])
      )
    if (names.length > 100)
      throw new AwsError(
        'InvalidInputException',
        validationMessage([`Value at 'names' failed to satisfy constraint: Member must have length less than or equal to 100`])
      )
    const fleets: Record<string, unknown>[] = []
    const fleetsNotFound: string[] = []
    for (const n of names) {
      const f = typeof n === 'string' ? this.find(n) : undefined
      if (f) fleets.push(this.toJSON(f))
      else fleetsNotFound.push(String(n))
    }
    return { fleets, fleetsNotFound }
  }

  toJSON(f: FleetState): Record<string, unknown> {
    const c = f.config
    const status: Record<string, unknown> = { statusCode: c.status ?? 'ACTIVE' }
    if (c.context) status['context'] = c.context
    if (c.message) status['message'] = c.message
    const out: Record<string, unknown> = {
      arn: f.arn,
      name: c.name,
      id: f.id,
      created: Math.round(f.createdEpochMs) / 1000,
      lastModified: Math.round(f.createdEpochMs) / 1000,
      status,
      baseCapacity: c.baseCapacity ?? 1,
      environmentType: c.environmentType ?? 'LINUX_CONTAINER',
      computeType: c.computeType ?? 'BUILD_GENERAL1_SMALL',
      overflowBehavior: c.overflowBehavior ?? 'QUEUE',
      tags: []
    }
    if (c.vpcConfig) out['vpcConfig'] = c.vpcConfig
    if (c.fleetServiceRole) out['fleetServiceRole'] = c.fleetServiceRole
    if (EC2_TYPES.includes(c.environmentType ?? '')) out['imageId'] = 'ami-0123456789abcdef0'
    return out
  }

  /**
   * Checks StartBuild's image and fleet overrides: the shapes (problems, reported with the request's other
   * validation errors).
   */
  checkOverrides(body: Record<string, unknown>, problems: string[]): void {
    const enumCheck = (key: string, values: readonly string[]): void => {
      const v = body[key]
      if (v !== undefined && !(typeof v === 'string' && values.includes(v)))
        problems.push(
          `Value '${quoteValue(v)}' at '${key}' failed to satisfy constraint: Member must satisfy enum value set: [${values.join(', ')}]`
        )
    }
    enumCheck('imagePullCredentialsTypeOverride', PULL_CREDENTIALS)
    enumCheck('environmentTypeOverride', ENVIRONMENT_TYPES)
    const image = body['imageOverride']
    if (image !== undefined && !(typeof image === 'string' && image.length > 0))
      problems.push(
        `Value ${quoteValue(image)} at 'imageOverride' failed to satisfy constraint: Member must have length greater than or equal to 1`
      )
    const privileged = body['privilegedModeOverride']
    if (privileged !== undefined && typeof privileged !== 'boolean')
      problems.push(`Value ${quoteValue(privileged)} at 'privilegedModeOverride' failed to satisfy constraint: Member must be a boolean`)
    const fleet = body['fleetOverride']
    if (fleet !== undefined) {
      const arn = typeof fleet === 'object' && fleet !== null ? (fleet as Record<string, unknown>)['fleetArn'] : undefined
      if (typeof arn !== 'string' || arn.length < 1)
        problems.push(
          `Value ${quoteValue(arn)} at 'fleetOverride.fleetArn' failed to satisfy constraint: Member must have length greater than or equal to 1`
        )
    }
  }

  /** What CodeBuild refuses of a well-formed request's overrides; returns the fleet the build runs on. */
  refusals(request: StartBuildRequest): FleetState | undefined {
    if (
      typeof request.imageOverride === 'string' &&
      request['imagePullCredentialsTypeOverride'] === 'SERVICE_ROLE' &&
      CURATED_IMAGE.test(request.imageOverride)
    ) {
      // aws/aws-codebuild-docker-images#163
      throw new AwsError(
        'InvalidInputException',
        'Invalid input: cannot use a CodeBuild curated image with imagePullCredentialsType SERVICE_ROLE'
      )
    }
    const override = request['fleetOverride']
    if (!override) return undefined
    // Unknown: CodeBuild's answer to each of these; the stand-in refuses (the wording is ours).
    const fleet = this.byArn.get(override.fleetArn)
    if (!fleet) throw new AwsError('ResourceNotFoundException', `Fleet cannot be found: ${override.fleetArn}`)
    if (request.computeTypeOverride !== undefined)
      throw new AwsError('InvalidInputException', 'Invalid input: computeTypeOverride cannot be combined with fleetOverride')
    if (!RUNNING_STATES.includes(fleet.config.status ?? 'ACTIVE'))
      throw new AwsError('InvalidInputException', `Invalid input: fleet ${fleet.arn} is ${fleet.config.status ?? ''}`)
    if (typeof request.imageOverride === 'string' && EC2_TYPES.includes(fleet.config.environmentType ?? ''))
      throw new AwsError(
        'InvalidInputException',
        `Invalid input: a container image cannot override the image of fleet ${fleet.arn}, whose environment type is ${fleet.config.environmentType ?? ''}`
      )
    return fleet
  }

  /** Builds on an EC2 fleet write `[Instance]` agent lines (issue 21, from published logs). */
  static agentPrefix(fleet: FleetState | undefined): 'Instance' | undefined {
    return fleet && EC2_TYPES.includes(fleet.config.environmentType ?? '') ? 'Instance' : undefined
  }
}

/**
 * Whether the project's service role may pull `image` when CodeBuild pulls it as the build environment: the message
 * CodeBuild fails PROVISIONING with when not (awslabs/aws-codebuild-jenkins-plugin#106, kalrish/aws-csgo#6,
 * everything2/everything2#2562), else undefined. With CodeBuild's own credentials (CODEBUILD), a private ECR image
 * needs a repository policy trusting CodeBuild, which the stand-in never has (pessimistic).
 */
export function pullRefusal(
  config: ProjectConfig,
  image: string,
  credentials: string,
  accountId: string,
  region: string
): string | undefined {
  const ecr = ECR_IMAGE.exec(image)
  if (!ecr) return undefined
  const repository = ecr[2] as string
  const role = config.serviceRole?.split('/').pop() ?? `codebuild-${config.name}-service-role`
  const allowed = credentials === 'SERVICE_ROLE' && (config.pullRepositories === undefined || config.pullRepositories.includes(repository))
  if (allowed) return undefined
  const registry = image.slice(0, image.indexOf('/'))
  return (
    `BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE: Unable to pull customer's container image. CannotPullContainerError: Error response from daemon: ` +
    `pull access denied for ${registry}/${repository}, repository does not exist or may require 'docker login': denied: User: ` +
    `arn:aws:sts::${accountId}:assumed-role/${role}/AWSCodeBuild-0f1e2d3c is not authorized to perform: ecr:BatchGetImage on resource: ` +
    `arn:aws:ecr:${region}:${ecr[1] as string}:repository/${repository}`
  )
}
