/**
 * Building blocks for build scripts: predictable task lines, big lines, presets for the usual outcomes, and the
 * realistic migration scenario used by the demo.
 */
import type {
  BuildContext,
  BuildScript,
  BuildScriptSource,
  LineGenerator,
  OutputPiece,
  ProjectConfig,
  ScriptCommand,
  TimedLine
} from './types.js'

// ---------------------------------------------------------------------------------------------------------------
// Lines
// ---------------------------------------------------------------------------------------------------------------

/** `task line 000123` (0-based, 6 digits): the line a test can look for. The log event's message adds "\n". */
export function taskLine(i: number, prefix = 'task line'): string {
  return `${prefix} ${String(i).padStart(6, '0')}`
}

/** The texts of `taskLines(count)`, for comparing with what the action printed. */
export function taskLineTexts(count: number, prefix = 'task line'): string[] {
  return Array.from({ length: count }, (_, i) => taskLine(i, prefix))
}

/**
 * `count` task lines, one every `everyMs` ms (default 0: a burst in one millisecond).
 * `taskLines(30_000)` is a 30,000-line burst; `taskLines(50, { everyMs: 100 })` one line every 100 ms.
 */
export function taskLines(count: number, opts: { everyMs?: number; startMs?: number; prefix?: string } = {}): LineGenerator {
  const prefix = opts.prefix ?? 'task line'
  const gen: LineGenerator = { count, everyMs: opts.everyMs ?? 0, text: i => taskLine(i, prefix) }
  if (opts.startMs !== undefined) gen.startMs = opts.startMs
  return gen
}

/** A single ASCII line of exactly `bytes` UTF-8 bytes (before the "\n"), starting with `label`. */
export function bigLine(bytes: number, label = 'big line'): string {
  const head = `${label} `
  if (bytes <= head.length) return head.slice(0, bytes)
  const filler = 'abcdefghijklmnopqrstuvwxyz0123456789'
  return head + filler.repeat(Math.ceil((bytes - head.length) / filler.length)).slice(0, bytes - head.length)
}

/** Lines at fixed offsets from the command's start: `linesAt([[0, 'a'], [500, 'b']])`. */
export function linesAt(lines: ReadonlyArray<readonly [number, string]>): TimedLine[] {
  return lines.map(([atMs, text]) => ({ atMs, text }))
}

// ---------------------------------------------------------------------------------------------------------------
// Commands used by the presets
// ---------------------------------------------------------------------------------------------------------------

export const ECR_LOGIN_COMMAND =
  'aws ecr get-login-password --region $AWS_DEFAULT_REGION | docker login --username AWS --password-stdin $ECR_REGISTRY'
export const DOCKER_PULL_COMMAND = 'docker pull $IMAGE_URI'
export const DOCKER_RUN_COMMAND = 'docker run --rm --env-file /tmp/task.env $IMAGE_URI $TASK_COMMAND'

/** The pre_build commands of the presets (matched against the buildspec's by pattern). */
export function preBuildCommands(opts: { pullLines?: OutputPiece[] } = {}): ScriptCommand[] {
  return [
    {
      command: /get-login-password|docker login/,
      fallback: ECR_LOGIN_COMMAND,
      output: [
        'WARNING! Your password will be stored unencrypted in /root/.docker/config.json.',
        'Configure a credential helper to remove this warning. See',
        'https://docs.docker.com/engine/reference/commandline/login/#credentials-store',
        '',
        'Login Succeeded'
      ]
    },
    {
      command: /docker pull/,
      fallback: DOCKER_PULL_COMMAND,
      output: opts.pullLines ?? ['Status: Image is up to date']
    }
  ]
}

/** The command that runs the task in the BUILD phase (the buildspec's `docker run ...` when there is one). */
export function taskCommand(output: OutputPiece[], extra: Partial<ScriptCommand> = {}): ScriptCommand {
  return { command: /docker run/, fallback: DOCKER_RUN_COMMAND, output, ...extra }
}

/**
 * The post_build command that carries the task's outputs (the bundled buildspecs' `export TASK_OUTPUTS`), setting
 * TASK_OUTPUTS to `carried` as is, or to the base64 of `file` (the outputs file as the task wrote it):
 * `postBuild: [taskOutputs({ file: 'count=3\n' })]`. Without a buildspec it runs as `export TASK_OUTPUTS=…`.
 */
export function taskOutputs(spec: { file: string } | { carried: string }): ScriptCommand {
  const value = 'file' in spec ? Buffer.from(spec.file, 'utf8').toString('base64') : spec.carried
  return { command: /export TASK_OUTPUTS/, fallback: 'export TASK_OUTPUTS=…', exports: { TASK_OUTPUTS: value } }
}

