// Types of scripts/sources-hash.mjs, for the TypeScript tests that import it.
export declare function staleDistReason(): string | undefined
