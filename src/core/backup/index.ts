/**
 * The public entry of src/core/backup: what the rest of src/ may use. Its values are loaded lazily (run/gate.ts
 * imports this entry with import()), so the RDS SDK is a chunk of its own in dist/: keep every static import of it
 * type-only.
 */
export { dryRunBackup, runBackup } from './backup.js'
export type { BackupDeps, BackupReport } from './backup.js'
