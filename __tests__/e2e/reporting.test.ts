/**
 * What people are told, end to end through the bundle against the stand-in: the job summary (parsed as the
 * HTML @actions/core writes), the `::group::`s that fold the build's setup, the `::error` annotation of a
 * failed build, and the second annotation with the likely cause and fix of a known failure.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { KNOWN_FAILURES } from '../../src/core/report/diagnosis.js'
import type { BuildScript, BuildView, StandIn } from '../standin/index.js'
import { preBuildCommands, presets, startStandIn, taskLineTexts } from '../standin/index.js'
import { IMAGE, PROJECT, TIME_SCALE, lastLinesSuffix, lastOutputLines, logLines, run, standIn, vpcProject } from '../fixtures/e2e.js'
import type { E2ERun } from '../fixtures/e2e.js'
import { ROOT } from '../fixtures/root.js'
import { readWorkflowLog } from '../fixtures/workflow.js'

// ---------------------------------------------------------------------------------------------------------------
// Reading what people see
// ---------------------------------------------------------------------------------------------------------------

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' }

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16))
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10))
    return ENTITIES[name.toLowerCase()] ?? whole
  })
}

/** The text a reader sees in a piece of HTML: markup dropped (as a browser drops an unknown tag), entities decoded. */
function htmlText(html: string): string {
  return decodeEntities(html.replace(/<\/?[a-z][^>]*>/gi, ''))
}

interface Link {
  href: string
  text: string
}

function htmlLinks(html: string): Link[] {
  return [...html.matchAll(/<a\s+href="([^"]*)"[^>]*>(.*?)<\/a>/gis)].map(m => ({
    href: decodeEntities(m[1] ?? ''),
    text: htmlText(m[2] ?? '')
  }))
}

interface Cell {
  header: boolean
  html: string
  text: string
  links: Link[]
}

/**
 * The tables of a piece of HTML: rows of cells. As @actions/core writes them, an empty cell is a lone `<td>` or
 * `<th>` without its end tag: a cell ends at its end tag or where the next cell, row or table starts or ends.
 */
function parseTables(html: string): Cell[][][] {
  const tables: Cell[][][] = []
  let table: Cell[][] | undefined
  let row: Cell[] | undefined
  let cell: { header: boolean; start: number } | undefined
  const closeCell = (end: number): void => {
    if (!cell) return
    if (!row) throw new Error('a cell outside a row')
    const inner = html.slice(cell.start, end)
    row.push({ header: cell.header, html: inner, text: htmlText(inner).trim(), links: htmlLinks(inner) })
    cell = undefined
  }
  const closeRow = (end: number): void => {
    closeCell(end)
    if (row) table?.push(row)
    row = undefined
  }
  for (const m of html.matchAll(/<(\/?)(table|tr|th|td)\b[^>]*>/gi)) {
    const closing = m[1] === '/'
    const tag = (m[2] ?? '').toLowerCase()
    const at = m.index
    const after = at + m[0].length
    if (tag === 'table') {
      closeRow(at)
      if (closing) {
        if (!table) throw new Error('</table> without <table>')
        tables.push(table)
        table = undefined
      } else {
        if (table) throw new Error('nested tables are not expected in the summary')
        table = []
      }
    } else if (tag === 'tr') {
      closeRow(at)
      if (!closing) {
        if (!table) throw new Error('<tr> outside a table')
        row = []
      }
    } else {
      closeCell(at)
      if (!closing) {
        if (!row) throw new Error(`<${tag}> outside a row`)
        cell = { header: tag === 'th', start: after }
      }
    }
  }
  if (table) throw new Error('a table without its end tag')
  return tables
}

interface Summary {
  headings: string[]
  /** The first table: a header row, then one row per fact (`Task`, `Project`, ...). */
  facts: Map<string, Cell>
  /** The phases table, when there is one: header texts and one row of cell texts per phase. */
  phases?: { header: string[]; rows: Cell[][] }
  tables: Cell[][][]
  /** Code blocks as a reader sees them. */
  code: Array<{ lang: string; text: string }>
  /** The whole summary as a reader sees it. */
  text: string
}

function readSummary(html: string): Summary {
  const tables = parseTables(html)
  const facts = new Map<string, Cell>()
  const [first, second] = tables
  for (const row of first ?? []) {
    if (row.every(c => c.header)) continue
    expect(row).toHaveLength(2)
    facts.set(row[0]?.text ?? '', row[1] as Cell)
  }
  const summary: Summary = {
    headings: [...html.matchAll(/<h([1-6])>(.*?)<\/h\1>/gs)].map(m => htmlText(m[2] ?? '')),
    facts,
    tables,
    code: [...html.matchAll(/<pre(?: lang="([^"]*)")?><code>(.*?)<\/code><\/pre>/gs)].map(m => ({
      lang: m[1] ?? '',
      text: htmlText(m[2] ?? '')
    })),
    text: htmlText(html)
  }
  if (second) {
    const [head, ...rows] = second
    summary.phases = { header: (head ?? []).map(c => c.text), rows }
  }
  return summary
}

function fact(summary: Summary, name: string): Cell {
  const cell = summary.facts.get(name)
  if (!cell) throw new Error(`the summary has no ${name} row; it has ${[...summary.facts.keys()].join(', ')}`)
  return cell
}

interface Annotation {
  title: string | undefined
  message: string
}

