// Types of scripts/readme-tables.mjs, for the TypeScript tests that import it.
export declare const ACTION_PLACEHOLDER: string
export declare function parseAction(actionYamlText: string): {
  inputs: Record<string, { description?: string; required?: boolean; default?: string }>
  outputs: Record<string, { description?: string }>
}
export declare function inputsTable(actionYamlText: string): string
export declare function outputsTable(actionYamlText: string): string
export declare function exampleBlock(workflowText: string): string
export declare function replaceBetween(text: string, key: string, content: string): string
export declare function embeddedExamples(readmeText: string): string[]
export declare function renderReadme(readmeText: string, actionYamlText: string, examples?: Record<string, string>): string
export declare function lineDiff(actual: string, expected: string, label?: string, source?: string): string
export declare function actionReferences(text: string): string[]
export declare function actionStepProblems(workflowText: string, actionYamlText: string, file?: string, allowed?: string[]): string[]
export declare function exampleWorkflows(): Record<string, string>
export declare function generatedFiles(): import('./lib/generated.mjs').GeneratedFile[]
