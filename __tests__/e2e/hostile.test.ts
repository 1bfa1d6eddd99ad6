/**
 * Hostile inputs, end to end (issue 11): each attack is given to the bundle (dist/, Node 24) against the stand-in.
 * Either the input is refused before any AWS call (or, for a variable that would replace the project's secret,
 * after the read-only project lookup and before StartBuild) with an error naming it; or the StartBuild request it
 * sends is run on a simulated build host (tests/fixtures/build-host.ts: the buildspec's commands with bash, one at a
 * time, project variables then the overrides, recording fakes of `docker` and `aws` on PATH) and then: no marker
 * file was created by the host shell, no host tool saw the variable, and `docker run` ran with the variable given
 * to the container.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { StandIn } from '../standin/index.js'
import { presets } from '../standin/index.js'
import { buildEnvironment, containerOf, runOnBuildHost } from '../fixtures/build-host.js'
import type { EnvVar, HostRun } from '../fixtures/build-host.js'
import { errorsOf, readWorkflowLog } from '../fixtures/workflow.js'
import { IMAGE, PROJECT, run, standIn, vpcProject } from '../fixtures/e2e.js'
import type { E2ERun } from '../fixtures/e2e.js'

let s: StandIn | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})

/** What the project's DATABASE_URL (SECRETS_MANAGER) resolves to in the simulated build. */
const PROD_DB = 'postgres://app:prod-secret-pw@db.internal:5432/app'
const REGISTRY = IMAGE.slice(0, IMAGE.indexOf('/'))

function scratch(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'hostile-'))
}

/** The secret a project variable resolves to: DATABASE_URL is the production one; others name their reference. */
function resolve(v: EnvVar): string {
  if (v.type === 'SECRETS_MANAGER')
    return v.name === 'DATABASE_URL' && v.value === 'prod/database-url:DATABASE_URL' ? PROD_DB : `resolved:${v.value ?? ''}`
  if (v.type === 'PARAMETER_STORE') return `parameter:${v.value ?? ''}`
  return v.value ?? ''
}

interface Sent {
  r: E2ERun
  overrides: EnvVar[]
  host: HostRun
}

/** Runs the action (wait: false), takes its StartBuild request and runs that build on the simulated host. */
async function startAndRunOnHost(
  inputs: Record<string, string>,
  options: { env?: Record<string, string>; projectVariables?: EnvVar[]; workspace?: string } = {}
): Promise<Sent> {
  const project = {
    environmentVariables: [...(vpcProject([]).environmentVariables ?? []), ...(options.projectVariables ?? [])]
  } as Parameters<typeof standIn>[2]
  s = await standIn([presets.success({ lines: 2, everyMs: 5 })], {}, project)
  const extra: Parameters<typeof run>[2] = {}
  if (options.env) extra.env = options.env
  if (options.workspace) extra.workspace = options.workspace
  const r = await run(s, { wait: 'false', ...inputs }, extra)
  expect(errorsOf(r)).toEqual([])
  expect(r.code).toBe(0)
  const [start] = s.callsOf('StartBuild')
  expect(start).toBeDefined()
  const request = start?.request as { buildspecOverride: string; environmentVariablesOverride: EnvVar[] }
  const host = runOnBuildHost(
    request.buildspecOverride,
    buildEnvironment(project?.environmentVariables ?? [], request.environmentVariablesOverride, resolve)
  )
  return { r, overrides: request.environmentVariablesOverride, host }
}

