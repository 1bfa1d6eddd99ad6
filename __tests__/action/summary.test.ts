/** The job summary's HTML (src/action/summary.ts). */
import { describe, expect, it } from '@jest/globals'
import { addSummary, escapeHtml } from '../../src/action/summary.js'
import { parsePlan } from '../../src/core/plan/inputs.js'
import { BASE_INPUTS, context, reader } from '../fixtures/inputs.js'
import { FAILED_BUILD as failed, SummaryRecorder } from '../fixtures/summary.js'

const plan = parsePlan(reader({ ...BASE_INPUTS, 'env-vars': 'DB_PASSWORD=hunter2' }), context())
describe('addSummary', () => {
  it('shows the run, the build, its link and a phase table with the failed phase’s context, escaped', () => {
    const r = new SummaryRecorder()
    addSummary(r, { plan, build: failed, links: { build: 'https://console/b?x=1&y=2', logs: 'https://console/l' } })
    const text = r.parts.join('\n')
    expect(text).toContain('# ❌ CodeBuild migrate: FAILED')
    expect(text).toContain('app-migrations')
    expect(text).toContain('us-east-1')
    expect(text).toContain('#\u200B7 <code>app-migrations:1234</code>')
    expect(text).toContain('<a href="https://console/b?x=1&#38;y=2">build</a>')
    expect(text).toContain('1m 35s')
    expect(text).toContain(
      'BUILD | ❌ FAILED | 1m 10s | COMMAND_EXECUTION_ERROR: Error while executing command: docker run &#60;image&#62;.'
    )
    expect(text).not.toContain('hunter2')
    expect(text).not.toContain('COMPLETED')
  })
  it('shows the task’s last output lines of a failure as code, escaped', () => {
    const r = new SummaryRecorder()
    addSummary(r, { plan, build: failed, lastLines: ['ERROR: relation <users> does not exist'] })
    const text = r.parts.join('\n')
    expect(text).toContain('Last lines of the output:')
    expect(text).toContain('ERROR: relation &#60;users&#62; does not exist')
  })
  it('shows the request and buildspec of a dry run', () => {
    const r = new SummaryRecorder()
    addSummary(r, { plan, request: { projectName: 'app-migrations' } })
    const text = r.parts.join('\n')
    expect(text).toContain('DRY RUN')
    expect(text).toContain('"projectName": "app-migrations"')
    expect(text).toContain('version: 0.2')
  })
})

it('escapes HTML', () => {
  expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;')
})