/** `::error` commands with their properties and message unescaped, as the runner reads them. */
function errorAnnotations(r: E2ERun): Annotation[] {
  const unescapeData = (s: string): string => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
  const unescapeProperty = (s: string): string =>
    s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%')
  return r.commands
    .filter(c => c.command === 'error')
    .map(c => {
      const properties = new Map(
        c.properties
          .split(',')
          .filter(Boolean)
          .map(p => [p.slice(0, p.indexOf('=')), unescapeProperty(p.slice(p.indexOf('=') + 1))] as const)
      )
      return { title: properties.get('title'), message: unescapeData(c.message) }
    })
}

interface PlacedLine {
  text: string
  /** The `::group::` the line is in, if any. */
  group: string | undefined
}

/**
 * The build's log lines as the runner shows them, each with the group it is folded into. Throws when the groups
 * are not balanced (a group opened in another, an `::endgroup::` without a group, a group left open) or a
 * stop-commands span is left open.
 */
function placeLines(stdout: string): { lines: PlacedLine[]; groups: string[]; commands: PlacedLine[] } {
  const lines: PlacedLine[] = []
  const groups: string[] = []
  /** The other workflow commands (`error`, `warning`, ...), each with the group it was issued in. */
  const commands: PlacedLine[] = []
  let group: string | undefined
  let token: string | undefined
  const all = stdout.split('\n')
  if (all.at(-1) === '') all.pop()
  for (const line of all) {
    if (token !== undefined) {
      if (line.trim() === `::${token}::`) token = undefined
      else lines.push({ text: line, group })
      continue
    }
    const m = /^\s*::([A-Za-z-]+)(?: [^:]*)?::(.*)$/.exec(line)
    if (m?.[1] === 'stop-commands') token = m[2]
    else if (m?.[1] === 'group') {
      if (group !== undefined) throw new Error(`group "${m[2]}" opened inside group "${group}"`)
      group = m[2] ?? ''
      groups.push(group)
    } else if (m?.[1] === 'endgroup') {
      if (group === undefined) throw new Error('::endgroup:: without an open group')
      group = undefined
    } else if (m?.[1]) commands.push({ text: m[1], group })
  }
  if (group !== undefined) throw new Error(`group "${group}" is never closed`)
  if (token !== undefined) throw new Error('a stop-commands span is never closed')
  return { lines, groups, commands }
}

// ---------------------------------------------------------------------------------------------------------------
// Expectations shared by the tests
// ---------------------------------------------------------------------------------------------------------------

const REGION = 'us-east-1'
const CONSOLE = `https://${REGION}.console.aws.amazon.com/codesuite/codebuild/123456789012/projects`
const buildUrl = (project: string, id: string): string => `${CONSOLE}/${project}/build/${encodeURIComponent(id)}/?region=${REGION}`
const logUrl = (project: string, id: string): string => `${CONSOLE}/${project}/build/${encodeURIComponent(id)}/log?region=${REGION}`

/** A value a secret scanner would flag; passed in env-vars, it must never reach a summary. */
const SECRET = 'sk_live_51Hc9XyZq7RtT0pSecretValue'
const SECRET_INPUTS = { 'env-vars': `API_TOKEN=${SECRET}\nLOG_LEVEL=debug` }

function expectNoSecret(r: E2ERun): void {
  expect(r.stdout).toContain(`::add-mask::${SECRET}`)
  expect(r.summary).not.toContain(SECRET)
  expect(r.summary).not.toContain('test-secret-key')
  expect(r.summary).not.toContain('AKIDTEST')
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000)
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${s % 60}s`
}

interface SnapshotPhase {
  phaseType: string
  phaseStatus?: string
  durationInSeconds?: number
  contexts?: Array<{ statusCode: string; message: string }>
}

/** The build as BatchGetBuilds answered it at the end. */
function finalBuild(build: BuildView): { startTime: number; endTime: number; phases: SnapshotPhase[] } {
  return build.snapshot() as unknown as { startTime: number; endTime: number; phases: SnapshotPhase[] }
}

/** The facts and phases every summary of a started build shows. */
function expectBuildSummary(r: E2ERun, build: BuildView, status: string, failedPhase?: string, lastLines: string[] = []): Summary {
  const summary = readSummary(r.summary)
  expect(summary.headings).toHaveLength(1)
  expect(summary.headings[0]).toMatch(new RegExp(`CodeBuild migrate: ${status}$`))
  expect(fact(summary, 'Task').text).toBe('migrate')
  expect(fact(summary, 'Project').text).toBe(PROJECT)
  expect(fact(summary, 'Region').text).toBe(REGION)
  expect(fact(summary, 'Image').text).toBe(IMAGE)
  expect(fact(summary, 'Image').text).toMatch(/@sha256:[0-9a-f]{64}$/)
  expect(fact(summary, 'Build').text).toBe(`#\u200B${build.buildNumber} ${build.id}`) // no #1 reference: a zero-width space (autolinks.ts)
  expect(fact(summary, 'Links').links).toEqual([
    { text: 'build', href: buildUrl(PROJECT, build.id) },
    { text: 'log', href: logUrl(PROJECT, build.id) }
  ])
  expect(fact(summary, 'Links').links[1]?.href).toBe(r.outputs['logs-url'])
  expect(fact(summary, 'Status').text).toMatch(new RegExp(`(^|\\s)${status}$`))
  const final = finalBuild(build)
  expect(fact(summary, 'Duration').text).toBe(seconds(Math.round(final.endTime * 1000) - Math.round(final.startTime * 1000)))

  const phases = final.phases.filter(p => p.phaseType !== 'COMPLETED')
  expect(summary.phases?.header).toEqual(['Phase', 'Status', 'Duration', 'Context'])
  expect(summary.phases?.rows.map(row => row[0]?.text)).toEqual(phases.map(p => p.phaseType))
  for (const [i, p] of phases.entries()) {
    const row = summary.phases?.rows[i] ?? []
    expect(row).toHaveLength(4)
    expect(row[1]?.text).toMatch(new RegExp(`(^|\\s)${p.phaseStatus}$`))
    expect(row[2]?.text).toBe(seconds((p.durationInSeconds ?? NaN) * 1000))
    if (p.phaseType === failedPhase) {
      const context = p.contexts?.[0]
      expect(row[3]?.text).toBe(`${context?.statusCode}: ${context?.message}`.trim())
    } else {
      expect(row[3]?.text).toBe('')
    }
  }
  // Then where the time went: a row per part (the pull as the log showed it), and the whole run.
  expect(summary.tables).toHaveLength(3)
  const [head, ...parts] = summary.tables[2] ?? []
  expect(head?.map(c => c.text)).toEqual(['Part', 'Time', 'Share'])
  expect(parts.map(row => row[0]?.text)).toEqual([
    'before the build (checks, backup, other builds)',
    'queued',
    'provisioning',
    'image pull (docker pull)',
    'the task (BUILD phase)',
    'rest of the build',
    'the end, the last log lines and the outputs',
    'the whole run'
  ])
  expect(parts.at(-1)?.[2]?.text).toBe('100%')
  // A failure quotes the task's last output lines; nothing else is a code block.
  expect(summary.code).toEqual(lastLines.length > 0 ? [{ lang: 'text', text: lastLines.join('\n') }] : [])
  expectNoSecret(r)
  return summary
}

