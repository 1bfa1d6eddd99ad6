/**
 * A clean `npm ci` behaves the same with any npm: the install scripts package.json's allowScripts refuses (read only
 * by npm >= 11.16) are also off through .npmrc's ignore-scripts (read by every npm), and allowScripts names every
 * package of the lock file that has one.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { ROOT } from './fixtures/root.js'

const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8')

describe('install scripts', () => {
  it('are off for every npm version', () => {
    expect(read('.npmrc')).toMatch(/^ignore-scripts=true$/m)
  })

  it('allowScripts names every package of the lock file with an install script, and allows none', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { hasInstallScript?: boolean }> }
    const withScripts = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([key]) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length))
    const allow = (JSON.parse(read('package.json')) as { allowScripts: Record<string, boolean> }).allowScripts
    expect(Object.keys(allow).sort()).toEqual([...new Set(withScripts)].sort())
    expect(Object.values(allow).every(v => v === false)).toBe(true)
  })
})
