// Types of scripts/action-names.mjs, for the TypeScript scripts and tests that import it.
export declare function constantKey(name: string): string
export declare function renderNames(actionYamlText: string): string
export declare function generatedFiles(): import('./lib/generated.mjs').GeneratedFile[]
