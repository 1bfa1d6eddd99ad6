export const WORKFLOW_ONLY: string[]
export function renderFlags(actionYamlText: string): string
export function generatedFiles(): import('./lib/generated.mjs').GeneratedFile[]
