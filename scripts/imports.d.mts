// Types of scripts/imports.mjs, for the TypeScript tests that import it.
export declare function importGraph(dir: string): Map<string, string[]>
export declare function cycles(graph: Map<string, string[]>): string[][]
export declare function folderGraph(dir: string, graph: Map<string, string[]>): Map<string, string[]>
export declare function layoutBreaks(dir: string, graph: Map<string, string[]>): Array<[string, string, string]>
