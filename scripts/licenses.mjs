// licenses.txt for a bundle, from ncc's webpack stats: every package whose code is in the bundle, its chunks
// included, with its license name and text (ncc's own --license writes one file per chunk under the same name, so a
// bundle with a lazily loaded chunk would list that chunk's packages only).
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'

/** The directories of the packages that contributed modules, from a stats file written by `ncc --stats-out`. */
function packageDirs(statsFile) {
  const stats = JSON.parse(readFileSync(statsFile, 'utf8'))
  const dirs = new Set()
  const walk = modules => {
    for (const m of modules ?? []) {
      walk(m.modules)
      // The resource is the identifier's last `!` part (loaders come first).
      const resource = (m.identifier ?? '').split('!').pop().split('|')[0]
      const at = resource.lastIndexOf('/node_modules/')
      if (at < 0) continue
      const rest = resource.slice(at + '/node_modules/'.length).split('/')
      const name = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
      dirs.add(resource.slice(0, at + '/node_modules/'.length) + name)
    }
  }
  walk(stats.modules)
  return [...dirs]
}

function licenseText(dir) {
  const file = readdirSync(dir).find(f => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f))
  return file ? readFileSync(path.join(dir, file), 'utf8') : undefined
}

/** The text of licenses.txt: for each package (by name), its name, its license and the license's text. */
export function licensesFor(statsFile) {
  const entries = packageDirs(statsFile)
    .filter(dir => existsSync(path.join(dir, 'package.json')))
    .map(dir => {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))
      return { name: pkg.name, license: typeof pkg.license === 'string' ? pkg.license : 'UNKNOWN', text: licenseText(dir) }
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const seen = new Set()
  const parts = []
  for (const e of entries) {
    if (seen.has(e.name)) continue
    seen.add(e.name)
    parts.push([e.name, e.license, e.text].filter(x => x !== undefined).join('\n'))
  }
  return parts.join('\n\n')
}