/**
 * A build that ended SUCCEEDED or FAILED has a log that shows the end of its last phase (the `Phase complete` line
 * and its context line, whatever its status code): once the status says the build ended, the action reads what is
 * left and stops at that line, with no wait for a grace period. (Counted in calls, not time: a loaded machine slows
 * the polls, never adds any.)
 * - Once every line was readable, at most two reads: one that a drain in flight had sent before, and the one that
 *   reads the rest and sees the end line.
 * - Before that, the wait for CloudWatch's ingestion (the realistic stand-in's 0.3-1.5 s), at the drain's pace: 0.5 s
 *   less its 10% jitter, one drain of at most two pages each time.
 */
function expectPromptEnd(st: StandIn, build: BuildView): void {
  expect(['SUCCEEDED', 'FAILED']).toContain(build.finalStatus)
  const statusPolls = st.callsOf('BatchGetBuilds').filter(c => (c.request.ids as string[] | undefined)?.includes(build.id))
  const lastPoll = statusPolls.at(-1)
  if (!lastPoll) throw new Error(`the status of ${build.id} was never polled`)
  const logPolls = st.callsOf('GetLogEvents').filter(c => c.request.logStreamName === build.logStream && c.seq > lastPoll.seq)
  const lastReadable = Math.max(...build.allEvents().map(e => e.readableAt))
  const afterAllReadable = logPolls.filter(c => c.at >= lastReadable)
  expect(afterAllReadable.length).toBeLessThanOrEqual(2)
  const waiting = logPolls.length - afterAllReadable.length
  expect(waiting).toBeLessThanOrEqual(2 * (1 + Math.ceil(Math.max(0, lastReadable - lastPoll.at) / 450)))
}

/** The annotations of a failed build: the failure, the diagnosis when one is expected, then setFailed's line. */
function expectFailureAnnotations(
  r: E2ERun,
  build: BuildView,
  title: string,
  diagnosisId?: string
): { failure: Annotation; diagnosis?: Annotation } {
  const errors = errorAnnotations(r)
  const titled = errors.filter(e => e.title !== undefined)
  const untitled = errors.filter(e => e.title === undefined)
  expect(titled.map(e => e.title)).toEqual([title, ...(diagnosisId ? [`migrate: known failure (${diagnosisId})`] : [])])
  // setFailed's line is the last, without a title, and points at the log.
  expect(untitled).toHaveLength(1)
  expect(errors.at(-1)).toEqual(untitled[0])
  expect(untitled[0]?.message).toBe(
    `migrate ${build.finalStatus}: see the errors above and the build's log (${logUrl(build.projectName, build.id)})`
  )
  const failure = titled[0] as Annotation
  // The annotations are not folded away: the groups are closed by then (whatever phase failed).
  const placed = placeLines(r.stdout)
  expect(placed.commands.filter(c => c.text === 'error')).toEqual(errors.map(() => ({ text: 'error', group: undefined })))
  expect(failure.message.startsWith(`Build ${build.id} of ${build.projectName} ended ${build.finalStatus}`)).toBe(true)
  return diagnosisId ? { failure, diagnosis: titled[1] } : { failure }
}

// ---------------------------------------------------------------------------------------------------------------
// 1. The job summary
// ---------------------------------------------------------------------------------------------------------------

let s: StandIn | undefined
afterEach(async () => {
  await s?.close()
  s = undefined
})

