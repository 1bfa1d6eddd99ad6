import { buildStartRequest, environmentOverrides, redactRequest } from '../../src/core/request.js'
import { runIdentity } from '../../src/core/run-identity.js'
import { githubContext } from '../fixtures/github.js'
import { parsePlan } from '../../src/core/inputs.js'
import { BASE_INPUTS, context, planOf, reader } from '../fixtures/inputs.js'

const plan = planOf
const run = runIdentity(githubContext(), 'acme/app')
const TOKEN = '0123456789abcdef0123456789abcdef01234567'

describe('buildStartRequest', () => {
  it('sends the buildspec, the plan’s variables and the run’s identity, nothing else from the environment', () => {
    const p = plan({
      command: `bun run "a b.ts"`,
      'env-vars': 'LOG_LEVEL=debug',
      'secret-env-vars': 'API_KEY=prod/api:key',
      'timeout-minutes': '20',
      'compute-type': 'BUILD_GENERAL1_MEDIUM'
    })
    const request = buildStartRequest(p, run, TOKEN)
    expect(request.projectName).toBe('app-migrations')
    expect(request.buildspecOverride).toBe(p.buildspec.content)
    expect(request.timeoutInMinutesOverride).toBe(20)
    expect(request.computeTypeOverride).toBe('BUILD_GENERAL1_MEDIUM')
    expect(request.idempotencyToken).toMatch(/^[0-9a-f]{40}$/)
    const env: Record<string, unknown> = Object.fromEntries(
      (request.environmentVariablesOverride ?? []).map((v): [string, unknown] => [v.name ?? '', [v.value, v.type]])
    )
    expect(env).toEqual({
      TASK: ['migrate', 'PLAINTEXT'],
      RUN_MIGRATIONS: ['true', 'PLAINTEXT'],
      RUN_SEED: ['false', 'PLAINTEXT'],
      IMAGE_URI: ['123456789012.dkr.ecr.us-east-1.amazonaws.com/app-backend:1.2.3', 'PLAINTEXT'],
      ECR_REGISTRY: ['123456789012.dkr.ecr.us-east-1.amazonaws.com', 'PLAINTEXT'],
      TASK_COMMAND: ['bun run "a b.ts"', 'PLAINTEXT'],
      TASK_ARGV: [`'bun' 'run' 'a b.ts'`, 'PLAINTEXT'],
      TASK_ENV_NAMES: ['LOG_LEVEL API_KEY', 'PLAINTEXT'],
      CBVT_VAR_LOG_LEVEL: ['debug', 'PLAINTEXT'],
      CBVT_VAR_API_KEY: ['prod/api:key', 'SECRETS_MANAGER'],
      GITHUB_REPOSITORY: ['acme/app', 'PLAINTEXT'],
      GITHUB_SHA: ['abc123', 'PLAINTEXT'],
      GITHUB_REF: ['refs/heads/main', 'PLAINTEXT'],
      GITHUB_RUN_ID: ['42', 'PLAINTEXT'],
      GITHUB_RUN_ATTEMPT: ['1', 'PLAINTEXT'],
      GITHUB_ACTOR: ['octocat', 'PLAINTEXT'],
      GITHUB_EVENT_NAME: ['push', 'PLAINTEXT'],
      GITHUB_RUN_URL: ['https://github.com/acme/app/actions/runs/42/attempts/1', 'PLAINTEXT'],
      TASK_RUN_TOKEN: [request.idempotencyToken, 'PLAINTEXT']
    })
    expect(JSON.stringify(request)).not.toContain('must-not-leak')
  })

  it.each([
    ['migrate', 'true', 'false'],
    ['seed', 'false', 'true'],
    ['cleanup', 'false', 'false'],
    ['plan', 'false', 'false']
  ])('sets RUN_MIGRATIONS / RUN_SEED for %s', (task, migrations, seed) => {
    const env = environmentOverrides(plan({ task }), {}, 'token')
    expect(env.find(v => v.name === 'RUN_MIGRATIONS')?.value).toBe(migrations)
    expect(env.find(v => v.name === 'RUN_SEED')?.value).toBe(seed)
    expect(env.find(v => v.name === 'TASK_ARGV')?.value).toBe(`'${task}'`)
  })

  it('leaves IMAGE_URI to the project when no image is given, and omits unset overrides', () => {
    const request = buildStartRequest(plan({ 'image-uri': '' }), {}, TOKEN)
    const names = request.environmentVariablesOverride?.map(v => v.name)
    expect(names).not.toContain('IMAGE_URI')
    expect(names).not.toContain('TASK_ENV_NAMES')
    expect(request.timeoutInMinutesOverride).toBeUndefined()
    expect(request.computeTypeOverride).toBeUndefined()
    expect(request.queuedTimeoutInMinutesOverride).toBeUndefined()
  })

  it("carries the execution's token as the idempotency token and as TASK_RUN_TOKEN, whatever the run", () => {
    const p = plan()
    for (const identity of [run, {}]) {
      const request = buildStartRequest(p, identity, TOKEN)
      expect(request.idempotencyToken).toBe(TOKEN)
      expect(request.environmentVariablesOverride?.filter(v => v.name === 'TASK_RUN_TOKEN').map(v => v.value)).toEqual([TOKEN])
    }
  })

  it('sends queued-timeout-minutes as the queued timeout', () => {
    expect(buildStartRequest(plan({ 'queued-timeout-minutes': '45' }), run, TOKEN).queuedTimeoutInMinutesOverride).toBe(45)
  })
})

