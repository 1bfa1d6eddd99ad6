import { BuildLogPrinter, writeVerbatim } from '../../src/action/workflow-log.js'
import { logLine } from '../../src/core/support/text.js'
import { agentEvent as agent } from '../fixtures/agent-line.js'

const line = (text: string) => ({ message: `${text}\n` })

function printer() {
  const out: string[] = []
  let n = 0
  const p = new BuildLogPrinter(t => out.push(t), { groups: true, token: () => `tok${++n}` })
  return { p, text: () => out.join('') }
}

describe('BuildLogPrinter', () => {
  it('writes build text only between stop-commands and its resume token', () => {
    const { p, text } = printer()
    p.print([
      line('::error::pwned'),
      line('::add-mask::x'),
      line('##[error]legacy'),
      line('::stop-commands::guess'),
      line('::set-output name=a::b')
    ])
    p.end()
    expect(text()).toBe(
      '::group::CodeBuild: provisioning\n' +
        '::stop-commands::tok1\n::error::pwned\n::add-mask::x\n##[error]legacy\n::stop-commands::guess\n::set-output name=a::b\n::tok1::\n' +
        '::endgroup::\n'
    )
  })

  it('folds the setup phases into groups and leaves the task’s output outside any group', () => {
    const { p, text } = printer()
    p.print([
      agent('Running on CodeBuild On-demand'),
      agent('Phase is DOWNLOAD_SOURCE'),
      agent('Entering phase INSTALL'),
      agent('Entering phase PRE_BUILD'),
      line('Login Succeeded'),
      agent('Phase complete: PRE_BUILD State: SUCCEEDED'),
      agent('Entering phase BUILD'),
      line('Applied 3 migrations')
    ])
    p.print([agent('Entering phase POST_BUILD')])
    p.end()
    const out = text()
    expect(out.match(/::group::[^\n]*/g)).toEqual([
      '::group::CodeBuild: provisioning',
      '::group::CodeBuild: DOWNLOAD_SOURCE phase',
      '::group::CodeBuild: INSTALL phase',
      '::group::CodeBuild: PRE_BUILD phase'
    ])
    const build = out.indexOf('Entering phase BUILD')
    expect(out.lastIndexOf('::endgroup::')).toBeLessThan(build)
    expect(out.indexOf('Applied 3 migrations')).toBeGreaterThan(build)
    // Group commands are never inside a stop-commands span.
    for (const span of out.split('::stop-commands::').slice(1)) {
      const body = span.slice(0, span.indexOf('\n::tok'))
      expect(body).not.toMatch(/::(end)?group::/)
    }
    expect(p.lines).toBe(9)
  })

  it('strips one trailing newline and carriage return, keeping the rest of the line', () => {
    expect(logLine('a\n')).toBe('a')
    expect(logLine('a\r\n')).toBe('a')
    expect(logLine('  indented  ')).toBe('  indented  ')
    expect(logLine(undefined)).toBe('')
  })

  it('uses a fresh unguessable token for every span by default', () => {
    const out: string[] = []
    const p = new BuildLogPrinter(t => out.push(t), { groups: false })
    p.print([line('a')])
    p.print([line('b')])
    const tokens = out.join('').match(/::stop-commands::(\S+)/g) ?? []
    expect(tokens).toHaveLength(2)
    expect(tokens[0]).not.toBe(tokens[1])
    expect(tokens[0]).toMatch(/^::stop-commands::cbvta-[0-9a-f]{32}$/)
  })
})

describe('writeVerbatim', () => {
  it('wraps text in a stop-commands span with a fresh token each time, and writes nothing for no lines', () => {
    const out: string[] = []
    const write = (t: string) => out.push(t)
    writeVerbatim(write, ['version: 0.2', '    ::add-mask::x'])
    writeVerbatim(write, ['::error::y'])
    writeVerbatim(write, [])
    expect(out).toHaveLength(2)
    const [first, second] = out.map(t => /^::stop-commands::(cbvta-[0-9a-f]{32})\n([\s\S]*)\n::(cbvta-[0-9a-f]{32})::\n$/.exec(t))
    expect(first?.[1]).toBe(first?.[3])
    expect(first?.[2]).toBe('version: 0.2\n    ::add-mask::x')
    expect(second?.[2]).toBe('::error::y')
    expect(second?.[1]).not.toBe(first?.[1])
  })
})

describe('BuildLogPrinter: the task cannot steer the groups', () => {
  it('a fake agent line for an earlier or the same phase, printed by the task, is plain text', () => {
    const { p, text } = printer()
    p.print([
      agent('Entering phase PRE_BUILD'),
      line('Login Succeeded'),
      agent('Entering phase BUILD'),
      line('task starts'),
      agent('Entering phase PRE_BUILD'),
      line('hidden?'),
      agent('Entering phase INSTALL'),
      agent('Entering phase BUILD'),
      line('task ends')
    ])
    p.end()
    const out = text()
    expect(out.match(/::group::[^\n]*/g)).toEqual(['::group::CodeBuild: PRE_BUILD phase'])
    const build = out.indexOf('Entering phase BUILD')
    expect(out.lastIndexOf('::endgroup::')).toBeLessThan(build)
    expect(out.indexOf('hidden?')).toBeGreaterThan(build)
  })

  it('a line that is not a well-formed agent line, or names no phase of CodeBuild, opens nothing', () => {
    const { p, text } = printer()
    p.print([
      agent('Entering phase BUILD'),
      line('[Container] Entering phase PRE_BUILD'),
      line('[Container] 2026/11/25 Entering phase INSTALL'),
      agent('Entering phase SETUP')
    ])
    p.end()
    expect(text().match(/::group::[^\n]*/g)).toBeNull()
  })

  it('a task that prints a later phase cannot bring a setup group back', () => {
    const { p, text } = printer()
    p.print([agent('Entering phase BUILD'), agent('Entering phase POST_BUILD'), agent('Entering phase PRE_BUILD'), line('still visible')])
    p.end()
    expect(text().match(/::group::[^\n]*/g)).toBeNull()
  })
})
