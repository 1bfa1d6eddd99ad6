#!/usr/bin/env node
// Prints one version's section of CHANGELOG.md (Keep a Changelog format): the release notes the
// release workflow publishes for a tag.
//
// Usage: node scripts/changelog-section.mjs <vX.Y.Z | X.Y.Z | Unreleased> [CHANGELOG.md]
// Exits 1 when the version has no section, or its section is empty: a tag is released only after
// its changes were written down.
import { readFileSync, realpathSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const SEMVER = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/

/** `v1.2.3` → `1.2.3`; `Unreleased` stays; anything else is refused. */
export function normalizeVersion(version) {
  const text = String(version ?? '').trim()
  if (/^unreleased$/i.test(text)) return 'Unreleased'
  const match = SEMVER.exec(text)
  if (!match) throw new Error(`'${text}' is not a version (expected vX.Y.Z, X.Y.Z or Unreleased)`)
  return match[1]
}

/** The version a level-2 heading names: `## [1.2.3] - 2026-01-31`, `## 1.2.3`, `## [Unreleased]`. */
function headingVersion(line) {
  const match = /^##\s+\[?([^\]\s]+)\]?(?:\s|$)/.exec(line)
  return match ? match[1] : undefined
}

/**
 * The body of `version`'s section, without its heading, up to the next level-2 heading; link
 * reference definitions that close the file (`[1.2.3]: https://…`) are not part of it.
 */
export function changelogSection(changelog, version) {
  const wanted = normalizeVersion(version)
  const lines = changelog.replace(/\r\n/g, '\n').split('\n')
  const start = lines.findIndex(line => {
    const named = headingVersion(line)
    return named !== undefined && (wanted === 'Unreleased' ? /^unreleased$/i.test(named) : named.replace(/^v/, '') === wanted)
  })
  if (start === -1) throw new Error(`CHANGELOG has no section for ${wanted} (a heading '## [${wanted}] - YYYY-MM-DD')`)
  let end = lines.findIndex((line, i) => i > start && /^##\s/.test(line))
  if (end === -1) end = lines.length
  const body = lines.slice(start + 1, end)
  while (body.length && (body.at(-1).trim() === '' || /^\[[^\]]+\]:\s*\S+/.test(body.at(-1)))) body.pop()
  while (body.length && body[0].trim() === '') body.shift()
  if (body.length === 0) throw new Error(`CHANGELOG's section for ${wanted} is empty`)
  return body.join('\n') + '\n'
}

function main(argv) {
  const [version, file = 'CHANGELOG.md'] = argv
  if (!version) {
    console.error('usage: node scripts/changelog-section.mjs <vX.Y.Z | X.Y.Z | Unreleased> [CHANGELOG.md]')
    return 2
  }
  try {
    process.stdout.write(changelogSection(readFileSync(path.resolve(file), 'utf8'), version))
    return 0
  } catch (error) {
    console.error(`changelog-section: ${error.message}`)
    return 1
  }
}

if (process.argv[1] && realpathSync(fileURLToPath(import.meta.url)) === realpathSync(process.argv[1])) {
  process.exitCode = main(process.argv.slice(2))
}