// ---------------------------------------------------------------------------------------------------------------
// Presets
// ---------------------------------------------------------------------------------------------------------------

export interface PresetOptions extends Omit<BuildScript, 'build'> {
  /** Number of task lines (`task line 000000` ...). Default 5. */
  lines?: number
  /** Spacing of the task lines in ms. Default 5. */
  everyMs?: number
  /** Output of the task instead of task lines. */
  output?: OutputPiece[]
  /** Minimum duration of the task command. */
  taskMs?: number
  /**
   * The stream holds only the task's output: no agent lines, no pre_build output (for tests that compare the
   * whole stream with `taskLineTexts(n)`).
   */
  taskOnly?: boolean
}

function taskOutput(opts: PresetOptions): OutputPiece[] {
  return opts.output ?? [taskLines(opts.lines ?? 5, { everyMs: opts.everyMs ?? 5 })]
}

/** The script fields of the options, with the presets' pre_build commands unless `taskOnly`. */
function rest(opts: PresetOptions): Omit<BuildScript, 'build'> {
  const { lines: _l, everyMs: _e, output: _o, taskMs: _t, taskOnly, ...script } = opts
  if (taskOnly) return { preBuild: [], agentLines: 'none', ...script }
  return { preBuild: preBuildCommands(), ...script }
}

/** A build that succeeds after printing `lines` task lines. */
export function success(opts: PresetOptions = {}): BuildScript {
  const extra: Partial<ScriptCommand> = opts.taskMs !== undefined ? { durationMs: opts.taskMs } : {}
  return {
    label: 'success',
    ...rest(opts),
    build: [taskCommand(taskOutput(opts), extra)]
  }
}

/**
 * A build whose task exits with `exitStatus` (default 1) after its lines: BUILD FAILED with
 * `{statusCode: "COMMAND_EXECUTION_ERROR", message: "Error while executing command: <cmd>. Reason: exit status 1"}`,
 * then POST_BUILD and UPLOAD_ARTIFACTS run, and the build ends FAILED.
 */
export function failure(opts: PresetOptions & { exitStatus?: number } = {}): BuildScript {
  const { exitStatus, ...o } = opts
  const extra: Partial<ScriptCommand> = { exitStatus: exitStatus ?? 1 }
  if (o.taskMs !== undefined) extra.durationMs = o.taskMs
  return {
    label: 'failure in BUILD',
    ...rest(o),
    build: [taskCommand(o.output ?? [...taskOutput(o), 'Error: migration 0042_add_index failed: relation "users" does not exist'], extra)]
  }
}

/** A build whose `docker pull` fails in PRE_BUILD (e.g. a wrong image tag): BUILD never runs. */
export function pullFailure(opts: Omit<BuildScript, 'preBuild'> & { image?: string } = {}): BuildScript {
  const { image, ...o } = opts
  const ref = image ?? '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:missing'
  return {
    label: 'docker pull fails in PRE_BUILD',
    ...o,
    preBuild: [
      preBuildCommands()[0] as ScriptCommand,
      {
        command: /docker pull/,
        fallback: DOCKER_PULL_COMMAND,
        output: [`Error response from daemon: manifest for ${ref} not found: manifest unknown: Requested image not found`],
        exitStatus: 1
      }
    ]
  }
}

/** A build that runs (printing a line every `everyMs`) for `runMs` ms: long enough to be stopped. */
export function longRunning(opts: PresetOptions & { runMs?: number } = {}): BuildScript {
  const { runMs, ...o } = opts
  const everyMs = o.everyMs ?? 50
  const runFor = runMs ?? 60_000
  return {
    label: 'long running',
    ...rest(o),
    build: [taskCommand(o.output ?? [taskLines(o.lines ?? Math.floor(runFor / everyMs), { everyMs })], { durationMs: runFor })]
  }
}

/** A build that times out `timeoutAtMs` after its start, in the middle of its task. */
export function timedOut(opts: PresetOptions & { timeoutAtMs?: number } = {}): BuildScript {
  const s = longRunning({ ...opts, runMs: 60_000 })
  return { ...s, label: 'timed out', timeoutAtMs: opts.timeoutAtMs ?? 400 }
}

/**
 * A VPC build that cannot provision (no ENI): PROVISIONING ends FAILED, no log stream ever appears, and the build
 * ends FAILED.
 */