/** The variables reached the container, and only it: no host tool had them under their names. */
function expectKeptInContainer(host: HostRun, variables: Record<string, string>, markers: readonly string[] = []): void {
  expect(host.failed).toBeUndefined()
  for (const marker of markers) expect(existsSync(marker)).toBe(false)
  const container = containerOf(host)
  expect(container).toBeDefined()
  expect(container?.image).toBe(IMAGE)
  // Besides the action's own: the outputs file and the task's name and switches.
  const own = { TASK_OUTPUT: '/task-output/outputs', TASK: 'migrate', RUN_MIGRATIONS: 'true', RUN_SEED: 'false' }
  expect(container?.env).toEqual({ DATABASE_URL: PROD_DB, ...own, ...variables })
  // The host's own PATH and HOME are the host's: what matters is that no tool saw the user's value under that name.
  for (const call of host.calls) {
    for (const [name, value] of Object.entries(variables)) {
      expect({ bin: call.bin, args: call.args, [name]: call.env[name] }).toEqual({
        bin: call.bin,
        args: call.args,
        [name]: ['PATH', 'HOME'].includes(name) ? (expect.not.stringContaining(value) as unknown as string) : undefined
      })
    }
  }
  // The ECR token went to the image's ECR registry only.
  expect(host.calls.filter(c => c.args[0] === 'login').map(c => [c.args.at(-1), c.stdin])).toEqual([[REGISTRY, 'ecr-token']])
}

/** Refused before any AWS call, with one error naming the input and the variable. */
function expectRefusedBeforeAws(r: E2ERun, message: RegExp): void {
  expect(r.code).toBe(1)
  expect(errorsOf(r)).toEqual([expect.stringMatching(message)])
  expect(s?.calls.map(c => c.operation)).toEqual([])
}

