import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { InputError, parsePlan } from '../../../src/core/plan/inputs.js'
import { looksSecret } from '../../../src/core/plan/secrets.js'
import { BASE_INPUTS, context, planOf, reader } from '../../fixtures/inputs.js'

const plan = planOf

function inputError(inputs: Record<string, string>, ctx = context()): InputError {
  try {
    plan(inputs, ctx)
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return error as InputError
  }
  throw new Error('expected an InputError')
}

describe('parsePlan', () => {
  it('turns valid inputs into a typed plan with defaults', () => {
    const p = plan({})
    expect(p).toMatchObject({
      projectName: 'app-migrations',
      task: 'migrate',
      argv: ['migrate'],
      region: 'us-east-1',
      wait: true,
      showLogs: true,
      ifRunning: 'wait',
      stopOnCancel: true,
      dryRun: false,
      variables: []
    })
    expect(p.image).toEqual({
      uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app-backend:1.2.3',
      registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com'
    })
    expect(p.buildspec.source).toBe('bundled')
    expect(p.buildspec.path).toBe('buildspecs/migrate.yml')
    expect(p.buildspec.usesDocker).toBe(true)
    expect(p.timeoutMinutes).toBeUndefined()
  })

  it.each(['migrate', 'seed', 'cleanup', 'plan'])('loads the bundled buildspec of %s', task => {
    const p = plan({ task })
    expect(p.buildspec.path).toBe(`buildspecs/${task}.yml`)
    expect(p.buildspec.exportedVariables).toEqual(['TASK_OUTPUTS'])
    expect(p.argv).toEqual([task])
  })

  it('splits the command into words, keeping quoted arguments intact', () => {
    const p = plan({ command: `bun run "scripts/seed orgs.ts" --name 'O'"'"'Brien'` })
    expect(p.argv).toEqual(['bun', 'run', 'scripts/seed orgs.ts', '--name', "O'Brien"])
    expect(p.command).toBe(`bun run "scripts/seed orgs.ts" --name 'O'"'"'Brien'`)
  })

  it('parses the three kinds of variables, skipping blank lines and comments', () => {
    const p = plan({
      'env-vars': 'LOG_LEVEL=debug\n\n# comment\nORG_NAME=Acme = Corp\nDB_PASSWORD=hunter2',
      'secret-env-vars':
        'API_KEY=prod/api:key\nOTHER=arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf:password:AWSCURRENT',
      'parameter-env-vars': 'FEATURE=/prod/feature-flag'
    })
    expect(p.variables).toEqual([
      { name: 'LOG_LEVEL', value: 'debug', type: 'PLAINTEXT', looksSecret: false },
      { name: 'ORG_NAME', value: 'Acme = Corp', type: 'PLAINTEXT', looksSecret: false },
      { name: 'DB_PASSWORD', value: 'hunter2', type: 'PLAINTEXT', looksSecret: true },
      { name: 'API_KEY', value: 'prod/api:key', type: 'SECRETS_MANAGER', looksSecret: false },
      {
        name: 'OTHER',
        value: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf:password:AWSCURRENT',
        type: 'SECRETS_MANAGER',
        looksSecret: false
      },
      { name: 'FEATURE', value: '/prod/feature-flag', type: 'PARAMETER_STORE', looksSecret: false }
    ])
  })

  it('reads the whole-number inputs within their ranges, naming the input and the unit otherwise', () => {
    expect(plan({ 'max-log-requests-per-minute': '30', 'queued-timeout-minutes': '45' })).toMatchObject({
      maxLogRequestsPerMinute: 30,
      queuedTimeoutMinutes: 45
    })
    expect(() => plan({ 'max-log-requests-per-minute': '5' })).toThrow(
      new InputError('max-log-requests-per-minute', "must be a whole number of requests from 6 to 600, got '5'")
    )
    expect(() => plan({ 'queued-timeout-minutes': '1.5' })).toThrow(
      new InputError('queued-timeout-minutes', "must be a whole number of minutes from 5 to 480, got '1.5'")
    )
  })

  it('takes the region from AWS_REGION, then AWS_DEFAULT_REGION', () => {
    expect(plan({ region: '' }, context({ env: { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' } })).region).toBe('eu-west-1')
    expect(plan({ region: '' }, context({ env: { AWS_DEFAULT_REGION: 'us-west-2' } })).region).toBe('us-west-2')
  })

  it('reads a custom buildspec relative to the workspace', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ws-'))
    writeFileSync(path.join(dir, 'backfill.yml'), 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n')
    const p = plan({ buildspec: 'backfill.yml' }, context({ workspace: dir }))
    expect(p.buildspec).toMatchObject({ source: 'custom', path: 'backfill.yml', usesDocker: false, exportedVariables: [] })
    writeFileSync(
      path.join(dir, 'outputs.yml'),
      'version: 0.2\nenv:\n  exported-variables: [TASK_OUTPUTS, 7]\nphases:\n  build:\n    commands: [true]\n'
    )
    expect(plan({ buildspec: 'outputs.yml' }, context({ workspace: dir })).buildspec.exportedVariables).toEqual(['TASK_OUTPUTS'])
  })

  it('accepts timeout, compute type and booleans', () => {
    const p = plan({
      'timeout-minutes': '30',
      'compute-type': 'BUILD_GENERAL1_MEDIUM',
      wait: 'false',
      'show-logs': 'FALSE',
      'stop-on-cancel': 'False',
      'dry-run': 'true',
      'if-running': 'fail'
    })
    expect(p).toMatchObject({
      timeoutMinutes: 30,
      computeType: 'BUILD_GENERAL1_MEDIUM',
      wait: false,
      showLogs: false,
      stopOnCancel: false,
      dryRun: true,
      ifRunning: 'fail'
    })
  })
})

describe('parsePlan rejects bad input with one line naming the input', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ws-'))
  writeFileSync(path.join(dir, 'not-a-buildspec.yml'), 'steps:\n  - run: echo\n')
  writeFileSync(path.join(dir, 'broken.yml'), 'version: 0.2\nphases: [\n')

  it.each([
    [{ 'project-name': '' }, 'project-name', /is required/],
    [{ 'project-name': 'bad name!' }, 'project-name', /CodeBuild project name/],
    [{ task: 'migrations' }, 'task', /must be one of migrate, seed, cleanup, plan, got 'migrations'/],
    [{ 'approved-plan-digest': `sha256:${'A'.repeat(64)}` }, 'approved-plan-digest', /must be a plan-digest, sha256: and 64 lowercase hex/],
    [{ 'approved-plan-digest': 'sha256:abc\n::error::x' }, 'approved-plan-digest', /must be a plan-digest/],
    [{ task: 'plan', 'approved-plan-digest': `sha256:${'a'.repeat(64)}` }, 'approved-plan-digest', /is for task: migrate only/],
    [{ task: '' }, 'task', /must be one of/],
    [{ 'image-uri': 'app-backend:latest' }, 'image-uri', /has no registry/],
    [{ 'image-uri': '123456789012.dkr.ecr.us-east-1.amazonaws.com/App:1' }, 'image-uri', /not a valid repository/],
    [{ 'image-uri': 'registry.example.com/app@sha256:1234' }, 'image-uri', /not sha256:<64 lowercase hex>/],
    [{ 'image-uri': 'registry.example.com/app:bad tag' }, 'image-uri', /white space/],
    [{ command: 'npm run migrate && npm run seed' }, 'command', /shell syntax '&&'.*sh -c/],
    [{ command: 'migrate --url $DATABASE_URL' }, 'command', /unquoted '\$'/],
    [{ command: 'echo "unterminated' }, 'command', /unterminated double quote/],
    [
      { 'env-vars': 'JUST_A_NAME' },
      'env-vars',
      /line 1: JUST_A_NAME is given alone but is not set in the environment: set it \(in a workflow, with env: on the step/
    ],
    [{ 'env-vars': 'two words' }, 'env-vars', /line 1 must be NAME=value, or NAME alone/],
    [{ 'env-vars': 'OK=1\n=value' }, 'env-vars', /line 2 must be NAME=value/],
    [{ 'env-vars': '1BAD=x' }, 'env-vars', /'1BAD' is not a variable name/],
    [{ 'env-vars': 'MY-VAR=x' }, 'env-vars', /'MY-VAR' is not a variable name/],
    [{ 'env-vars': 'CODEBUILD_X=1' }, 'env-vars', /CODEBUILD_X: names starting with CODEBUILD_ are reserved/],
    [{ 'env-vars': 'CBVT_VAR_X=1' }, 'env-vars', /CBVT_VAR_X: names starting with CBVT_ are reserved/],
    [{ 'secret-env-vars': 'A' }, 'secret-env-vars', /line 1 must be NAME=secret-id/],
    [{ 'env-vars': 'IMAGE_URI=x' }, 'env-vars', /set by the action itself/],
    [{ 'env-vars': 'A=1', 'secret-env-vars': 'A=prod/a' }, 'secret-env-vars', /names A more than once/],
    [{ 'secret-env-vars': 'A=' }, 'secret-env-vars', /NAME=secret-id\[:json-key/],
    [{ 'secret-env-vars': 'A=id:key:stage:version:extra' }, 'secret-env-vars', /line 1 must be/],
    [{ 'secret-env-vars': 'A=arn:aws:secretsmanager:us-east-1' }, 'secret-env-vars', /line 1 must be/],
    [{ 'parameter-env-vars': 'A=has space' }, 'parameter-env-vars', /NAME=parameter-name/],
    [{ region: 'US East' }, 'region', /must be an AWS region/],
    [{ 'timeout-minutes': 'ten' }, 'timeout-minutes', /whole number of minutes from 5 to 2160, got 'ten'/],
    [{ 'timeout-minutes': '4' }, 'timeout-minutes', /from 5 to 2160/],
    [{ 'timeout-minutes': '2161' }, 'timeout-minutes', /from 5 to 2160/],
    [{ 'timeout-minutes': '10.5' }, 'timeout-minutes', /whole number/],
    [{ 'compute-type': 'BUILD_GENERAL1_HUGE' }, 'compute-type', /must be one of .*BUILD_GENERAL1_SMALL/],
    [{ wait: 'yes' }, 'wait', /must be true or false, got 'yes'/],
    [{ 'show-logs': '1' }, 'show-logs', /must be true or false/],
    [{ 'stop-on-cancel': 'no' }, 'stop-on-cancel', /must be true or false/],
    [{ 'dry-run': 'maybe' }, 'dry-run', /must be true or false/],
    [{ 'if-running': 'queue' }, 'if-running', /must be one of wait, fail, start/],
    [{ buildspec: 'missing.yml' }, 'buildspec', /no file at missing.yml/],
    [{ buildspec: 'not-a-buildspec.yml' }, 'buildspec', /has no 'version'/],
    [{ buildspec: 'broken.yml' }, 'buildspec', /not valid YAML/]
  ])('%j → %s', (inputs, input, message) => {
    const error = inputError(inputs, context({ workspace: dir }))
    expect(error.input).toBe(input)
    expect(error.message).toMatch(new RegExp(`^Input '${input}' `))
    expect(error.message).toMatch(message)
    expect(error.message).not.toContain('\n')
  })

  it('needs a region from somewhere', () => {
    expect(inputError({ region: '' }).message).toMatch(/neither AWS_REGION nor AWS_DEFAULT_REGION/)
  })
})

describe('looksSecret', () => {
  it.each([
    ['DB_PASSWORD', 'x', true],
    ['DATABASE_URL', 'x', true],
    ['STRIPE_API_KEY', 'x', true],
    ['GITHUB_TOKEN', 'x', true],
    ['ANY', 'postgres://admin:s3cret@db.internal:5432/app', true],
    ['LOG_LEVEL', 'debug', false],
    ['DB_HOST', 'db.internal', false],
    ['ANY', 'https://example.com/path', false]
  ])('%s=%s → %s', (name, value, expected) => {
    expect(looksSecret(name, value)).toBe(expected)
  })
})

describe('env-vars: a name alone takes its value from the step environment', () => {
  const withEnv = (envVars: string, env: NodeJS.ProcessEnv, inputs: Record<string, string> = {}) =>
    parsePlan(reader({ ...BASE_INPUTS, 'env-vars': envVars, ...inputs }), context({ env }))
  const refused = (envVars: string, env: NodeJS.ProcessEnv): InputError => {
    try {
      withEnv(envVars, env)
    } catch (error) {
      expect(error).toBeInstanceOf(InputError)
      return error as InputError
    }
    throw new Error('expected an InputError')
  }

  it('as one variable, newlines and shell syntax included', () => {
    const message = 'fix: thing\n\nBASH_ENV=$(touch /tmp/PWNED)\nDATABASE_URL=postgres://evil'
    const p = withEnv('LOG_LEVEL=debug\nCOMMIT_MESSAGE', { COMMIT_MESSAGE: message })
    expect(p.variables).toEqual([
      { name: 'LOG_LEVEL', value: 'debug', type: 'PLAINTEXT', looksSecret: false },
      { name: 'COMMIT_MESSAGE', value: message, type: 'PLAINTEXT', looksSecret: false }
    ])
  })

  it.each([
    ['AWS_SECRET_ACCESS_KEY', /AWS_SECRET_ACCESS_KEY is a credential or an internal of the runner.*secret-env-vars/],
    ['AWS_ENDPOINT_URL', /AWS_ENDPOINT_URL is a credential or an internal/],
    ['GITHUB_TOKEN', /GITHUB_TOKEN is a credential or an internal/],
    ['ACTIONS_RUNTIME_TOKEN', /ACTIONS_RUNTIME_TOKEN is a credential or an internal/],
    ['RUNNER_TEMP', /RUNNER_TEMP is a credential or an internal/],
    ['DB_PASS', /DB_PASS looks like a secret by its name.*secret-env-vars/]
  ])('refuses %s, a credential or an internal', (name, message) => {
    const error = refused(name, { [name]: 'some-value' })
    expect(error.input).toBe('env-vars')
    expect(error.message).toMatch(message)
    expect(error.message).not.toContain('some-value')
  })

  it('refuses a value the secret detector flags, without showing it', () => {
    const token = `ghp_${'Zz9'.repeat(12)}`
    const error = refused('NOTE', { NOTE: `see ${token}` })
    expect(error.message).toMatch(/the value of NOTE looks like a secret.*secret-env-vars/)
    expect(error.message).not.toContain(token)
  })

  it('refuses a name given twice', () => {
    expect(refused('NOTE\nNOTE', { NOTE: 'x' }).message).toMatch(/names NOTE more than once/)
    expect(refused('NOTE=a\nNOTE', { NOTE: 'x' }).message).toMatch(/names NOTE more than once/)
  })
})

describe('a custom buildspec refuses names that steer the build host', () => {
  const custom = (envVars: string, input = 'env-vars') => {
    try {
      parsePlan(reader({ ...BASE_INPUTS, buildspec: 'buildspecs/migrate.yml', [input]: envVars }), context())
    } catch (error) {
      expect(error).toBeInstanceOf(InputError)
      return error as InputError
    }
    throw new Error('expected an InputError')
  }
  it.each([
    'BASH_ENV',
    'ENV',
    'SHELLOPTS',
    'BASHOPTS',
    'PS4',
    'IFS',
    'PATH',
    'HOME',
    'PROMPT_COMMAND',
    'LD_PRELOAD',
    'LD_LIBRARY_PATH',
    'DOCKER_HOST',
    'DOCKER_CONFIG',
    'AWS_ENDPOINT_URL_ECR',
    'AWS_CONFIG_FILE',
    'HTTPS_PROXY',
    'https_proxy',
    'ALL_PROXY',
    'NO_PROXY',
    'NODE_OPTIONS',
    'PYTHONPATH',
    'GIT_SSH_COMMAND',
    'npm_config_script_shell',
    'NPM_CONFIG_USERCONFIG',
    'Npm_Config_Registry',
    'MAVEN_OPTS',
    'GRADLE_OPTS',
    'GOFLAGS',
    'DOTNET_STARTUP_HOOKS',
    'CORECLR_PROFILER_PATH',
    'COMPlus_EnableDiagnostics',
    'LUA_INIT',
    'LUA_INIT_5_4',
    'PHPRC',
    'LESSOPEN',
    'CURL_HOME',
    'WGETRC',
    'XDG_CONFIG_HOME',
    'ZDOTDIR',
    'SSH_ASKPASS'
  ])('%s', name => {
    const error = custom(`${name}=x`)
    expect(error.message).toMatch(new RegExp(`^Input 'env-vars' line 1: ${name} changes how the build host's shell or tools`))
  })
  it('in every variable input', () => {
    expect(custom('LD_PRELOAD=prod/x', 'secret-env-vars').message).toMatch(/^Input 'secret-env-vars' line 1: LD_PRELOAD changes/)
    expect(custom('PATH=/x', 'parameter-env-vars').message).toMatch(/^Input 'parameter-env-vars' line 1: PATH changes/)
  })
  it('while the bundled buildspec passes such names into the container only', () => {
    const p = parsePlan(reader({ ...BASE_INPUTS, 'env-vars': 'NODE_OPTIONS=--max-old-space-size=512\nPATH=/app/bin' }), context())
    expect(p.variables.map(v => v.name)).toEqual(['NODE_OPTIONS', 'PATH'])
  })
})

describe('buildspec: stays in the workspace, bounded in size', () => {
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'ws-'))
  const outside = mkdtempSync(path.join(os.tmpdir(), 'elsewhere-'))
  const spec = 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n'
  writeFileSync(path.join(outside, 'elsewhere.yml'), spec)
  writeFileSync(path.join(workspace, 'ok.yml'), spec)
  writeFileSync(path.join(workspace, 'huge.yml'), spec + `# ${'x'.repeat(70 * 1024)}\n`)
  symlinkSync(path.join(outside, 'elsewhere.yml'), path.join(workspace, 'link.yml'))
  const ctx = context({ workspace })
  const error = (buildspec: string): InputError => {
    try {
      plan({ buildspec }, ctx)
    } catch (e) {
      expect(e).toBeInstanceOf(InputError)
      return e as InputError
    }
    throw new Error('expected an InputError')
  }

  it('reads a file in the workspace', () => {
    expect(plan({ buildspec: 'ok.yml' }, ctx).buildspec).toMatchObject({ source: 'custom', path: 'ok.yml', content: spec })
  })
  it.each([
    [path.relative(workspace, path.join(outside, 'elsewhere.yml')), 'a ../ path'],
    [path.join(outside, 'elsewhere.yml'), 'an absolute path'],
    ['link.yml', 'a symlink pointing out']
  ])('refuses %s (%s)', buildspec => {
    const e = error(buildspec)
    expect(e.input).toBe('buildspec')
    expect(e.message).toMatch(/outside the workspace/)
  })
  it('refuses a buildspec over 64 KiB', () => {
    expect(error('huge.yml').message).toMatch(/^Input 'buildspec' .*huge\.yml is \d+ bytes, more than the 65536 bytes \(64 KiB\)/)
  })
})

describe('image-uri: a registry that only looks like ECR', () => {
  it.each(['123456789012.dkr.ecr.us-east-1.amazonaws.com.attacker.example/app:1', '123456789012.dkr.ecr-us-east-1.amazonaws.com/app:1'])(
    '%s is refused',
    uri => {
      expect(() => plan({ 'image-uri': uri })).toThrow(/Input 'image-uri' .*looks like an Amazon ECR registry but is not one/)
    }
  )
})

describe("StartBuild's reported limit of 4096 characters per variable value, before anything starts", () => {
  const long = (n: number): string => 'x'.repeat(n)

  it('accepts a value of exactly 4096 characters', () => {
    expect(plan({ 'env-vars': `NOTE=${long(4096)}` }).variables[0]?.value).toHaveLength(4096)
  })

  it.each([
    [{ 'env-vars': `NOTE=${long(4097)}` }, 'env-vars', /gives NOTE a value that is 4097 characters long/],
    [{ 'env-vars': 'NOTE' }, 'env-vars', /gives NOTE a value that is 5000 characters long/],
    [{ 'secret-env-vars': `DB=${'a'.repeat(4095)}/x:KEY` }, 'secret-env-vars', /gives DB a value/],
    [{ command: `migrate ${long(4100)}` }, 'command', /is 4108 characters long/],
    // Each word quoted for TASK_ARGV: 1,100 words of 2 characters take 5,499 characters, the command 3,299.
    [{ command: Array.from({ length: 1100 }, () => 'ab').join(' ') }, 'command', /quoted word by word \(TASK_ARGV\) is \d+ characters/],
    [
      { 'env-vars': Array.from({ length: 300 }, (_, i) => `VARIABLE_NUMBER_${i}=x`).join('\n') },
      'env-vars, secret-env-vars, parameter-env-vars',
      /together name 300 variables/
    ]
  ])('%#: refuses a value StartBuild would refuse, naming the input', (inputs, input, message) => {
    const error = inputError(inputs, context({ env: { NOTE: long(5000) } }))
    expect(error.inputs.join(', ')).toBe(input)
    expect(error.message).toMatch(message)
    expect(error.message).toMatch(/at most 4096/)
    expect(error.message).not.toContain(long(100))
  })
})