export function provisioningFailure(
  opts: Omit<BuildScript, 'fault'> & { message?: string; status?: 'FAILED' | 'FAULT' } = {}
): BuildScript {
  const { message, status, ...o } = opts
  return {
    label: 'PROVISIONING failure',
    ...o,
    fault: {
      phase: 'PROVISIONING',
      status: status ?? 'FAILED',
      statusCode: 'CLIENT_ERROR',
      message: message ?? 'VPC_CLIENT_ERROR: Unexpected EC2 error: UnauthorizedOperation: You are not authorized to perform this operation.'
    }
  }
}

/**
 * A VPC build whose agent cannot reach the outside (no NAT gateway): DOWNLOAD_SOURCE fails with CLIENT_ERROR.
 */
export function downloadSourceFailure(opts: Omit<BuildScript, 'fault'> & { message?: string } = {}): BuildScript {
  const { message, ...o } = opts
  return {
    label: 'DOWNLOAD_SOURCE failure',
    ...o,
    fault: {
      phase: 'DOWNLOAD_SOURCE',
      status: 'FAILED',
      statusCode: 'CLIENT_ERROR',
      message:
        message ??
        'RequestError: send request failed caused by: Get "https://codefactory-us-east-1-prod-default-build-agent-executor.s3.amazonaws.com/": dial tcp 52.217.0.1:443: i/o timeout'
    }
  }
}

/** A successful build whose log stream appears `streamAtMs` after the start (late, while it already runs). */
export function lateStream(opts: PresetOptions & { streamAtMs?: number } = {}): BuildScript {
  return { ...success(opts), label: 'late stream', streamAtMs: opts.streamAtMs ?? 400 }
}

/** A successful build whose last `tailLines` events are ingested `tailDelayMs` late (after the build ended). */
export function lateTail(opts: PresetOptions & { tailLines?: number; tailDelayMs?: number } = {}): BuildScript {
  const { tailLines, tailDelayMs, ...o } = opts
  return {
    ...success(o),
    label: 'late-ingested last lines',
    lateTail: { lines: tailLines ?? 3, ingestionDelayMs: tailDelayMs ?? 800 }
  }
}

/** `count` task lines in one burst (default 30,000). */
export function burst(opts: PresetOptions & { count?: number } = {}): BuildScript {
  const { count, ...o } = opts
  return { ...success({ ...o, output: [taskLines(count ?? 30_000)] }), label: `burst of ${count ?? 30_000} lines` }
}

/** `count` (default 1) lines of `bytes` bytes each (default 250 KB), between two task lines. */
export function bigLines(opts: PresetOptions & { bytes?: number; count?: number } = {}): BuildScript {
  const { bytes, count, ...o } = opts
  const big = Array.from({ length: count ?? 1 }, (_, i) => bigLine(bytes ?? 250_000, `big line ${i}`))
  return { ...success({ ...o, output: [taskLine(0), ...big, taskLine(1)] }), label: 'big lines' }
}

export const presets = {
  success,
  failure,
  pullFailure,
  longRunning,
  timedOut,
  provisioningFailure,
  downloadSourceFailure,
  lateStream,
  lateTail,
  burst,
  bigLines
} as const

// ---------------------------------------------------------------------------------------------------------------
// Realistic migration scenario (demo)
// ---------------------------------------------------------------------------------------------------------------

export interface RealisticOptions {
  /** Multiplies every duration (1 = about 15 s end to end). Default 1. */
  timeScale?: number
  /** Migrations the tool applies. Default: 6 plausible ones. */
  migrations?: string[]
  /** Make the last migration fail (the build then ends FAILED). */
  failLast?: boolean
  /** Default 150 ms, as CloudWatch typically shows. */
  ingestionDelayMs?: number
}

const DEFAULT_MIGRATIONS = [
  '20261001090000_create_users',
  '20261003114500_create_orders',
  '20261010080000_add_orders_customer_id_index',
  '20261018153000_backfill_order_totals',
  '20261102101500_add_users_last_login_at',
  '20261120094500_drop_legacy_sessions'
]

/**
 * A realistic migration build: ECR login, `docker pull` with layers, a migration tool printing what it applies,
 * and success (or failure of the last migration). The image comes from the build's IMAGE_URI.
 */
