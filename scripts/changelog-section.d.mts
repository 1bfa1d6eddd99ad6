// Types of scripts/changelog-section.mjs, for the TypeScript tests that import it.
export declare function normalizeVersion(version: string): string
export declare function changelogSection(changelog: string, version: string): string
