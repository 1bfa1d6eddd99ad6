// Types of scripts/lib/generated.mjs, for the TypeScript scripts and tests that import it.
export interface GeneratedFile {
  /** Path from the repository's root. */
  file: string
  text: string
  /** What it is generated from, for the messages. */
  source: string
}
export declare const ROOT: string
export declare function readRepoFile(file: string): string
export declare function isMain(importMetaUrl: string): boolean
export declare function lineDiff(actual: string, expected: string, label?: string, source?: string): string
export declare function writeOrCheck(files: GeneratedFile[], options?: { check?: boolean; log?: (line: string) => void }): 0 | 1
export declare function runGenerator(files: GeneratedFile[], argv?: string[]): void
