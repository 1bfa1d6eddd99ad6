/** The public entry of src/core/backup: what the rest of src/ may use. */
export type { BackupDeps, BackupReport } from './backup.js'