export function realisticMigrationBuild(opts: RealisticOptions = {}): (ctx: BuildContext) => BuildScript {
  const k = opts.timeScale ?? 1
  const ms = (n: number): number => Math.round(n * k)
  const migrations = opts.migrations ?? DEFAULT_MIGRATIONS
  return ctx => {
    const image = ctx.env['IMAGE_URI'] ?? '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest'
    // `registry/repo@sha256:…` pulls as `sha256:…: Pulling from repo`; `registry/repo:tag` as `tag: Pulling from repo`.
    const [name = image, digest] = image.split('@')
    const slash = name.indexOf('/')
    const colon = name.lastIndexOf(':')
    const repo = (colon > slash ? name.slice(0, colon) : name).slice(slash + 1)
    const tag = digest ?? (colon > slash ? name.slice(colon + 1) : 'latest')
    const layers = ['a2abf6c4d29d', '9d1f9b2c5e3a', 'c7e1a0b8f412', '4f3e2d1c0b9a', 'e8d7c6b5a493']
    const pull: OutputPiece[] = [
      { atMs: ms(50), text: `${tag}: Pulling from ${repo}` },
      ...layers.map((l, i) => ({ atMs: ms(100 + i * 20), text: `${l}: Pulling fs layer` })),
      ...layers.map((l, i) => ({ atMs: ms(500 + i * 250), text: `${l}: Download complete` })),
      ...layers.map((l, i) => ({ atMs: ms(1900 + i * 120), text: `${l}: Pull complete` })),
      { atMs: ms(2600), text: 'Digest: sha256:4b8e1d2f0c9a7e6b5d4c3b2a190817f6e5d4c3b2a1908f7e6d5c4b3a29180716' },
      { atMs: ms(2610), text: `Status: Downloaded newer image for ${image}` },
      { atMs: ms(2620), text: image }
    ]
    const run: OutputPiece[] = [
      { atMs: ms(400), text: 'migrate: connecting to postgres://app@db.internal:5432/app (sslmode=require)' },
      { atMs: ms(700), text: 'migrate: connected; acquiring advisory lock 72707369' },
      { atMs: ms(800), text: `migrate: ${migrations.length} pending migrations` }
    ]
    let t = 900
    migrations.forEach((m, i) => {
      const last = i === migrations.length - 1
      run.push({ atMs: ms(t), text: `== ${m}: migrating ======================================` })
      t += 300 + (i % 3) * 450
      if (last && opts.failLast) {
        run.push({ atMs: ms(t), text: `ERROR: ${m}: canceling statement due to lock timeout` })
        run.push({ atMs: ms(t + 5), text: 'migrate: rolled back; releasing advisory lock' })
        return
      }
      run.push({ atMs: ms(t), text: `== ${m}: migrated (${((300 + (i % 3) * 450) / 1000).toFixed(4)}s) =============================` })
      t += 60
    })
    if (!opts.failLast) run.push({ atMs: ms(t + 100), text: `migrate: done, ${migrations.length} migrations applied` })
    const script: BuildScript = {
      label: 'realistic migration',
      submittedMs: ms(300),
      queuedMs: ms(700),
      provisioningMs: ms(3500),
      downloadSourceMs: ms(600),
      uploadArtifactsMs: ms(300),
      finalizingMs: ms(900),
      ingestionDelayMs: opts.ingestionDelayMs ?? 150,
      preBuild: preBuildCommands({ pullLines: pull }).map((c, i) => (i === 0 ? { ...c, durationMs: ms(900) } : c)),
      build: [taskCommand(run, opts.failLast ? { exitStatus: 1 } : {})]
    }
    return script
  }
}

/** A VPC-attached, privileged project as the action targets it, with `realisticMigrationBuild` scripts. */
export function realisticProject(opts: RealisticOptions & { name?: string; builds?: number } = {}): ProjectConfig {
  const name = opts.name ?? 'db-migrate'
  const script: BuildScriptSource = realisticMigrationBuild(opts)
  return {
    name,
    description: 'Runs database migrations inside the VPC',
    vpcConfig: true,
    privilegedMode: true,
    image: 'aws/codebuild/amazonlinux-x86_64-standard:5.0',
    computeType: 'BUILD_GENERAL1_SMALL',
    environmentVariables: [
      { name: 'IMAGE_URI', value: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:2026.11.25-1', type: 'PLAINTEXT' },
      { name: 'ECR_REGISTRY', value: '123456789012.dkr.ecr.us-east-1.amazonaws.com', type: 'PLAINTEXT' },
      { name: 'DATABASE_URL', value: 'prod/app/database-url', type: 'SECRETS_MANAGER' }
    ],
    timeoutInMinutes: 60,
    builds: Array.from({ length: opts.builds ?? 1 }, () => script),
    defaultBuild: script
  }
}

/** Options for `startStandIn` with one realistic project: `await startStandIn(realisticMigrationScenario())`. */
export function realisticMigrationScenario(opts: RealisticOptions & { name?: string } = {}): {
  projects: ProjectConfig[]
  seed: number
} {
  return { projects: [realisticProject(opts)], seed: 20261125 }
}
