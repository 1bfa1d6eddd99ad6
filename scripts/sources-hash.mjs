// What dist/ is built from, as one hash: every file under src/, package-lock.json (the bundled dependencies'
// versions) and tsconfig.json. `npm run bundle` writes it to dist/sources.sha256; the end-to-end tests, which run
// dist/, refuse to run when it differs from the sources' hash now (dist/ would be stale: src/ changed since).
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const SOURCES_HASH_FILE = path.join(ROOT, 'dist', 'sources.sha256')

function filesUnder(dir) {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true })
    .flatMap(e => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]))
    .sort()
}

/** sha256 of the sources' relative paths and contents (line endings as committed). */
export function sourcesHash() {
  const hash = createHash('sha256')
  for (const file of [...filesUnder('src'), 'package-lock.json', 'tsconfig.json']) {
    hash.update(`${file.split(path.sep).join('/')}\0`)
    hash.update(readFileSync(path.join(ROOT, file)))
    hash.update('\0')
  }
  return hash.digest('hex')
}

/** Why dist/ cannot be trusted to be the current sources, or undefined when it is built from them. */
export function staleDistReason() {
  if (!existsSync(SOURCES_HASH_FILE)) return 'dist/sources.sha256 is missing: dist/ was not made by `npm run bundle`'
  const built = readFileSync(SOURCES_HASH_FILE, 'utf8').trim()
  if (built !== sourcesHash())
    return 'dist/ is older than src/: it was bundled from other sources (src/, package-lock.json or tsconfig.json changed since)'
  return undefined
}
