/**
 * No mention, reference or link from outside text in the pull-request comment or the job summary. GitHub's rendering
 * can't be run here: these tests check the transformation (breakAutolinks) against the shapes GitHub turns into
 * mentions, references and links, and that both renderers pass every piece of outside text through it. The evidence
 * that GitHub honours a zero-width space there is cited in src/core/report/autolinks.ts.
 */
import type { Build } from '@aws-sdk/client-codebuild'
import { renderComment } from '../../../src/action/pr-comment.js'
import { breakAutolinks } from '../../../src/core/report/autolinks.js'
import { parsePlan } from '../../../src/core/plan/inputs.js'
import { addSummary } from '../../../src/action/summary.js'
import type { SummaryData } from '../../../src/core/report/report.js'
import { BASE_INPUTS, context, reader } from '../../fixtures/inputs.js'
import { SummaryRecorder } from '../../fixtures/summary.js'

/**
 * What GitHub would link, looser than GitHub's own patterns (a superset): an `@` before a name character (mentions,
 * `@org/team`, `user@sha`, e-mail addresses), `#` or `GH-` before a digit (references, `owner/repo#1` included), a
 * scheme's `://`, and `www.`.
 */
const LINKABLE: Array<[string, RegExp]> = [
  ['mention or e-mail', /@[A-Za-z0-9_.-]/],
  ['reference', /#\d/],
  ['GH- reference', /\bGH-\d/i],
  ['link with a scheme', /:\/\//],
  ['www link', /\bwww\./i]
]
const linkable = (text: string): string[] => LINKABLE.filter(([, re]) => re.test(text)).map(([name]) => name)

const HOSTILE = [
  '@octocat please look at #12',
  'cc @acme/security-team, see acme/app#34 and GH-56 (gh-7)',
  'fixed in octocat@a5c3785ed8d6a35868bc169f07e40e889087fd2e and acme/app@a5c3785',
  'mail admin@attacker.example or visit https://attacker.example/login, www.attacker.example, ftp://x.example',
  'FATAL: role "app" does not exist (see #1) @@double ##3 #\u200B4 @\u200Balready'
]

describe('breakAutolinks', () => {
  it('leaves nothing GitHub would turn into a mention, a reference or a link', () => {
    for (const text of HOSTILE) {
      expect(linkable(text)).not.toEqual([])
      expect([text, linkable(breakAutolinks(text))]).toEqual([text, []])
    }
  })
  it('reads the same: only zero-width spaces are added; applying it twice changes nothing more', () => {
    for (const text of HOSTILE) {
      const broken = breakAutolinks(text)
      expect(broken.replace(/\u200B/g, '')).toBe(text.replace(/\u200B/g, ''))
      expect(breakAutolinks(broken)).toBe(broken)
    }
    for (const plain of ['ERROR: relation "users" already exists', 'docker run "${args[@]}" "$@" # 1 @ home'])
      expect(breakAutolinks(plain)).toBe(plain)
  })
})

describe('the comment and the job summary', () => {
  const plan = parsePlan(reader({ ...BASE_INPUTS, 'github-token': 'ghs_x' }), context())
  const build: Build = {
    id: 'app-migrations:1',
    buildNumber: 12,
    buildStatus: 'FAILED',
    phases: [{ phaseType: 'BUILD', phaseStatus: 'FAILED', contexts: [{ statusCode: 'COMMAND_EXECUTION_ERROR', message: HOSTILE[0] }] }]
  }
  const data: SummaryData = {
    plan,
    build,
    // The diagnosis's Fix: line, built from the task's error text, is where the review saw a live mention.
    diagnosis: { title: 'x', cause: HOSTILE[1] ?? '', fix: `Run: ${HOSTILE[2] ?? ''}` },
    notes: [HOSTILE[3] ?? ''],
    lastLines: [HOSTILE[4] ?? '']
  }
  /** The text GitHub's filters see: entities decoded (github/cmark-gfm#181), the action's own links and marker left out. */
  const seen = (html: string): string =>
    html
      .replace(/^<!--.*-->$/m, '')
      .replace(/\]\(https:\/\/[^)]*\)|href="https:\/\/[^"]*"/g, '')
      .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))

  it('the comment: outside text anywhere in it (heading, build number, failure, cause, fix, notes, last lines)', () => {
    const body = renderComment({
      ...data,
      workflow: 'w',
      job: 'migrate',
      key: '',
      redact: t => t,
      links: { build: 'https://b', logs: 'https://l' }
    })
    expect(linkable(seen(body))).toEqual([])
    expect(seen(body)).toContain('@\u200Boctocat please look at #\u200B12')
    expect(body).toContain('&#35;\u200B12 · [build](https://b)')
  })
  it('the summary: the same rule', () => {
    const r = new SummaryRecorder()
    addSummary(r, data)
    const html = r.parts.join('\n')
    expect(linkable(seen(html))).toEqual([])
    expect(html).toContain('Run: fixed in octocat@\u200Ba5c3785')
  })
})
