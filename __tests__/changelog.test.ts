/**
 * scripts/changelog-section.mjs: the release workflow's notes are the tag's section of CHANGELOG.md,
 * and a tag without a written section is not released.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { changelogSection, normalizeVersion } from '../scripts/changelog-section.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const script = path.join(root, 'scripts', 'changelog-section.mjs')

const CHANGELOG = `# Changelog

Intro text.

## [Unreleased]

### Added

- Something new.

## [1.2.30] - 2026-03-01

### Fixed

- Not the one asked for.

## [1.2.3] - 2026-02-01

### Added

- Feature A.
- Feature B, see [#12].

### Fixed

- Bug C.

## 1.0.0 - 2026-01-01

- First release.

[Unreleased]: https://example.com/compare/v1.2.30...HEAD
[1.2.30]: https://example.com/compare/v1.2.3...v1.2.30
[#12]: https://example.com/issues/12
`

describe('changelogSection', () => {
  test('returns the section of a tag, without its heading, up to the next version', () => {
    expect(changelogSection(CHANGELOG, 'v1.2.3')).toBe('### Added\n\n- Feature A.\n- Feature B, see [#12].\n\n### Fixed\n\n- Bug C.\n')
  })

  test('takes the version with or without v, and matches it exactly (1.2.3 is not 1.2.30)', () => {
    expect(changelogSection(CHANGELOG, '1.2.3')).toBe(changelogSection(CHANGELOG, 'v1.2.3'))
    expect(changelogSection(CHANGELOG, 'v1.2.30')).toBe('### Fixed\n\n- Not the one asked for.\n')
  })

  test('the last section leaves out the link reference definitions that close the file', () => {
    expect(changelogSection(CHANGELOG, 'v1.0.0')).toBe('- First release.\n')
  })

  test('reads Unreleased, and CRLF files', () => {
    expect(changelogSection(CHANGELOG, 'Unreleased')).toBe('### Added\n\n- Something new.\n')
    expect(changelogSection(CHANGELOG.replace(/\n/g, '\r\n'), 'v1.0.0')).toBe('- First release.\n')
  })

  test('a version without a section, an empty section or a tag that is not a version is an error', () => {
    expect(() => changelogSection(CHANGELOG, 'v2.0.0')).toThrow(/no section for 2\.0\.0/)
    expect(() => changelogSection('## [1.0.0] - 2026-01-01\n\n## [0.9.0]\n- x\n', 'v1.0.0')).toThrow(/section for 1\.0\.0 is empty/)
    expect(() => changelogSection(CHANGELOG, 'v1')).toThrow(/not a version/)
    expect(() => normalizeVersion('latest')).toThrow(/not a version/)
    expect(normalizeVersion('v1.2.3-rc.1')).toBe('1.2.3-rc.1')
  })

  test("the repository's CHANGELOG.md has an Unreleased section with entries", () => {
    const section = changelogSection(readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8'), 'Unreleased')
    expect(section).toMatch(/^### (Added|Changed|Deprecated|Removed|Fixed|Security)$/m)
    expect(section).toMatch(/^- /m)
  })
})

describe('node scripts/changelog-section.mjs', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'changelog-'))
    writeFileSync(path.join(dir, 'CHANGELOG.md'), CHANGELOG)
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const run = (...args: string[]): { status: number; stdout: string; stderr: string } => {
    try {
      return {
        status: 0,
        stdout: execFileSync(process.execPath, [script, ...args], { cwd: dir, encoding: 'utf8', stdio: 'pipe' }),
        stderr: ''
      }
    } catch (error) {
      const e = error as { status: number; stdout: string; stderr: string }
      return { status: e.status, stdout: e.stdout, stderr: e.stderr }
    }
  }

  test('prints the section and exits 0', () => {
    expect(run('v1.0.0')).toEqual({ status: 0, stdout: '- First release.\n', stderr: '' })
  })

  test('exits 1 with a message when the tag has no section, 2 without arguments', () => {
    const missing = run('v9.9.9', 'CHANGELOG.md')
    expect(missing.status).toBe(1)
    expect(missing.stdout).toBe('')
    expect(missing.stderr).toMatch(/no section for 9\.9\.9/)
    expect(run().status).toBe(2)
  })
})
