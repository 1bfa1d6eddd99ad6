import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { InputError, looksSecret, parsePlan } from '../src/inputs.js'
import { BASE_INPUTS, context, reader } from './fixtures/inputs.js'

const plan = (inputs: Record<string, string>, ctx = context()) => parsePlan(reader({ ...BASE_INPUTS, ...inputs }), ctx)

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
    expect(p.image).toMatchObject({ registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com', repository: 'app-backend', tag: '1.2.3', ecr: { region: 'us-east-1' } })
    expect(p.buildspec.source).toBe('bundled')
    expect(p.buildspec.path).toBe('buildspecs/migrate.yml')
    expect(p.buildspec.usesDocker).toBe(true)
    expect(p.timeoutMinutes).toBeUndefined()
  })

  it.each(['migrate', 'seed', 'cleanup'])('loads the bundled buildspec of %s', task => {
    const p = plan({ task })
    expect(p.buildspec.path).toBe(`buildspecs/${task}.yml`)
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
      'secret-env-vars': 'API_KEY=prod/api:key\nOTHER=arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf:password:AWSCURRENT',
      'parameter-env-vars': 'FEATURE=/prod/feature-flag'
    })
    expect(p.variables).toEqual([
      { name: 'LOG_LEVEL', value: 'debug', type: 'PLAINTEXT', looksSecret: false },
      { name: 'ORG_NAME', value: 'Acme = Corp', type: 'PLAINTEXT', looksSecret: false },
      { name: 'DB_PASSWORD', value: 'hunter2', type: 'PLAINTEXT', looksSecret: true },
      { name: 'API_KEY', value: 'prod/api:key', type: 'SECRETS_MANAGER', looksSecret: false },
      { name: 'OTHER', value: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf:password:AWSCURRENT', type: 'SECRETS_MANAGER', looksSecret: false },
      { name: 'FEATURE', value: '/prod/feature-flag', type: 'PARAMETER_STORE', looksSecret: false }
    ])
  })

  it('takes the region from AWS_REGION, then AWS_DEFAULT_REGION', () => {
    expect(plan({ region: '' }, context({ env: { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' } })).region).toBe('eu-west-1')
    expect(plan({ region: '' }, context({ env: { AWS_DEFAULT_REGION: 'us-west-2' } })).region).toBe('us-west-2')
  })

  it('reads a custom buildspec relative to the workspace', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ws-'))
    writeFileSync(path.join(dir, 'backfill.yml'), 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n')
    const p = plan({ buildspec: 'backfill.yml' }, context({ workspace: dir }))
    expect(p.buildspec).toMatchObject({ source: 'custom', path: 'backfill.yml', usesDocker: false })
  })

  it('accepts timeout, compute type and booleans', () => {
    const p = plan({ 'timeout-minutes': '30', 'compute-type': 'BUILD_GENERAL1_MEDIUM', wait: 'false', 'show-logs': 'FALSE', 'stop-on-cancel': 'False', 'dry-run': 'true', 'if-running': 'fail' })
    expect(p).toMatchObject({ timeoutMinutes: 30, computeType: 'BUILD_GENERAL1_MEDIUM', wait: false, showLogs: false, stopOnCancel: false, dryRun: true, ifRunning: 'fail' })
  })
})

describe('parsePlan rejects bad input with one line naming the input', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ws-'))
  writeFileSync(path.join(dir, 'not-a-buildspec.yml'), 'steps:\n  - run: echo\n')
  writeFileSync(path.join(dir, 'broken.yml'), 'version: 0.2\nphases: [\n')

  it.each([
    [{ 'project-name': '' }, 'project-name', /is required/],
    [{ 'project-name': 'bad name!' }, 'project-name', /CodeBuild project name/],
    [{ task: 'migrations' }, 'task', /must be one of migrate, seed, cleanup, got 'migrations'/],
    [{ task: '' }, 'task', /must be one of/],
    [{ 'image-uri': 'app-backend:latest' }, 'image-uri', /has no registry/],
    [{ 'image-uri': '123456789012.dkr.ecr.us-east-1.amazonaws.com/App:1' }, 'image-uri', /not a valid repository/],
    [{ 'image-uri': 'registry.example.com/app@sha256:1234' }, 'image-uri', /not sha256:<64 lowercase hex>/],
    [{ 'image-uri': 'registry.example.com/app:bad tag' }, 'image-uri', /white space/],
    [{ command: 'npm run migrate && npm run seed' }, 'command', /shell syntax '&&'.*sh -c/],
    [{ command: 'migrate --url $DATABASE_URL' }, 'command', /unquoted '\$'/],
    [{ command: 'echo "unterminated' }, 'command', /unterminated double quote/],
    [{ 'env-vars': 'JUST_A_NAME' }, 'env-vars', /line 1 must be NAME=value/],
    [{ 'env-vars': 'OK=1\n=value' }, 'env-vars', /line 2 must be NAME=value/],
    [{ 'env-vars': '1BAD=x' }, 'env-vars', /'1BAD' is not a variable name/],
    [{ 'env-vars': 'MY-VAR=x' }, 'env-vars', /'MY-VAR' is not a variable name/],
    [{ 'env-vars': 'CODEBUILD_X=1' }, 'env-vars', /reserved by CodeBuild/],
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
    const error = inputError(inputs as Record<string, string>, context({ workspace: dir }))
    expect(error.input).toBe(input)
    expect(error.message).toMatch(new RegExp(`^Input '${input}' `))
    expect(error.message).toMatch(message as RegExp)
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
