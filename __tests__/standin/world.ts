/**
 * The stand-in's state (projects, builds, idempotency tokens) and the CodeBuild and CloudWatch Logs operations
 * answered from it. Transport (HTTP, faults, recording) lives in server.ts.
 */
import { performance } from 'node:perf_hooks'
import { Build, type BuildEnvironment } from './build.js'
import { AwsError, quoteValue, validationMessage } from './errors.js'
import { Fleets, pullRefusal } from './fleets.js'
import type { FleetState } from './fleets.js'
import { MAX_PAGE_EVENTS, parseToken } from './logstore.js'
import type { Paging, Token } from './logstore.js'
import { prngFor } from './prng.js'
import { success } from './scripts.js'
import type {
  BuildContext,
  BuildScript,
  BuildScriptSource,
  EnvironmentVariable,
  EnvironmentVariableType,
  FleetConfig,
  ProjectConfig,
  RunningBuildSpec,
  StartBuildRequest,
  VpcConfig
} from './types.js'

/** StartBuild's limit on one environment variable's value: not documented, reported by users (README, Fidelity notes). */
const MAX_VARIABLE_VALUE = 4096

export interface WorldOptions {
  seed: number
  region: string
  accountId: string
  stopDelayMs: number
  idempotencyWindowMs: number
  maxConcurrentBuilds: number | undefined
  initiator: string
  validateBuildspec: boolean
  nullDeepLinkBeforeStream: boolean
  /** How many times faster than real time the stand-in's clock runs (1: real time). */
  timeScale: number
  /** How GetLogEvents pages (`StandInOptions.logs`). */
  paging: 'realistic' | 'ideal'
  /** The ingestion delay of a script that sets none: [min, max] ms. */
  ingestionDelayMs: [number, number]
  /** How long after a build's end its exported variables are shown (StandInOptions.exportedVariablesLagMs). */
  exportedVariablesLagMs: number
}

/** Realistic pages: 250-300 events and at most 72-88 KB each (as real accounts report, see the README). */
const PAGE_EVENTS_RANGE: [number, number] = [250, 300]
const PAGE_BYTES_RANGE: [number, number] = [72 * 1024, 88 * 1024]

export interface ProjectState {
  config: ProjectConfig
  arn: string
  createdEpochMs: number
  /** scripts still to be consumed by StartBuild (a copy of `config.builds`, plus `queueBuilds`) */
  queue: BuildScriptSource[]
  nextBuildNumber: number
  /** builds in start order (oldest first) */
  builds: Build[]
  /** whether the log group exists (set when a stream of the group appears, or by config) */
  logGroupPreexisting: boolean
}

