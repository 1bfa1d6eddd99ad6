/** The bundled action, run as the runner runs it, against the stand-in: success and failure end to end. */
import type { StandIn } from '../standin/index.js'
import { presets } from '../standin/index.js'
import { IMAGE, PROJECT, logLines, run, standIn } from '../fixtures/e2e.js'

let s: StandIn | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})

describe('the bundled action on Node 24', () => {
  it('runs a successful migration: streams every line once in order, sets the outputs, exits 0', async () => {
    s = await standIn([presets.success({ lines: 300, everyMs: 5 })])
    const r = await run(s, { command: `bun run "migrate all.ts" --tag 'v 2'`, 'env-vars': 'LOG_LEVEL=debug' })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const [build] = s.startedBuilds(PROJECT)
    expect(build).toBeDefined()
    expect(r.streamed).toEqual(logLines(build))
    expect(r.outputs).toEqual({
      'build-id': build?.id,
      'build-number': String(build?.buildNumber),
      'build-status': 'SUCCEEDED',
      'logs-url': `https://us-east-1.console.aws.amazon.com/codesuite/codebuild/123456789012/projects/${PROJECT}/build/${encodeURIComponent(build?.id ?? '')}/log?region=us-east-1`,
      'task-exit-code': '0',
      'task-outputs': '{}'
    })
    expect(r.stdout).toContain(`Started migrate build #${build?.buildNumber} of ${PROJECT}: ${build?.id}`)
    expect(r.errors).toEqual([])
    // What was sent: one StartBuild with the bundled buildspec and the plan's variables.
    const [start] = s.callsOf('StartBuild')
    expect(s.callsOf('StartBuild')).toHaveLength(1)
    const env = Object.fromEntries(
      ((start?.request.environmentVariablesOverride ?? []) as Array<{ name: string; value: string }>).map(v => [v.name, v.value])
    )
    expect(env).toMatchObject({
      TASK: 'migrate',
      RUN_MIGRATIONS: 'true',
      RUN_SEED: 'false',
      IMAGE_URI: IMAGE,
      TASK_ARGV: `'bun' 'run' 'migrate all.ts' '--tag' 'v 2'`,
      TASK_ENV_NAMES: 'LOG_LEVEL',
      CBVT_VAR_LOG_LEVEL: 'debug',
      GITHUB_REPOSITORY: 'acme/app'
    })
    expect(env).not.toHaveProperty('AWS_SECRET_ACCESS_KEY')
    expect(start?.request.buildspecOverride).toContain('-e TASK_OUTPUT=/task-output/outputs -e DATABASE_URL ')
    expect(s.callsOf('StopBuild')).toHaveLength(0)
    // The summary names the build.
    expect(r.summary).toContain(build?.id)
    expect(r.summary).toContain('SUCCEEDED')
  })

  it('fails the step for a failed build, with the phase and CodeBuild’s message, every line still streamed', async () => {
    s = await standIn([presets.failure({ lines: 50, everyMs: 5 })])
    const r = await run(s)
    expect(r.code).toBe(1)
    const [build] = s.startedBuilds(PROJECT)
    expect(r.streamed).toEqual(logLines(build))
    expect(r.outputs['build-status']).toBe('FAILED')
    expect(r.outputs['build-id']).toBe(build?.id)
    expect(r.errors[0]).toMatch(
      /^title=migrate FAILED in phase BUILD::Build .* ended FAILED in phase BUILD: COMMAND_EXECUTION_ERROR: Error while executing command: .*docker run.*exit status 1/
    )
    // The task's own last words follow CodeBuild's message.
    expect(r.errors[0]).toMatch(/%0ALast lines of the output:%0A.*Error: migration 0042_add_index failed: relation "users" does not exist$/)
    expect(r.errors.at(-1)).toMatch(/migrate FAILED: see the errors above/)
  })
})