/** A workspace holding a custom buildspec that runs a host command, as a backfill job would. */
function customWorkspace(): string {
  const dir = scratch()
  writeFileSync(
    path.join(dir, 'backfill.yml'),
    'version: 0.2\nenv:\n  shell: bash\nphases:\n  build:\n    commands:\n      - docker run --rm "$IMAGE_URI" backfill\n'
  )
  return dir
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Names that steer the host shell and tools
// ---------------------------------------------------------------------------------------------------------------

describe('variables that would steer the build host', () => {
  const dir = scratch()
  const marker = path.join(dir, 'PWNED')
  const script = path.join(dir, 'evil.sh')
  writeFileSync(script, `touch ${marker}\n`)
  const evilBin = path.join(dir, 'evil-bin')
  mkdirSync(evilBin)
  for (const tool of ['docker', 'aws']) {
    writeFileSync(path.join(evilBin, tool), `#!/bin/sh\ntouch ${marker}\n`)
    chmodSync(path.join(evilBin, tool), 0o755)
  }

  const ATTACKS: Array<[string, Record<string, string>]> = [
    ['BASH_ENV command substitution', { BASH_ENV: `$(touch ${marker})` }],
    ['BASH_ENV script', { BASH_ENV: script }],
    ['ENV', { ENV: `$(touch ${marker})` }],
    ['PATH', { PATH: `${evilBin}:/usr/bin:/bin` }],
    ['LD_PRELOAD', { LD_PRELOAD: path.join(dir, 'evil.so') }],
    ['SHELLOPTS with PS4', { SHELLOPTS: 'xtrace', PS4: `$(touch ${marker})` }],
    ['DOCKER_HOST', { DOCKER_HOST: 'tcp://attacker.example:2375' }],
    ['AWS_ENDPOINT_URL_ECR', { AWS_ENDPOINT_URL_ECR: 'https://attacker.example' }],
    ['HTTPS_PROXY', { HTTPS_PROXY: 'http://attacker.example:3128' }]
  ]

  it.each(ATTACKS)('%s: with a bundled buildspec it reaches the container only', async (_what, variables) => {
    const envVars = Object.entries(variables)
      .map(([n, v]) => `${n}=${v}`)
      .join('\n')
    const { overrides, host } = await startAndRunOnHost({ 'env-vars': envVars })
    for (const name of Object.keys(variables)) expect(overrides.map(v => v.name)).not.toContain(name)
    expectKeptInContainer(host, variables, [marker])
  })

  it.each(ATTACKS)('%s: with a custom buildspec it is refused before any AWS call', async (_what, variables) => {
    s = await standIn([])
    const [name] = Object.keys(variables) as [string]
    const r = await run(
      s,
      {
        buildspec: 'backfill.yml',
        'env-vars': Object.entries(variables)
          .map(([n, v]) => `${n}=${v}`)
          .join('\n')
      },
      { workspace: customWorkspace() }
    )
    expectRefusedBeforeAws(r, new RegExp(`^Input 'env-vars' line 1: ${name} changes how the build host's shell or tools`))
  })

  it('in secret-env-vars and parameter-env-vars too, with a custom buildspec', async () => {
    s = await standIn([])
    const r = await run(s, { buildspec: 'backfill.yml', 'secret-env-vars': 'LD_PRELOAD=prod/lib' }, { workspace: customWorkspace() })
    expectRefusedBeforeAws(r, /^Input 'secret-env-vars' line 1: LD_PRELOAD changes how the build host's shell/)
  })

  it('secret-env-vars and parameter-env-vars travel under carried names too, resolved into the container', async () => {
    const { overrides, host } = await startAndRunOnHost({
      'secret-env-vars': 'BASH_ENV=prod/evil',
      'parameter-env-vars': 'PATH=/prod/path'
    })
    expect(overrides.filter(v => v.name?.startsWith('CBVT_VAR_'))).toEqual([
      { name: 'CBVT_VAR_BASH_ENV', value: 'prod/evil', type: 'SECRETS_MANAGER' },
      { name: 'CBVT_VAR_PATH', value: '/prod/path', type: 'PARAMETER_STORE' }
    ])
    expectKeptInContainer(host, { BASH_ENV: 'resolved:prod/evil', PATH: 'parameter:/prod/path' })
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 2. A newline in a value
// ---------------------------------------------------------------------------------------------------------------

describe('a newline inside a value', () => {
  const dir = scratch()
  const marker = path.join(dir, 'PWNED')
  const message = `fix: typo\n\nBASH_ENV=$(touch ${marker})\nDATABASE_URL=postgres://attacker.example/db`

  it('interpolated into NAME=value (`NOTE=${{ … }}`): the lines it adds stay in the container', async () => {
    const { host } = await startAndRunOnHost({ 'env-vars': `NOTE=${message.split('\n')[0]}\nBASH_ENV=$(touch ${marker})` })
    expectKeptInContainer(host, { NOTE: 'fix: typo', BASH_ENV: `$(touch ${marker})` }, [marker])
  })

  it("interpolated into NAME=value: a line naming the project's DATABASE_URL is refused before StartBuild", async () => {
    s = await standIn([])
    const r = await run(s, { 'env-vars': `NOTE=${message}` })
    expect(r.code).toBe(1)
    expect(errorsOf(r)).toEqual([
      expect.stringMatching(/^Input 'env-vars' names DATABASE_URL, which project 'app-migrations' reads from Secrets Manager/)
    ])
    expect(s.callsOf('StartBuild')).toEqual([])
  })

  it("passed the safe way (a name alone, the value in the step's env:): one variable, newlines included", async () => {
    const { overrides, host } = await startAndRunOnHost({ 'env-vars': 'COMMIT_MESSAGE' }, { env: { COMMIT_MESSAGE: message } })
    expect(overrides.filter(v => v.name?.startsWith('CBVT_VAR_'))).toEqual([
      { name: 'CBVT_VAR_COMMIT_MESSAGE', value: message, type: 'PLAINTEXT' }
    ])
    expectKeptInContainer(host, { COMMIT_MESSAGE: message }, [marker])
  })

  it('the safe way with a custom buildspec: the host gets it as one inert value', async () => {
    const workspace = scratch()
    writeFileSync(
      path.join(workspace, 'note.yml'),
      'version: 0.2\nenv:\n  shell: bash\nphases:\n  build:\n    commands:\n      - docker run --rm -e "COMMIT_MESSAGE=$COMMIT_MESSAGE" "$IMAGE_URI" note\n'
    )
    const { host } = await startAndRunOnHost(
      { buildspec: 'note.yml', 'env-vars': 'COMMIT_MESSAGE' },
      { env: { COMMIT_MESSAGE: message }, workspace }
    )
    expect(host.failed).toBeUndefined()
    expect(existsSync(marker)).toBe(false)
    expect(containerOf(host)?.env).toEqual({ COMMIT_MESSAGE: message })
  })

  it.each([
    ['an unset name', 'COMMIT_MESSAGE', {}, /^Input 'env-vars' line 1: COMMIT_MESSAGE is given alone but is not set in the environment/],
    [
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SECRET_ACCESS_KEY',
      {},
      /^Input 'env-vars' line 1: AWS_SECRET_ACCESS_KEY is a credential or an internal of the runner.*secret-env-vars/
    ],
    ['GITHUB_TOKEN', 'GITHUB_TOKEN', { GITHUB_TOKEN: 'ghs_abc' }, /^Input 'env-vars' line 1: GITHUB_TOKEN is a credential/],
    ['ACTIONS_RUNTIME_TOKEN', 'ACTIONS_RUNTIME_TOKEN', { ACTIONS_RUNTIME_TOKEN: 'x' }, /ACTIONS_RUNTIME_TOKEN is a credential/],
    ['RUNNER_TEMP', 'RUNNER_TEMP', { RUNNER_TEMP: '/tmp' }, /RUNNER_TEMP is a credential/],
    ['a secret-looking name', 'DB_PASS', { DB_PASS: 'hunter2-pw' }, /DB_PASS looks like a secret by its name.*secret-env-vars/],
    ['a secret-looking value', 'NOTE', { NOTE: `token ghp_${'a1B2'.repeat(9)}` }, /the value of NOTE looks like a secret.*secret-env-vars/],
    ['a duplicate', 'NOTE\nNOTE', { NOTE: 'x' }, /^Input 'env-vars' names NOTE more than once/]
  ])('a name alone is refused for %s, before any AWS call', async (_what, envVars, env, message) => {
    s = await standIn([])
    const r = await run(s, { 'env-vars': envVars }, { env: env })
    expectRefusedBeforeAws(r, message)
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 3. Replacing the project's DATABASE_URL
// ---------------------------------------------------------------------------------------------------------------

describe("replacing the project's secret DATABASE_URL", () => {
  it.each([
    ['env-vars', 'DATABASE_URL=postgres://elsewhere'],
    ['secret-env-vars', 'DATABASE_URL=attacker/db'],
    ['parameter-env-vars', 'DATABASE_URL=/attacker/db']
  ])('through %s is refused after the project lookup, before StartBuild', async (input, line) => {
    s = await standIn([])
    const r = await run(s, { [input]: line })
    expect(r.code).toBe(1)
    expect(errorsOf(r)).toEqual([
      `Input '${input}' names DATABASE_URL, which project '${PROJECT}' reads from Secrets Manager: it would replace the project's value. Remove DATABASE_URL from ${input}, or give it another name`
    ])
    expect(s.callsOf('StartBuild')).toEqual([])
    expect(s.calls.map(c => c.operation)).not.toContain('StartBuild')
  })
})

describe("replacing the project's DATABASE_URL when the project can't be looked up", () => {
  const smuggled = `NOTE=fix: typo\nDATABASE_URL=postgres://app:pw@attacker.example/db`

  it('fails closed: nothing starts, the error says why and how to opt out', async () => {
    s = await standIn([], { faults: { BatchGetProjects: { throttle: 1 } } })
    const r = await run(s, { 'env-vars': smuggled })
    expect(r.code).toBe(1)
    expect(errorsOf(r)).toEqual([
      expect.stringMatching(
        /^Could not look up project 'app-migrations' \(ThrottlingException: Rate exceeded\): without it nothing can check that env-vars do not replace .*DATABASE_URL.*nothing was started\. .*project-lookup: optional/
      )
    ])
    expect(s.callsOf('StartBuild')).toEqual([])
  })

  it('with project-lookup: optional, the bundled buildspec itself refuses to run the task with it', async () => {
    s = await standIn([presets.success({ lines: 1 })], { faults: { BatchGetProjects: { throttle: 1 } } })
    const r = await run(s, { 'env-vars': smuggled, 'project-lookup': 'optional', wait: 'false' })
    expect(r.code).toBe(0)
    expect(r.warnings).toContainEqual(
      expect.stringMatching(/^Could not look up project 'app-migrations' .*starting without the project's checks/)
    )
    const request = s.callsOf('StartBuild')[0]?.request as { buildspecOverride: string; environmentVariablesOverride: EnvVar[] }
    const host = runOnBuildHost(
      request.buildspecOverride,
      buildEnvironment(vpcProject([]).environmentVariables ?? [], request.environmentVariablesOverride, resolve)
    )
    expect(host.failed?.phase).toBe('pre_build')
    expect(host.failed?.stderr).toMatch(/DATABASE_URL is the project's: a variable of the action may not replace it/)
    expect(containerOf(host)).toBeUndefined()
  })

  it('a DATABASE_URL the project does not set still reaches the container', async () => {
    s = await standIn([presets.success({ lines: 1 })], {}, { environmentVariables: [] })
    const r = await run(s, { 'secret-env-vars': 'DATABASE_URL=app/db', wait: 'false' })
    expect(r.code).toBe(0)
    const request = s.callsOf('StartBuild')[0]?.request as { buildspecOverride: string; environmentVariablesOverride: EnvVar[] }
    const host = runOnBuildHost(request.buildspecOverride, buildEnvironment([], request.environmentVariablesOverride, resolve))
    expect(host.failed).toBeUndefined()
    expect(containerOf(host)?.env).toMatchObject({ DATABASE_URL: 'resolved:app/db' })
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 4. A registry that only looks like ECR
// ---------------------------------------------------------------------------------------------------------------

describe('an image whose registry only starts like ECR', () => {
  const LOOKALIKE = '123456789012.dkr.ecr.us-east-1.amazonaws.com.attacker.example/app:1'

  it('as image-uri is refused before any AWS call', async () => {
    s = await standIn([])
    const r = await run(s, { 'image-uri': LOOKALIKE })
    expectRefusedBeforeAws(
      r,
      /^Input 'image-uri' must be .*'123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\.attacker\.example' looks like an Amazon ECR registry but is not one/
    )
  })

  it("as the project's IMAGE_URI gets no ECR login from the build", async () => {
    const { host } = await startAndRunOnHost(
      { 'image-uri': '' },
      { projectVariables: [{ name: 'IMAGE_URI', value: LOOKALIKE, type: 'PLAINTEXT' }] }
    )
    expect(host.failed).toBeUndefined()
    expect(host.calls.filter(c => c.bin === 'aws' || c.args[0] === 'login')).toEqual([])
    expect(host.calls.map(c => c.args.slice(0, 2))).toEqual([
      ['pull', LOOKALIKE],
      ['run', '--rm']
    ])
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 5. Secrets in the dry run and the job summary
// ---------------------------------------------------------------------------------------------------------------

describe('secret-looking values are never shown', () => {
  const GH = `ghp_${'Xy7'.repeat(12)}`
  const STRIPE = 'sk_live_51HqLyjWDarjtT1zdp7dcAbC'
  const AKIA = 'AKIAIOSFODNN7EXAMPLE'
  const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhdHRhY2tlciJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ'
  const SECRETS: Array<[string, string, string]> = [
    ['DB_PASS', 'hunter2-db', 'hunter2-db'],
    ['MYSQL_PWD', 'my-sql-pw-1', 'my-sql-pw-1'],
    ['PGPASS', 'pg-pass-22', 'pg-pass-22'],
    ['PASSPHRASE', 'open sesame', 'open sesame'],
    ['CACHE', 'redis://:redis-pw-9@cache:6379', 'redis-pw-9'],
    ['REPLICA', 'postgres://app:pa/ss-w0rd@replica/x', 'pa/ss-w0rd'],
    ['GH', GH, GH],
    ['STRIPE', STRIPE, STRIPE],
    ['ACCESS_ID', AKIA, AKIA],
    ['BEARER', JWT, JWT]
  ]
  const inputs = {
    'dry-run': 'true',
    'env-vars': [...SECRETS.map(([n, v]) => `${n}=${v}`), 'BYPASS_CACHE=true', 'DB_PORT=5432', 'LOG_LEVEL=debug'].join('\n'),
    command: `migrate --url postgres://admin:cmd-pw-77@db/x --token ${GH}`
  }

  it('in the dry run, the job summary and the annotations: *** for each, registered with the runner', async () => {
    s = await standIn([])
    const r = await run(s, inputs)
    expect(r.code).toBe(0)
    const masks = r.commands.filter(c => c.command === 'add-mask').map(c => c.message)
    for (const [, , secret] of [...SECRETS, ['', '', 'cmd-pw-77'] as [string, string, string]]) {
      expect(masks).toContain(secret)
      // Only the add-mask command holds it; the runner masks it everywhere after that.
      expect(r.stdout.split('\n').filter(l => l.includes(secret) && !l.startsWith('::add-mask::'))).toEqual([])
      expect(r.summary).not.toContain(secret)
      expect(r.stderr).not.toContain(secret)
    }
    // Trivial values are not registered: "true" and a port stay readable everywhere else in the job.
    expect(masks).not.toContain('true')
    expect(masks).not.toContain('5432')
    const log = readWorkflowLog(r.stdout)
    const at = log.text.findIndex(l => l.startsWith('Dry run: nothing is started.'))
    const request = JSON.parse(log.text.slice(at + 1, log.text.indexOf('}', at + 1) + 1).join('\n')) as {
      environmentVariablesOverride: EnvVar[]
    }
    const env: Record<string, string> = Object.fromEntries(
      request.environmentVariablesOverride.map((v): [string, string] => [v.name ?? '', v.value ?? ''])
    )
    for (const [name] of SECRETS) expect(env[`CBVT_VAR_${name}`]).toBe('***')
    expect(env.CBVT_VAR_BYPASS_CACHE).toBe('***')
    expect(env.CBVT_VAR_DB_PORT).toBe('5432')
    expect(env.TASK_COMMAND).toBe('migrate --url postgres://admin:***@db/x --token ***')
  })
})

describe("a secret in the task's own output", () => {
  // What a migration tool prints when it cannot connect: the connection string, password included.
  const output = [
    'connecting…',
    'FATAL: could not connect to postgres://app_user:Sup3r-S3cret-Pw@db.internal:5432/app',
    'psql: error: connection to server failed: host=db.internal user=app password=An0ther-Pw-99 dbname=app'
  ]
  const SECRETS = ['Sup3r-S3cret-Pw', 'An0ther-Pw-99']

  it('is *** in the live log, the annotations, the step error and the job summary (one redaction for every channel)', async () => {
    s = await standIn([presets.failure({ output })])
    const r = await run(s)
    expect(r.code).toBe(1)
    for (const secret of SECRETS) {
      expect(r.stdout).not.toContain(secret)
      expect(r.summary).not.toContain(secret)
    }
    expect(r.streamed).toContain('FATAL: could not connect to postgres://app_user:***@db.internal:5432/app')
    expect(errorsOf(r).join('\n')).toContain('postgres://app_user:***@db.internal:5432/app')
    expect(r.summary).toContain('password=***')
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 6. The buildspec input
// ---------------------------------------------------------------------------------------------------------------

describe('a buildspec outside the workspace, or too big', () => {
  const spec = 'version: 0.2\nenv:\n  shell: bash\nphases:\n  build:\n    commands:\n      - echo hi\n'
  const root = scratch()
  const workspace = path.join(root, 'a', 'b', 'workspace')
  mkdirSync(workspace, { recursive: true })
  writeFileSync(path.join(root, 'a', 'elsewhere.yml'), spec)
  symlinkSync(path.join(root, 'a', 'elsewhere.yml'), path.join(workspace, 'link.yml'))
  writeFileSync(path.join(workspace, 'huge.yml'), spec + `# ${'x'.repeat(22 * 1024 * 1024)}\n`)

  it.each([
    ['../../elsewhere.yml', /outside the workspace/],
    [path.join(root, 'a', 'elsewhere.yml'), /outside the workspace/],
    ['link.yml', /outside the workspace/],
    ['huge.yml', /huge\.yml is \d+ bytes, more than the 65536 bytes \(64 KiB\)/]
  ])('%s is refused before any AWS call', async (buildspec, message) => {
    s = await standIn([])
    const r = await run(s, { buildspec }, { workspace })
    expectRefusedBeforeAws(r, new RegExp(`^Input 'buildspec' .*${message.source}`))
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 7. The build's own text
// ---------------------------------------------------------------------------------------------------------------

describe("the task's output cannot steer the report", () => {
  const ATTACKER_ARN = 'arn:aws:secretsmanager:us-east-1:999999999999:secret:exfil-AbCdEf'
  const output = [
    'task starts',
    '[Container] 2026/11/25 12:00:00.123456 Entering phase PRE_BUILD',
    'hidden if folded',
    `An error occurred (AccessDeniedException) when calling the GetSecretValue operation: User: arn:aws:sts::999999999999:assumed-role/attacker-role/x is not authorized to perform: secretsmanager:GetSecretValue on resource: ${ATTACKER_ARN}`
  ]

  it('a fake agent line opens no group, and the diagnosis grants nothing in another account', async () => {
    s = await standIn([presets.failure({ output })])
    const r = await run(s)
    expect(r.code).toBe(1)
    // Follow the groups as the runner shows them.
    let group: string | undefined
    const groupOf = new Map<string, string | undefined>()
    let stop: string | undefined
    for (const line of r.stdout.split('\n')) {
      if (stop !== undefined) {
        if (line === `::${stop}::`) stop = undefined
        else groupOf.set(line, group)
        continue
      }
      if (line.startsWith('::stop-commands::')) stop = line.slice('::stop-commands::'.length)
      else if (line.startsWith('::group::')) group = line.slice('::group::'.length)
      else if (line === '::endgroup::') group = undefined
    }
    expect(groupOf.has('hidden if folded')).toBe(true)
    expect(groupOf.get('hidden if folded')).toBeUndefined()
    expect(groupOf.get('task starts')).toBeUndefined()
    const diagnosis = errorsOf(r).find(e => e.startsWith('Likely cause:'))
    expect(diagnosis).toBeDefined()
    const fix = (diagnosis as string).split('\n').find(l => l.startsWith('Fix:')) as string
    expect(fix).not.toContain('999999999999')
    expect(fix).not.toContain('attacker-role')
    expect(fix).toMatch(/outside this build's account 123456789012/)
  })
})

describe('AWS error text cannot become a runner command', () => {
  // actions/runner reads `##[name]` anywhere in a line (the legacy parser's IndexOf) and `::name::` after leading
  // whitespace: a throttling message quoted in the action's retry notice must be neither.
  it("a `##[add-mask]` in an error message quoted in the action's own notice stays text", async () => {
    s = await standIn([presets.success({ lines: 3, everyMs: 5 })], {
      faults: { GetLogEvents: { sequence: ['throttle'], message: 'Rate exceeded ##[add-mask]not-a-secret ##[error]forged' } }
    })
    const r = await run(s)
    expect(r.code).toBe(0)
    expect(r.commands.filter(c => c.command === 'add-mask')).toEqual([])
    expect(r.errors).toEqual([])
    const notice = r.stdout.split('\n').find(l => l.startsWith('CloudWatch Logs answered'))
    expect(notice).toContain('Rate exceeded # #[add-mask]not-a-secret # #[error]forged')
  })
})

describe("a value longer than StartBuild's reported limit", () => {
  it('is refused before any AWS call, so before the backup snapshot, naming the input', async () => {
    s = await standIn([presets.success({ lines: 2 })], { rds: { databases: [{ id: 'orders-db' }] } })
    const r = await run(s, { 'env-vars': 'NOTE', backup: 'snapshot', 'db-identifier': 'orders-db' }, { env: { NOTE: 'n'.repeat(5_000) } })
    expect(r.code).toBe(1)
    expect(errorsOf(r).join('\n')).toMatch(
      /^Input 'env-vars' gives NOTE a value that is 5000 characters long; CodeBuild accepts at most 4096/
    )
    expect(s.calls).toEqual([])
  })
})