describe('redactRequest', () => {
  it('masks secret-looking plaintext values and names the buildspec instead of inlining it', () => {
    const p = plan({ 'env-vars': 'DB_PASSWORD=hunter2\nLOG_LEVEL=debug\nURL=postgres://u:pw@h/db' })
    const shown = redactRequest(buildStartRequest(p, run, TOKEN), p)
    const text = JSON.stringify(shown)
    expect(text).not.toContain('hunter2')
    expect(text).not.toContain('u:pw@')
    expect(text).toContain('debug')
    expect(shown.buildspecOverride).toMatch(/^<bundled buildspec buildspecs\/migrate.yml, \d+ lines>$/)
  })
})

describe('variables in the request', () => {
  it('sends each user variable as its own entry under its carried name with a bundled buildspec, a newline kept inside one value', () => {
    const p = parsePlan(
      reader({ ...BASE_INPUTS, 'env-vars': 'NOTE\nLOG_LEVEL=debug' }),
      context({ env: { NOTE: 'first\nBASH_ENV=$(touch /tmp/x)' } })
    )
    const env = environmentOverrides(p, {}, 'token')
    expect(env.filter(v => v.name?.startsWith('CBVT_VAR_'))).toEqual([
      { name: 'CBVT_VAR_NOTE', value: 'first\nBASH_ENV=$(touch /tmp/x)', type: 'PLAINTEXT' },
      { name: 'CBVT_VAR_LOG_LEVEL', value: 'debug', type: 'PLAINTEXT' }
    ])
    expect(env.map(v => v.name)).not.toContain('BASH_ENV')
    expect(env.find(v => v.name === 'TASK_ENV_NAMES')?.value).toBe('NOTE LOG_LEVEL')
  })

  it('sends them under their own names with a custom buildspec', () => {
    const p = parsePlan(reader({ ...BASE_INPUTS, buildspec: 'buildspecs/seed.yml', 'env-vars': 'LOG_LEVEL=debug' }), context())
    expect(environmentOverrides(p, {}, 'token').find(v => v.value === 'debug')?.name).toBe('LOG_LEVEL')
  })

  it('masks a secret-looking literal in the command, and secret variables under their carried names', () => {
    const token = `ghp_${'A1b2'.repeat(9)}`
    const p = plan({ command: `deploy --token ${token} --url postgres://app:pa/ss@db/x`, 'env-vars': 'DB_PASS=correct-horse' })
    const shown = JSON.stringify(redactRequest(buildStartRequest(p, run, TOKEN), p))
    expect(shown).not.toContain(token)
    expect(shown).not.toContain('pa/ss')
    expect(shown).not.toContain('correct-horse')
    expect(shown).toContain('"CBVT_VAR_DB_PASS","value":"***"')
  })
})

describe('the run identity', () => {
  const head = 'f'.repeat(40)
  const pr = { pull_request: { number: 17, head: { sha: head } } }
  it.each(['pull_request', 'pull_request_target'])('on %s: the head commit and the pull request, not the merge commit', eventName => {
    const id = runIdentity(githubContext({ eventName, sha: 'm'.repeat(40), payload: pr }), 'acme/app')
    expect(id).toMatchObject({ sha: head, pullRequest: 17, eventName })
    const env = Object.fromEntries(environmentOverrides(plan(), id, 't').map((v): [string, string] => [v.name ?? '', v.value ?? '']))
    expect(env).toMatchObject({ GITHUB_SHA: head, GITHUB_PR_NUMBER: '17', GITHUB_EVENT_NAME: eventName })
  })
  it('elsewhere: the context’s commit, no pull request', () => {
    const id = runIdentity(githubContext({ eventName: 'push', payload: pr }), 'acme/app')
    expect(id.sha).toBe('abc123')
    expect(id.pullRequest).toBeUndefined()
  })
  it('ignores a malformed payload', () => {
    const id = runIdentity(
      githubContext({ eventName: 'pull_request', payload: { pull_request: { number: '1; rm -rf', head: { sha: 'nope' } } } }),
      'acme/app'
    )
    expect(id.sha).toBe('abc123')
    expect(id.pullRequest).toBeUndefined()
  })
  it('links to the run attempt on the server it ran on', () => {
    expect(runIdentity(githubContext({ serverUrl: 'https://ghe.example.com/', runAttempt: 3 }), 'acme/app').runUrl).toBe(
      'https://ghe.example.com/acme/app/actions/runs/42/attempts/3'
    )
  })
})