describe('the job summary', () => {
  it('of a success: task, project, region, image, build, links, status, duration and every phase; no secret', async () => {
    // The task lasts over a second, so the BUILD phase and the build have durations worth reading.
    s = await standIn([presets.success({ lines: 5, everyMs: 5, taskMs: 1500 })])
    const command = `sh -c 'migrate --to "<latest>" && echo done'`
    const r = await run(s, { ...SECRET_INPUTS, command })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const [build] = s.startedBuilds(PROJECT)
    if (!build) throw new Error('no build was started')
    expect(s.callsOf('StartBuild')).toHaveLength(1)
    expect(r.streamed).toEqual(logLines(build))
    expect(r.outputs['build-status']).toBe('SUCCEEDED')
    expect(errorAnnotations(r)).toEqual([])

    const summary = expectBuildSummary(r, build, 'SUCCEEDED')
    expectPromptEnd(s, build)
    // The command is shown as typed: its quotes, ampersands and angle brackets are escaped, not markup.
    expect(fact(summary, 'Command').text).toBe(command)
    expect(summary.phases?.rows.find(row => row[0]?.text === 'BUILD')?.[2]?.text).toMatch(/^[1-9]\d*s$/)
    expect(fact(summary, 'Duration').text).toMatch(/^[1-9]\d*s$/)
    expect(summary.text).not.toMatch(/Likely cause/)
  })

  it('of a failure: the failed phase’s status and CodeBuild’s message in its row; no secret', async () => {
    s = await standIn([presets.failure({ lines: 5, everyMs: 5 })])
    const r = await run(s, SECRET_INPUTS)
    expect(r.code).toBe(1)
    const [build] = s.startedBuilds(PROJECT)
    if (!build) throw new Error('no build was started')
    expect(s.callsOf('StartBuild')).toHaveLength(1)
    expect(r.streamed).toEqual(logLines(build))
    expect(r.outputs['build-status']).toBe('FAILED')

    const summary = expectBuildSummary(r, build, 'FAILED', 'BUILD', lastOutputLines(build))
    expect(summary.code[0]?.text).toMatch(/relation "users" does not exist$/)
    expectPromptEnd(s, build)
    expect(summary.facts.has('Command')).toBe(false)
    const row = summary.phases?.rows.find(cells => cells[0]?.text === 'BUILD')
    expect(row?.[1]?.text).toMatch(/FAILED$/)
    expect(row?.[3]?.text).toBe(`COMMAND_EXECUTION_ERROR: ${build.failureContext()?.message}`)
    expect(row?.[3]?.text).toMatch(/^COMMAND_EXECUTION_ERROR: Error while executing command: .*docker run .*\. Reason: exit status 1$/)
    // Phases after the failure are listed with their own status.
    expect(summary.phases?.rows.map(cells => cells[0]?.text)).toEqual(expect.arrayContaining(['POST_BUILD', 'FINALIZING']))
  })

  it('of a cancelled run: the build it stopped, its links and why; no secret', async () => {
    s = await standIn([presets.longRunning({ runMs: 30_000, everyMs: 20 })])
    let signalled = false
    const r = await run(s, SECRET_INPUTS, {
      onLine: (line, child) => {
        if (!signalled && line.text === 'task line 000002') {
          signalled = true
          child.kill('SIGTERM')
        }
      }
    })
    expect(signalled).toBe(true)
    expect(r.code).toBe(1)
    const [build] = s.startedBuilds(PROJECT)
    if (!build) throw new Error('no build was started')
    expect(s.callsOf('StopBuild').map(c => c.request.id)).toEqual([build.id])
    expect(r.outputs['build-status']).toBe('STOPPED')
    const why = `Stopped build ${build.id} because the workflow was cancelled.`
    expect(errorAnnotations(r)).toEqual([{ title: undefined, message: why }])

    const summary = readSummary(r.summary)
    expect(summary.headings).toHaveLength(1)
    expect(summary.headings[0]).toMatch(/CodeBuild migrate: STOPPED$/)
    expect(fact(summary, 'Task').text).toBe('migrate')
    expect(fact(summary, 'Project').text).toBe(PROJECT)
    expect(fact(summary, 'Image').text).toBe(IMAGE)
    expect(fact(summary, 'Build').text).toBe(`#\u200B${build.buildNumber} ${build.id}`)
    expect(fact(summary, 'Links').links).toEqual([
      { text: 'build', href: buildUrl(PROJECT, build.id) },
      { text: 'log', href: logUrl(PROJECT, build.id) }
    ])
    expect(fact(summary, 'Status').text).toMatch(/(^|\s)STOPPED$/)
    expect(summary.text).toContain(why)
    expectNoSecret(r)
  })

  it('of a dry run: the request as JSON and the buildspec, no build; nothing secret', async () => {
    s = await standIn([presets.success()])
    const r = await run(s, { ...SECRET_INPUTS, 'dry-run': 'true', command: 'npx prisma migrate deploy' })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(s.callsOf('StartBuild')).toHaveLength(0)
    expect(s.startedBuilds()).toHaveLength(0)
    expect(s.calls.map(c => c.operation)).toEqual(['BatchGetProjects'])
    expect(r.outputs).toEqual({})

    // The request as the workflow log shows it (printed with commands off), up to the buildspec's group.
    const out = r.stdout.split('\n').filter(l => !/^::(stop-commands::cbvta-[0-9a-f]{32}|cbvta-[0-9a-f]{32}::)$/.test(l))
    const from = out.findIndex(l => l.startsWith('Dry run: nothing is started.'))
    const to = out.findIndex(l => l.startsWith('::group::Buildspec'))
    expect(from).toBeGreaterThanOrEqual(0)
    expect(to).toBeGreaterThan(from)
    const printed = JSON.parse(out.slice(from + 1, to).join('\n')) as {
      projectName: string
      environmentVariablesOverride: Array<{ name: string; value: string }>
    }
    expect(printed.projectName).toBe(PROJECT)

    const summary = readSummary(r.summary)
    expect(summary.headings).toHaveLength(1)
    expect(summary.headings[0]).toMatch(/CodeBuild migrate: DRY RUN$/)
    expect([...summary.facts.keys()]).toEqual(['Task', 'Project', 'Region', 'Image', 'Command', 'Commit', 'Run'])
    expect(fact(summary, 'Task').text).toBe('migrate')
    expect(fact(summary, 'Project').text).toBe(PROJECT)
    expect(fact(summary, 'Region').text).toBe(REGION)
    expect(fact(summary, 'Image').text).toBe(IMAGE)
    expect(fact(summary, 'Command').text).toBe('npx prisma migrate deploy')
    expect(summary.tables).toHaveLength(1)
    expect(summary.text).toMatch(/nothing was started/)
    // The request, as a reader of the summary sees it, is the request printed on stdout.
    expect(summary.code.map(c => c.lang)).toEqual(['json', 'yaml'])
    const shown = JSON.parse(summary.code[0]?.text ?? '') as typeof printed
    expect(shown).toEqual(printed)
    const variables = Object.fromEntries(shown.environmentVariablesOverride.map(v => [v.name, v.value]))
    expect(variables).toMatchObject({ TASK: 'migrate', IMAGE_URI: IMAGE, CBVT_VAR_API_TOKEN: '***', CBVT_VAR_LOG_LEVEL: 'debug' })
    expect(summary.code[1]?.text).toBe(readFileSync(path.join(ROOT, 'buildspecs', 'migrate.yml'), 'utf8'))
    expectNoSecret(r)
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 2. Groups
// ---------------------------------------------------------------------------------------------------------------

const PULL_LINES = [
  '2026.11.25-1: Pulling from app-backend',
  'a2318d6c47ec: Pulling fs layer',
  '3b8e4e1a7f23: Pulling fs layer',
  'a2318d6c47ec: Download complete',
  'a2318d6c47ec: Pull complete',
  '3b8e4e1a7f23: Pull complete',
  `Digest: sha256:${'ab'.repeat(32)}`,
  `Status: Downloaded newer image for ${IMAGE}`
]

describe('groups', () => {
  it('fold the build’s setup (provisioning to pre_build) and never the task’s output; balanced', async () => {
    s = await standIn([presets.success({ lines: 20, everyMs: 5, preBuild: preBuildCommands({ pullLines: PULL_LINES }) })])
    const r = await run(s)
    expect(r.code).toBe(0)
    const [build] = s.startedBuilds(PROJECT)
    expect(r.streamed).toEqual(logLines(build))

    const { lines, groups } = placeLines(r.stdout)
    // The same reading of stdout as the runner's.
    const log = readWorkflowLog(r.stdout)
    expect(lines.map(l => l.text)).toEqual(log.guarded)
    expect(groups).toEqual(log.commands.filter(c => c.command === 'group').map(c => c.message))
    expect(log.commands.filter(c => c.command === 'endgroup')).toHaveLength(groups.length)
    expect(groups).toEqual([
      'CodeBuild: provisioning',
      'CodeBuild: DOWNLOAD_SOURCE phase',
      'CodeBuild: INSTALL phase',
      'CodeBuild: PRE_BUILD phase'
    ])

    const groupOf = (text: string): string | undefined => {
      const found = lines.filter(l => l.text === text || l.text.endsWith(` ${text}`))
      expect(found).toHaveLength(1)
      return found[0]?.group
    }
    expect(groupOf('Waiting for agent ping')).toBe('CodeBuild: provisioning')
    expect(groupOf('Phase is DOWNLOAD_SOURCE')).toBe('CodeBuild: DOWNLOAD_SOURCE phase')
    expect(groupOf('Entering phase INSTALL')).toBe('CodeBuild: INSTALL phase')
    expect(groupOf('Entering phase PRE_BUILD')).toBe('CodeBuild: PRE_BUILD phase')
    expect(groupOf('Running command docker pull "$IMAGE_URI"')).toBe('CodeBuild: PRE_BUILD phase')
    for (const line of [...PULL_LINES, 'Login Succeeded', 'Phase complete: PRE_BUILD State: SUCCEEDED']) {
      expect(groupOf(line)).toBe('CodeBuild: PRE_BUILD phase')
    }
    expect(groupOf('Entering phase BUILD')).toBeUndefined()
    for (const line of taskLineTexts(20)) expect(groupOf(line)).toBeUndefined()

    // Everything before BUILD is folded, everything from it on is not.
    const buildAt = lines.findIndex(l => l.text.endsWith(' Entering phase BUILD'))
    expect(buildAt).toBeGreaterThan(0)
    expect(lines.slice(0, buildAt).filter(l => l.group === undefined)).toEqual([])
    expect(lines.slice(buildAt).filter(l => l.group !== undefined)).toEqual([])
    expect(lines.slice(buildAt).map(l => l.text)).toEqual(expect.arrayContaining(['task line 000000', 'task line 000019']))
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 3. The error annotation of each failing status
// ---------------------------------------------------------------------------------------------------------------

interface StatusCase {
  script: BuildScript
  status: string
  title: string
  /** The whole failure annotation's message after `Build <id> of <project> ended <STATUS>`. */
  message: (build: BuildView) => string
  /** Stops the build from the console when this line is printed. */
  stopAt?: string
  diagnosis?: string
}

const STATUS_CASES: Record<string, StatusCase> = {
  'FAILED in BUILD': {
    script: presets.failure({ lines: 3, everyMs: 5 }),
    status: 'FAILED',
    title: 'migrate FAILED in phase BUILD',
    message: build => ` in phase BUILD: COMMAND_EXECUTION_ERROR: ${build.failureContext()?.message}`
  },
  'FAILED in PRE_BUILD': {
    script: presets.pullFailure(),
    status: 'FAILED',
    title: 'migrate FAILED in phase PRE_BUILD',
    message: () =>
      ' in phase PRE_BUILD: COMMAND_EXECUTION_ERROR: Error while executing command: docker pull "$IMAGE_URI". Reason: exit status 1'
  },
  FAULT: {
    script: presets.provisioningFailure({ status: 'FAULT' }),
    status: 'FAULT',
    title: 'migrate FAULT in phase PROVISIONING',
    message: () =>
      ' in phase PROVISIONING: CLIENT_ERROR: VPC_CLIENT_ERROR: Unexpected EC2 error: UnauthorizedOperation: You are not authorized to perform this operation.'
  },
  TIMED_OUT: {
    script: presets.timedOut({ timeoutAtMs: 400 }),
    status: 'TIMED_OUT',
    title: 'migrate TIMED_OUT in phase BUILD',
    message: () => ' in phase BUILD: BUILD_TIMED_OUT: Build has timed out.',
    diagnosis: 'timeout'
  },
  STOPPED: {
    script: presets.longRunning({ runMs: 30_000, everyMs: 20 }),
    status: 'STOPPED',
    title: 'migrate STOPPED in phase BUILD',
    message: () => ' in phase BUILD: the build was stopped',
    stopAt: 'task line 000002'
  }
}

/** Runs each case on its own project of one stand-in, all at once. */
async function runConcurrently<C extends { script: BuildScript; stopAt?: string; inputs?: Record<string, string> }>(
  cases: Record<string, C>
): Promise<{ standIn: StandIn; runs: Map<string, { run: E2ERun; build: BuildView; project: string }> }> {
  const names = Object.keys(cases)
  const project = (i: number): string => `${PROJECT}-${i}`
  const shared = await startStandIn({
    seed: 7,
    timeScale: TIME_SCALE,
    projects: names.map((name, i) => vpcProject([(cases[name] as C).script], { name: project(i) }))
  })
  const results = await Promise.all(
    names.map(async (name, i) => {
      const c = cases[name] as C
      const stopAt = c.stopAt
      const r = await run(
        shared,
        { 'project-name': project(i), ...c.inputs },
        stopAt
          ? {
              onLine: line => {
                if (line.text === stopAt) shared.startedBuilds(project(i))[0]?.stop()
              }
            }
          : {}
      )
      const [build, ...others] = shared.startedBuilds(project(i))
      if (!build) throw new Error(`${name}: no build was started`)
      expect(others).toEqual([])
      return [name, { run: r, build, project: project(i) }] as const
    })
  )
  return { standIn: shared, runs: new Map(results) }
}

describe('the error annotation of a failed build', () => {
  let batch: Awaited<ReturnType<typeof runConcurrently<StatusCase>>> | undefined
  beforeAll(async () => {
    batch = await runConcurrently(STATUS_CASES)
  })
  afterAll(async () => {
    await batch?.standIn.close()
  })

  it.each(Object.keys(STATUS_CASES))('%s: one annotation titled task, status and phase, with CodeBuild’s message', name => {
    const c = STATUS_CASES[name] as StatusCase
    const result = batch?.runs.get(name)
    if (!result) throw new Error(`${name} did not run`)
    const { run: r, build } = result
    expect(r.stderr).toBe('')
    expect(r.code).toBe(1)
    expect(build.finalStatus).toBe(c.status)
    expect(r.outputs['build-status']).toBe(c.status)
    expect(r.outputs['build-id']).toBe(build.id)
    expect(r.streamed).toEqual(logLines(build))
    const { failure, diagnosis } = expectFailureAnnotations(r, build, c.title, c.diagnosis)
    if (build.finalStatus === 'FAILED') expectPromptEnd(batch?.standIn as StandIn, build)
    expect(failure.message).toBe(`Build ${build.id} of ${result.project} ended ${c.status}${c.message(build)}${lastLinesSuffix(build)}`)
    if (c.diagnosis) expect(diagnosis?.message).toMatch(/^Likely cause: /)
    // The action itself never stopped a build here: the one STOPPED was stopped from the console.
    expect(batch?.standIn.callsOf('StopBuild').filter(call => call.request.id === build.id)).toEqual([])
    expect(batch?.standIn.callsOf('StartBuild').filter(call => call.request.projectName === result.project)).toHaveLength(1)
    expect(readSummary(r.summary).headings[0]).toMatch(new RegExp(`CodeBuild migrate: ${c.status}$`))
  })

  it('FAILED in BUILD: CodeBuild’s own message names the command and its exit status', () => {
    const result = batch?.runs.get('FAILED in BUILD')
    const [failure] = errorAnnotations(result?.run as E2ERun)
    expect(failure?.message.split('\n')[0]).toMatch(
      /COMMAND_EXECUTION_ERROR: Error while executing command: out=.*; args=\(--rm -v .* -e DATABASE_URL .*\); .*eval .* && docker run "\$\{args\[@\]\}" "\$IMAGE_URI" "\$@"\. Reason: exit status 1$/
    )
    // The whole command, not cut in the middle: short enough for the annotation.
    expect(failure?.message).toContain('args+=(-e "$name=${!v}")')
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 4. A diagnosis for each known failure
// ---------------------------------------------------------------------------------------------------------------

const ROLE = 'arn:aws:sts::123456789012:assumed-role/app-codebuild-role/AWSCodeBuild-7f1d2e3c'
const DB_HOST = 'app-db.cluster-c1a2b3c4d5e6.us-east-1.rds.amazonaws.com'
const REPOSITORY = '123456789012.dkr.ecr.us-east-1.amazonaws.com/app-backend'

const loginFails = (output: string[]): BuildScript['preBuild'] => [{ command: /get-login-password|docker login/, output, exitStatus: 1 }]
const pullFails = (output: string[]): BuildScript['preBuild'] => [
  ...preBuildCommands().slice(0, 1),
  { command: /docker pull/, output, exitStatus: 1 }
]
const taskFails = (output: string[]): BuildScript => presets.failure({ output })

interface DiagnosisCase {
  script: BuildScript
  title: string
  /** What the fix must name. */
  fix: Array<string | RegExp>
  /** Part of the evidence. */
  evidence: string | RegExp
}

/** One failing build per entry of KNOWN_FAILURES, its log (or phase, or status) carrying a realistic excerpt. */
const DIAGNOSIS_CASES: Record<string, DiagnosisCase> = {
  'docker-daemon': {
    script: presets.success({
      preBuild: loginFails(['Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?'])
    }),
    title: 'migrate FAILED in phase PRE_BUILD',
    fix: ['privilegedMode'],
    evidence: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock'
  },
  'vpc-endpoint': {
    script: presets.success({
      preBuild: loginFails([
        '',
        'Connect timeout on endpoint URL: "https://api.ecr.us-east-1.amazonaws.com/"',
        'Error: Cannot perform an interactive login from a non TTY device'
      ])
    }),
    title: 'migrate FAILED in phase PRE_BUILD',
    fix: ['VPC endpoint', 'com.amazonaws.us-east-1.ecr.api', 'NAT'],
    evidence: 'Connect timeout on endpoint URL'
  },
  'secret-access': {
    // CodeBuild reads the project's SECRETS_MANAGER variables before the buildspec runs.
    script: {
      fault: {
        phase: 'DOWNLOAD_SOURCE',
        statusCode: 'Secrets Manager Error',
        message: `AccessDeniedException: User: ${ROLE} is not authorized to perform: secretsmanager:GetSecretValue on resource: prod/database-url because no identity-based policy allows the secretsmanager:GetSecretValue action`
      }
    },
    title: 'migrate FAILED in phase DOWNLOAD_SOURCE',
    fix: ['secretsmanager:GetSecretValue', 'prod/database-url', 'app-codebuild-role'],
    evidence: 'is not authorized to perform: secretsmanager:GetSecretValue'
  },
  'ecr-pull': {
    script: presets.success({
      preBuild: pullFails([
        `Error response from daemon: pull access denied for ${REPOSITORY}, repository does not exist or may require 'docker login': denied: User: ${ROLE} is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:123456789012:repository/app-backend because no identity-based policy allows the ecr:BatchGetImage action`
      ])
    }),
    title: 'migrate FAILED in phase PRE_BUILD',
    fix: ['ECR pull permissions', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'app-codebuild-role'],
    evidence: 'pull access denied'
  },
  // Image mode: CodeBuild's pull of the image fails PROVISIONING, before any log (the message as
  // awslabs/aws-codebuild-jenkins-plugin#106 and kalrish/aws-csgo#6 quote it).
  'environment-pull': {
    script: {
      fault: {
        phase: 'PROVISIONING',
        statusCode: 'CLIENT_ERROR',
        message: `BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE: Unable to pull customer's container image. CannotPullContainerError: Error response from daemon: pull access denied for ${REPOSITORY}, repository does not exist or may require 'docker login': denied: User: ${ROLE} is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:123456789012:repository/app-backend`
      }
    },
    title: 'migrate FAILED in phase PROVISIONING',
    fix: ['ecr:BatchGetImage', 'app-codebuild-role'],
    evidence: 'BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE'
  },
  // An image without a shell: CodeBuild's wording is unknown; Docker's (GoogleContainerTools/distroless#891).
  'no-shell': {
    script: taskFails(['exec: "/bin/sh": stat /bin/sh: no such file or directory']),
    title: 'migrate FAILED in phase BUILD',
    fix: ['/bin/sh', 'run-in: container'],
    evidence: 'exec: "/bin/sh": stat /bin/sh'
  },
  'wrong-architecture': {
    script: taskFails([
      "WARNING: The requested image's platform (linux/arm64/v8) does not match the detected host platform (linux/amd64/v3) and no specific platform was requested",
      'exec /usr/local/bin/docker-entrypoint.sh: exec format error'
    ]),
    title: 'migrate FAILED in phase BUILD',
    fix: ['--platform linux/amd64'],
    evidence: 'does not match the detected host platform'
  },
  'database-unreachable': {
    script: taskFails([
      'Prisma schema loaded from prisma/schema.prisma',
      `Datasource "db": PostgreSQL database "app", schema "public" at "${DB_HOST}:5432"`,
      '',
      `Error: P1001: Can't reach database server at \`${DB_HOST}\`:\`5432\``,
      '',
      `Please make sure your database server is running at \`${DB_HOST}\`:\`5432\`.`
    ]),
    title: 'migrate FAILED in phase BUILD',
    fix: ['port 5432', 'security group'],
    evidence: "Can't reach database server at"
  },
  'command-not-found': {
    script: taskFails([
      'node:internal/modules/cjs/loader:1228',
      '  throw err;',
      '  ^',
      '',
      "Error: Cannot find module '/app/dist/migrate.js'",
      '    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)',
      '    at node:internal/main/run_main_module:28:49 {',
      "  code: 'MODULE_NOT_FOUND',",
      '  requireStack: []',
      '}',
      '',
      'Node.js v22.11.0'
    ]),
    title: 'migrate FAILED in phase BUILD',
    fix: ["the task's command"],
    evidence: "Cannot find module '/app/dist/migrate.js'"
  },
  'source-misconfigured': {
    script: presets.downloadSourceFailure({ message: 'repository not found for primary source and source version refs/heads/main' }),
    title: 'migrate FAILED in phase DOWNLOAD_SOURCE',
    fix: ['NO_SOURCE'],
    evidence: 'DOWNLOAD_SOURCE CLIENT_ERROR: repository not found'
  },
  timeout: {
    script: presets.timedOut({
      timeoutAtMs: 400,
      output: [
        'Prisma schema loaded from prisma/schema.prisma',
        '3 migrations found in prisma/migrations',
        'Applying migration `20261125093000_add_orders_created_at_index`'
      ]
    }),
    title: 'migrate TIMED_OUT in phase BUILD',
    fix: ['timeout-minutes'],
    evidence: /timed out/i
  }
}

describe('the diagnosis annotation', () => {
  let batch: Awaited<ReturnType<typeof runConcurrently<DiagnosisCase>>> | undefined
  beforeAll(async () => {
    batch = await runConcurrently(DIAGNOSIS_CASES)
  })
  afterAll(async () => {
    await batch?.standIn.close()
  })

  it('has an end-to-end case for every known failure, and none for an unknown one', () => {
    const ids = KNOWN_FAILURES.map(f => f.id)
    expect(Object.keys(DIAGNOSIS_CASES).sort()).toEqual([...ids].sort())
  })

  it.each(KNOWN_FAILURES.map(f => f.id))('%s: a second annotation names the cause and the fix', id => {
    const c = DIAGNOSIS_CASES[id]
    if (!c) throw new Error(`no end-to-end case for the known failure ${id}: add one to DIAGNOSIS_CASES`)
    const known = KNOWN_FAILURES.find(f => f.id === id)
    const result = batch?.runs.get(id)
    if (!known || !result) throw new Error(`${id} did not run`)
    const { run: r, build } = result
    expect(r.stderr).toBe('')
    expect(r.code).toBe(1)
    expect(r.streamed).toEqual(logLines(build))
    expect(r.outputs['build-status']).toBe(build.finalStatus)
    const { diagnosis } = expectFailureAnnotations(r, build, c.title, id)
    if (build.finalStatus === 'FAILED') expectPromptEnd(batch?.standIn as StandIn, build)
    const [cause, fix, evidence, ...rest] = diagnosis?.message.split('\n') ?? []
    expect(rest).toEqual([])
    expect(cause).toBe(`Likely cause: ${known.title}. ${known.cause}`)
    expect(fix).toMatch(/^Fix: /)
    for (const part of c.fix) {
      if (typeof part === 'string') expect(fix).toContain(part)
      else expect(fix).toMatch(part)
    }
    expect(evidence).toMatch(/^Evidence: /)
    if (typeof c.evidence === 'string') expect(evidence).toContain(c.evidence)
    else expect(evidence).toMatch(c.evidence)
    // The summary says it too.
    const summary = readSummary(r.summary)
    expect(summary.text).toContain(`Likely cause: ${known.cause}`)
    expect(summary.text).toContain(`Fix: ${fix?.slice('Fix: '.length)}`)
  })
})

// ---------------------------------------------------------------------------------------------------------------
// 5. No diagnosis for a build that succeeded
// ---------------------------------------------------------------------------------------------------------------

describe('a successful build whose log looks like a known failure', () => {
  it('gets no diagnosis and no error', async () => {
    s = await standIn([
      presets.success({
        output: [
          'migrate: 2 pending migrations',
          '== 20261125093000_add_module_not_found_flag: migrating',
          "warn: optional module not found: 'pg-native', using the JavaScript driver",
          'warn: connection timed out (attempt 1 of 5), retrying in 100 ms',
          '== 20261125093000_add_module_not_found_flag: migrated (0.0421s)',
          'migrate: done, 2 migrations applied'
        ]
      })
    ])
    const r = await run(s)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const [build] = s.startedBuilds(PROJECT)
    expect(build?.finalStatus).toBe('SUCCEEDED')
    expect(r.streamed).toEqual(logLines(build))
    expect(r.streamed).toContain("warn: optional module not found: 'pg-native', using the JavaScript driver")
    expect(r.outputs['build-status']).toBe('SUCCEEDED')
    expect(errorAnnotations(r)).toEqual([])
    expect(r.warnings).toEqual([])
    expect(r.stdout).not.toMatch(/known failure|Likely cause/)
    expect(readSummary(r.summary).text).not.toMatch(/Likely cause|Fix:/)
  })
})