const ENV_TYPES: readonly EnvironmentVariableType[] = ['PLAINTEXT', 'PARAMETER_STORE', 'SECRETS_MANAGER']
const COMPUTE_TYPES: readonly string[] = [
  'BUILD_GENERAL1_SMALL',
  'BUILD_GENERAL1_MEDIUM',
  'BUILD_GENERAL1_LARGE',
  'BUILD_GENERAL1_XLARGE',
  'BUILD_GENERAL1_2XLARGE',
  'BUILD_LAMBDA_1GB',
  'BUILD_LAMBDA_2GB',
  'BUILD_LAMBDA_4GB',
  'BUILD_LAMBDA_8GB',
  'BUILD_LAMBDA_10GB',
  'ATTRIBUTE_BASED_COMPUTE',
  'CUSTOM_INSTANCE_TYPE'
]
const DEFAULT_VPC: VpcConfig = {
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  subnets: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
  securityGroupIds: ['sg-0a1b2c3d4e5f60718']
}
const LIST_PAGE_SIZE = 100

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Canonical JSON (sorted keys), to compare two StartBuild requests. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (isRecord(v)) {
    return `{${Object.keys(v)
      .sort()
      .map(k => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v) ?? 'null'
}

export class World {
  readonly options: WorldOptions
  readonly t0EpochMs: number
  /** performance.now() when the stand-in started */
  readonly perf0: number
  /**
   * How many times faster than real time the clock runs: every time of the stand-in (its clock, build timelines,
   * latencies, stop delays, idempotency windows) is virtual, `timeScale` virtual ms per real ms since `t0EpochMs`.
   */
  readonly timeScale: number
  readonly projects = new Map<string, ProjectState>()
  /** every build, in creation order */
  readonly builds: Build[] = []
  private readonly byId = new Map<string, Build>()
  /** GetLogEvents calls per build id (the page draws are keyed by it). */
  private readonly logReads = new Map<string, number>()
  private readonly idempotency = new Map<string, { buildId: string; atEpochMs: number; fingerprint: string }>()
  /** Reserved-capacity fleets (fleets.ts). */
  readonly fleets: Fleets

  constructor(options: WorldOptions, projects: readonly ProjectConfig[], fleets: readonly FleetConfig[] = []) {
    this.options = options
    this.t0EpochMs = Date.now()
    this.perf0 = performance.now()
    this.timeScale = options.timeScale
    this.fleets = new Fleets(fleets, options.region, options.accountId, options.seed, this.t0EpochMs)
    for (const config of projects) this.addProject(config)
  }

  /** ms since the stand-in started (sub-millisecond, monotonic), on its (possibly scaled) clock */
  now(): number {
    return this.fromPerformanceNow(performance.now())
  }

  /** A `performance.now()` reading of this process on the stand-in's clock. */
  fromPerformanceNow(t: number): number {
    return (t - this.perf0) * this.timeScale
  }

  epochNow(): number {
    return this.t0EpochMs + this.now()
  }

  // ------------------------------------------------------------------------------------------------------------
  // Setup
  // ------------------------------------------------------------------------------------------------------------

  projectArn(name: string): string {
    return `arn:aws:codebuild:${this.options.region}:${this.options.accountId}:project/${name}`
  }

  addProject(config: ProjectConfig): ProjectState {
    if (this.projects.has(config.name)) throw new Error(`stand-in: project ${config.name} declared twice`)
    const state: ProjectState = {
      config,
      arn: this.projectArn(config.name),
      createdEpochMs: this.t0EpochMs - 30 * 24 * 3600 * 1000,
      queue: [...(config.builds ?? [])],
      nextBuildNumber: 1,
      builds: [],
      logGroupPreexisting: config.logGroupExists ?? true
    }
    this.projects.set(config.name, state)
    const now = this.epochNow()
    for (let i = 0; i < (config.pastBuilds ?? 0); i++) {
      const startedAgo = (config.pastBuilds ?? 0) * 3_600_000 - i * 3_600_000 + 7_200_000
      this.createBuild(state, { projectName: config.name }, now - startedAgo, success({ agentLines: 'minimal' }), 'past build', 'ci-user')
    }
    for (const spec of config.running ?? []) this.addRunningBuild(state, spec)
    return state
  }

  private addRunningBuild(state: ProjectState, spec: RunningBuildSpec): Build {
    const startEpoch = this.t0EpochMs - (spec.startedAgoMs ?? 60_000)
    const request: StartBuildRequest = { projectName: state.config.name }
    if (spec.environmentVariablesOverride) request.environmentVariablesOverride = spec.environmentVariablesOverride
    const runForever = spec.finishAtMs === undefined || spec.finishAtMs === null
    const finishOffset = runForever ? 24 * 3_600_000 : (spec.finishAtMs as number) + (spec.startedAgoMs ?? 60_000)
    const make = (buildMs: number): BuildScript => ({
      label: 'running before the stand-in started',
      agentLines: 'minimal',
      build: [
        {
          command: /docker run/,
          fallback: 'docker run --rm "$IMAGE_URI" migrate',
          output: ['other build: running'],
          durationMs: buildMs,
          exitStatus: spec.status === 'FAILED' ? 1 : 0
        }
      ]
    })
    // Compile once to learn where BUILD starts and how long the phases after it take, then size BUILD so that
    // the build completes at finishOffset.
    const probe = this.createBuild(state, request, startEpoch, make(10), undefined, spec.initiator ?? 'another-user', true)
    const buildPhase = probe.phases.find(p => p.type === 'BUILD')
    const buildStart = buildPhase?.start ?? 0
    const afterBuild = probe.endOffset - (buildPhase?.end ?? probe.endOffset)
    const buildMs = Math.max(10, finishOffset - buildStart - afterBuild)
    return this.createBuild(state, request, startEpoch, make(buildMs), undefined, spec.initiator ?? 'another-user')
  }

  // ------------------------------------------------------------------------------------------------------------
  // Builds
  // ------------------------------------------------------------------------------------------------------------

  findProject(nameOrArn: string): ProjectState | undefined {
    const direct = this.projects.get(nameOrArn)
    if (direct) return direct
    const prefix = `arn:aws:codebuild:${this.options.region}:${this.options.accountId}:project/`
    return nameOrArn.startsWith(prefix) ? this.projects.get(nameOrArn.slice(prefix.length)) : undefined
  }

  findBuild(idOrArn: string): Build | undefined {
    const direct = this.byId.get(idOrArn)
    if (direct) return direct
    const prefix = `arn:aws:codebuild:${this.options.region}:${this.options.accountId}:build/`
    return idOrArn.startsWith(prefix) ? this.byId.get(idOrArn.slice(prefix.length)) : undefined
  }

  private environmentFor(config: ProjectConfig, request: StartBuildRequest, fleet?: FleetState): BuildEnvironment {
    const vars = new Map<string, Required<EnvironmentVariable>>()
    for (const v of config.environmentVariables ?? []) vars.set(v.name, { name: v.name, value: v.value, type: v.type ?? 'PLAINTEXT' })
    for (const v of request.environmentVariablesOverride ?? []) {
      vars.set(v.name, { name: v.name, value: v.value, type: v.type ?? 'PLAINTEXT' })
    }
    const environment: BuildEnvironment = {
      type: fleet?.config.environmentType ?? config.environmentType ?? 'LINUX_CONTAINER',
      image:
        typeof request.imageOverride === 'string'
          ? request.imageOverride
          : (config.image ?? 'aws/codebuild/amazonlinux-x86_64-standard:5.0'),
      computeType: fleet?.config.computeType ?? request.computeTypeOverride ?? config.computeType ?? 'BUILD_GENERAL1_SMALL',
      environmentVariables: [...vars.values()],
      privilegedMode:
        typeof request.privilegedModeOverride === 'boolean' ? request.privilegedModeOverride : (config.privilegedMode ?? false),
      imagePullCredentialsType: request.imagePullCredentialsTypeOverride ?? 'CODEBUILD'
    }
    if (fleet) environment.fleet = { fleetArn: fleet.arn }
    return environment
  }

  private createBuild(
    state: ProjectState,
    request: StartBuildRequest,
    startEpochMs: number,
    source: BuildScriptSource,
    label: string | undefined,
    initiator: string,
    dryRun = false
  ): Build {
    const config = state.config
    const buildNumber = state.nextBuildNumber
    const rng = prngFor(this.options.seed, 'build', config.name, buildNumber, dryRun ? 'probe' : 'real')
    const uuid = prngFor(this.options.seed, 'uuid', config.name, buildNumber).uuid()
    const fleet = request.fleetOverride ? this.fleets.find(request.fleetOverride.fleetArn) : undefined
    const environment = this.environmentFor(config, request, fleet)
    const buildspec = typeof request.buildspecOverride === 'string' ? request.buildspecOverride : config.buildspec
    const ctx: BuildContext = {
      projectName: config.name,
      buildId: `${config.name}:${uuid}`,
      buildNumber,
      request,
      env: Object.fromEntries(environment.environmentVariables.map(v => [v.name, v.value])),
      buildspec
    }
    let script = typeof source === 'function' ? source(ctx) : source
    // CodeBuild pulls an image override itself, before the agent starts: a refused pull fails PROVISIONING.
    const refused =
      typeof request.imageOverride === 'string'
        ? pullRefusal(config, request.imageOverride, environment.imagePullCredentialsType, this.options.accountId, this.options.region)
        : undefined
    if (refused)
      script = { ...script, label: 'image pull refused', fault: { phase: 'PROVISIONING', statusCode: 'CLIENT_ERROR', message: refused } }
    const vpc = config.vpcConfig === true ? DEFAULT_VPC : config.vpcConfig === false ? undefined : config.vpcConfig
    const logs = config.logs ?? {}
    const build = new Build({
      projectName: config.name,
      buildNumber,
      uuid,
      region: this.options.region,
      accountId: this.options.accountId,
      startEpochMs,
      request,
      script,
      label: label ?? script.label,
      initiator,
      environment,
      buildspec,
      validateBuildspec: this.options.validateBuildspec,
      timeoutInMinutes: request.timeoutInMinutesOverride ?? config.timeoutInMinutes ?? 60,
      queuedTimeoutInMinutes: request.queuedTimeoutInMinutesOverride ?? config.queuedTimeoutInMinutes ?? 480,
      serviceRole: config.serviceRole ?? `arn:aws:iam::${this.options.accountId}:role/service-role/codebuild-${config.name}-service-role`,
      vpcConfig: vpc,
      logGroup: logs.groupName ?? `/aws/codebuild/${config.name}`,
      logStreamPrefix: logs.streamName,
      cloudWatchLogsEnabled: (logs.status ?? 'ENABLED') === 'ENABLED',
      nullDeepLinkBeforeStream: this.options.nullDeepLinkBeforeStream,
      agentPrefix: Fleets.agentPrefix(fleet) ?? config.agentPrefix,
      rng,
      defaultIngestionDelayMs: this.options.ingestionDelayMs,
      exportedVariablesLagMs: this.options.exportedVariablesLagMs,
      seed: this.options.seed
    })
    if (!dryRun) {
      state.nextBuildNumber++
      state.builds.push(build)
      this.builds.push(build)
      this.byId.set(build.id, build)
    }
    return build
  }

  private nextScript(state: ProjectState): BuildScriptSource {
    return state.queue.shift() ?? state.config.defaultBuild ?? success()
  }

  queueBuilds(projectName: string, scripts: readonly BuildScriptSource[]): void {
    const state = this.projects.get(projectName)
    if (!state) throw new Error(`stand-in: no project ${projectName}`)
    state.queue.push(...scripts)
  }

  // ------------------------------------------------------------------------------------------------------------
  // CodeBuild operations
  // ------------------------------------------------------------------------------------------------------------

  startBuild(body: Record<string, unknown>): Record<string, unknown> {
    const now = this.epochNow()
    const problems: string[] = []
    const projectName = body['projectName']
    if (typeof projectName !== 'string') {
      problems.push(`Value ${quoteValue(projectName)} at 'projectName' failed to satisfy constraint: Member must not be null`)
    } else if (projectName.length < 1) {
      problems.push(`Value '' at 'projectName' failed to satisfy constraint: Member must have length greater than or equal to 1`)
    }
    const overrides = body['environmentVariablesOverride']
    const reserved: string[] = []
    const tooLong: string[] = []
    if (overrides !== undefined) {
      if (!Array.isArray(overrides)) {
        problems.push(
          `Value ${quoteValue(overrides)} at 'environmentVariablesOverride' failed to satisfy constraint: Member must be a list`
        )
      } else {
        overrides.forEach((v: unknown, i: number) => {
          const at = `environmentVariablesOverride.${i + 1}.member`
          const o = isRecord(v) ? v : {}
          const name = o['name']
          const value = o['value']
          const type = o['type']
          if (typeof name !== 'string') problems.push(`Value null at '${at}.name' failed to satisfy constraint: Member must not be null`)
          else if (name.length < 1)
            problems.push(`Value '' at '${at}.name' failed to satisfy constraint: Member must have length greater than or equal to 1`)
          else if (name.startsWith('CODEBUILD_')) reserved.push(name)
          if (typeof value !== 'string') problems.push(`Value null at '${at}.value' failed to satisfy constraint: Member must not be null`)
          else if (value.length > MAX_VARIABLE_VALUE) tooLong.push(name as string)
          if (type !== undefined && !ENV_TYPES.includes(type as EnvironmentVariableType)) {
            problems.push(
              `Value '${quoteValue(type)}' at '${at}.type' failed to satisfy constraint: Member must satisfy enum value set: [${ENV_TYPES.join(', ')}]`
            )
          }
        })
      }
    }
    const checkRange = (key: string, min: number, max: number): void => {
      const v = body[key]
      if (v === undefined) return
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        problems.push(`Value ${quoteValue(v)} at '${key}' failed to satisfy constraint: Member must be an integer`)
      } else if (v < min) {
        problems.push(`Value '${v}' at '${key}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`)
      } else if (v > max) {
        problems.push(`Value '${v}' at '${key}' failed to satisfy constraint: Member must have value less than or equal to ${max}`)
      }
    }
    checkRange('timeoutInMinutesOverride', 5, 2160)
    checkRange('queuedTimeoutInMinutesOverride', 5, 480)
    const computeType = body['computeTypeOverride']
    if (computeType !== undefined && !(typeof computeType === 'string' && COMPUTE_TYPES.includes(computeType))) {
      problems.push(
        `Value '${quoteValue(computeType)}' at 'computeTypeOverride' failed to satisfy constraint: Member must satisfy enum value set: [${COMPUTE_TYPES.join(', ')}]`
      )
    }
    this.fleets.checkOverrides(body, problems)
    if (problems.length > 0) throw new AwsError('InvalidInputException', validationMessage(problems))
    // Undocumented; the wording users have reported (wolfeidau/buildkite-serverless-agent#35).
    if (tooLong.length > 0)
      throw new AwsError('InvalidInputException', `EnvironmentVariable should be at most ${MAX_VARIABLE_VALUE} characters`)
    if (reserved.length > 0) {
      throw new AwsError(
        'InvalidInputException',
        `Invalid environment variable names: ${reserved.join(', ')}. Environment variable names starting with CODEBUILD_ are reserved.`
      )
    }

    const name = projectName as string
    const state = this.findProject(name)
    if (!state) throw new AwsError('ResourceNotFoundException', `Project cannot be found: ${this.projectArn(name)}`)
    const request = body as StartBuildRequest
    this.fleets.refusals(request)

    const token = body['idempotencyToken']
    const fingerprint = canonical({ ...body, idempotencyToken: undefined })
    if (typeof token === 'string' && token.length > 0) {
      const seen = this.idempotency.get(token)
      if (seen && now - seen.atEpochMs <= this.options.idempotencyWindowMs) {
        // "If you repeat the StartBuild request with the same token, but change a parameter, CodeBuild returns a
        // parameter mismatch error" (StartBuildInput.idempotencyToken); StartBuild's only fitting documented error is
        // InvalidInputException. The wording is ours (see README, Fidelity notes).
        if (seen.fingerprint !== fingerprint) {
          throw new AwsError(
            'InvalidInputException',
            `Parameter mismatch: the idempotency token ${token} was used with different parameters within the last 5 minutes.`
          )
        }
        const same = this.byId.get(seen.buildId)
        if (same) return { build: same.toJSON(now) }
      }
    }

    const limit = this.options.maxConcurrentBuilds
    if (limit !== undefined) {
      const running = this.builds.filter(b => !b.isComplete(now)).length
      if (running >= limit) {
        throw new AwsError('AccountLimitExceededException', `Cannot have more than ${limit} builds in queue for the account`)
      }
    }

    const build = this.createBuild(state, request, now, this.nextScript(state), undefined, this.options.initiator)
    if (typeof token === 'string' && token.length > 0) {
      this.idempotency.set(token, { buildId: build.id, atEpochMs: now, fingerprint })
    }
    return { build: build.toJSON(now) }
  }

  batchGetBuilds(body: Record<string, unknown>): Record<string, unknown> {
    const ids = body['ids']
    if (!Array.isArray(ids) || ids.length === 0) {
      throw new AwsError('InvalidInputException', 'The input build ID list cannot be empty.')
    }
    if (ids.length > 100) {
      throw new AwsError(
        'InvalidInputException',
        validationMessage([
          `Value '[${ids.map(quoteValue).join(', ')}]' at 'ids' failed to satisfy constraint: Member must have length less than or equal to 100`
        ])
      )
    }
    const now = this.epochNow()
    const builds: Record<string, unknown>[] = []
    const buildsNotFound: string[] = []
    for (const id of ids) {
      const b = typeof id === 'string' ? this.findBuild(id) : undefined
      if (b) builds.push(b.toJSON(now))
      else buildsNotFound.push(String(id))
    }
    return { builds, buildsNotFound }
  }

  stopBuild(body: Record<string, unknown>): Record<string, unknown> {
    const id = body['id']
    if (typeof id !== 'string' || id.length === 0) {
      throw new AwsError(
        'InvalidInputException',
        validationMessage([`Value ${quoteValue(id)} at 'id' failed to satisfy constraint: Member must not be null`])
      )
    }
    const build = this.findBuild(id)
    if (!build) throw new AwsError('ResourceNotFoundException', `Build ${id} does not exist`)
    const now = this.epochNow()
    if (build.isComplete(now)) throw new AwsError('InvalidInputException', `Build ${build.id} is already complete`)
    build.stop(now, this.options.stopDelayMs)
    return { build: build.toJSON(now) }
  }

  batchGetProjects(body: Record<string, unknown>): Record<string, unknown> {
    const names = body['names']
    if (!Array.isArray(names) || names.length === 0) {
      throw new AwsError(
        'InvalidInputException',
        validationMessage([
          `Value ${quoteValue(names)} at 'names' failed to satisfy constraint: Member must have length greater than or equal to 1`
        ])
      )
    }
    if (names.length > 100) {
      throw new AwsError(
        'InvalidInputException',
        validationMessage([`Value at 'names' failed to satisfy constraint: Member must have length less than or equal to 100`])
      )
    }
    const projects: Record<string, unknown>[] = []
    const projectsNotFound: string[] = []
    for (const n of names) {
      const p = typeof n === 'string' ? this.findProject(n) : undefined
      if (p) projects.push(this.projectJSON(p))
      else projectsNotFound.push(String(n))
    }
    return { projects, projectsNotFound }
  }

  listBuildsForProject(body: Record<string, unknown>): Record<string, unknown> {
    const name = body['projectName']
    if (typeof name !== 'string' || name.length === 0) {
      throw new AwsError(
        'InvalidInputException',
        validationMessage([`Value ${quoteValue(name)} at 'projectName' failed to satisfy constraint: Member must not be null`])
      )
    }
    const state = this.findProject(name)
    if (!state) throw new AwsError('ResourceNotFoundException', `Project cannot be found: ${this.projectArn(name)}`)
    const order = body['sortOrder'] ?? 'DESCENDING'
    if (order !== 'ASCENDING' && order !== 'DESCENDING') {
      throw new AwsError(
        'InvalidInputException',
        validationMessage([
          `Value '${quoteValue(order)}' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [ASCENDING, DESCENDING]`
        ])
      )
    }
    const ids = state.builds.map(b => b.id)
    if (order === 'DESCENDING') ids.reverse()
    let offset = 0
    const token = body['nextToken']
    if (token !== undefined) {
      const decoded = typeof token === 'string' ? decodeListToken(token, name) : undefined
      if (decoded === undefined) throw new AwsError('InvalidInputException', 'Invalid pagination token')
      // tokens point at a build id so that builds started between pages do not shift the listing
      const idx = ids.indexOf(decoded)
      offset = idx < 0 ? ids.length : idx
    }
    const page = ids.slice(offset, offset + LIST_PAGE_SIZE)
    const out: Record<string, unknown> = { ids: page }
    const next = ids[offset + LIST_PAGE_SIZE]
    if (next !== undefined) out['nextToken'] = encodeListToken(next, name)
    return out
  }

  projectJSON(p: ProjectState): Record<string, unknown> {
    const c = p.config
    const vpc = c.vpcConfig === true ? DEFAULT_VPC : c.vpcConfig === false ? undefined : c.vpcConfig
    const logs = c.logs ?? {}
    const cloudWatchLogs: Record<string, unknown> = { status: logs.status ?? 'ENABLED' }
    if (logs.groupName) cloudWatchLogs['groupName'] = logs.groupName
    if (logs.streamName) cloudWatchLogs['streamName'] = logs.streamName
    const out: Record<string, unknown> = {
      name: c.name,
      arn: p.arn,
      source: { type: 'NO_SOURCE', buildspec: c.buildspec ?? '', insecureSsl: false },
      secondarySources: [],
      secondarySourceVersions: [],
      artifacts: { type: 'NO_ARTIFACTS' },
      secondaryArtifacts: [],
      cache: { type: 'NO_CACHE' },
      environment: {
        type: c.environmentType ?? 'LINUX_CONTAINER',
        image: c.image ?? 'aws/codebuild/amazonlinux-x86_64-standard:5.0',
        computeType: c.computeType ?? 'BUILD_GENERAL1_SMALL',
        environmentVariables: (c.environmentVariables ?? []).map(v => ({ name: v.name, value: v.value, type: v.type ?? 'PLAINTEXT' })),
        privilegedMode: c.privilegedMode ?? false,
        imagePullCredentialsType: 'CODEBUILD'
      },
      serviceRole: c.serviceRole ?? `arn:aws:iam::${this.options.accountId}:role/service-role/codebuild-${c.name}-service-role`,
      timeoutInMinutes: c.timeoutInMinutes ?? 60,
      queuedTimeoutInMinutes: c.queuedTimeoutInMinutes ?? 480,
      encryptionKey: `arn:aws:kms:${this.options.region}:${this.options.accountId}:alias/aws/s3`,
      tags: [],
      created: Math.round(p.createdEpochMs) / 1000,
      lastModified: Math.round(p.createdEpochMs) / 1000,
      badge: { badgeEnabled: false },
      logsConfig: { cloudWatchLogs, s3Logs: { status: 'DISABLED', encryptionDisabled: false } },
      projectVisibility: 'PRIVATE'
    }
    if (c.description !== undefined) out['description'] = c.description
    if (vpc) out['vpcConfig'] = vpc
    return out
  }

  // ------------------------------------------------------------------------------------------------------------
  // CloudWatch Logs operations
  // ------------------------------------------------------------------------------------------------------------

  /** Whether a log group exists now (pre-existing for its project, or holding a stream that appeared). */
  private logGroupExists(group: string, now: number): boolean {
    for (const p of this.projects.values()) {
      const g = p.config.logs?.groupName ?? `/aws/codebuild/${p.config.name}`
      if (g !== group) continue
      if (p.logGroupPreexisting) return true
      if (p.builds.some(b => b.logGroup === group && b.streamExists(now))) return true
    }
    return false
  }

  private findStream(group: string, stream: string): Build | undefined {
    for (const b of this.builds) if (b.logGroup === group && b.logStream === stream) return b
    return undefined
  }

  /** The size limits of the next page of a stream (drawn per read of that stream, from the seed). */
  private pagingFor(build: Build): Paging {
    const n = this.logReads.get(build.id) ?? 0
    this.logReads.set(build.id, n + 1)
    const rng = prngFor(this.options.seed, 'page', build.id, n)
    return {
      maxEvents: rng.int(...PAGE_EVENTS_RANGE),
      maxBytes: rng.int(...PAGE_BYTES_RANGE),
      newTokenAt: n
    }
  }

  getLogEvents(body: Record<string, unknown>): Record<string, unknown> {
    const now = this.epochNow()
    const problems: string[] = []
    const groupName = body['logGroupName']
    const groupId = body['logGroupIdentifier']
    const streamName = body['logStreamName']
    if (typeof streamName !== 'string') {
      problems.push(`Value null at 'logStreamName' failed to satisfy constraint: Member must not be null`)
    }
    const limit = body['limit']
    if (limit !== undefined) {
      if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
        problems.push(
          `Value '${quoteValue(limit)}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`
        )
      } else if (limit > MAX_PAGE_EVENTS) {
        problems.push(
          `Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to ${MAX_PAGE_EVENTS}`
        )
      }
    }
    if (problems.length > 0) throw new AwsError('InvalidParameterException', validationMessage(problems))
    if (groupName !== undefined && groupId !== undefined) {
      throw new AwsError('InvalidParameterException', 'LogGroupName and LogGroupIdentifier are mutually exclusive parameters.')
    }
    let group: string
    if (typeof groupName === 'string') group = groupName
    else if (typeof groupId === 'string') {
      const m = /^arn:aws[a-z-]*:logs:[^:]*:[^:]*:log-group:(.+?)(:\*)?$/.exec(groupId)
      group = m?.[1] ?? groupId
    } else {
      throw new AwsError('InvalidParameterException', 'Either LogGroupName or LogGroupIdentifier must be specified.')
    }
    let token: Token | undefined
    const rawToken = body['nextToken']
    if (rawToken !== undefined && rawToken !== null) {
      token = typeof rawToken === 'string' ? parseToken(rawToken) : undefined
      if (!token) throw new AwsError('InvalidParameterException', 'The specified nextToken is invalid.')
    }

    const build = this.findStream(group, streamName as string)
    if (!build || !build.streamExists(now)) {
      if (!this.logGroupExists(group, now)) {
        throw new AwsError('ResourceNotFoundException', 'The specified log group does not exist.')
      }
      throw new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.')
    }

    const startTime = typeof body['startTime'] === 'number' ? body['startTime'] : undefined
    const endTime = typeof body['endTime'] === 'number' ? body['endTime'] : undefined
    const page = build.events.page({
      token,
      startFromHead: body['startFromHead'] === true,
      limit: typeof limit === 'number' ? limit : MAX_PAGE_EVENTS,
      startTime,
      endTime,
      now,
      streamEnded: build.isComplete(now),
      ...(this.options.paging === 'realistic' ? { paging: this.pagingFor(build) } : {})
    })
    const events: Array<{ timestamp: number; message: string; ingestionTime: number }> = []
    const store = build.events
    for (let i = page.first; i < page.end; i++) {
      events.push({
        timestamp: store.timestamps[i] as number,
        message: store.messages[i] as string,
        ingestionTime: store.readable[i] as number
      })
    }
    return { events, nextForwardToken: page.nextForwardToken, nextBackwardToken: page.nextBackwardToken }
  }
}

function encodeListToken(id: string, project: string): string {
  return Buffer.from(JSON.stringify({ p: project, id }), 'utf8').toString('base64')
}

function decodeListToken(token: string, project: string): string | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'))
    if (isRecord(v) && v['p'] === project && typeof v['id'] === 'string') return v['id']
  } catch {
    return undefined
  }
  return undefined
}
