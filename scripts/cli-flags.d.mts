export const WORKFLOW_ONLY: string[]
export function renderFlags(actionYamlText: string): string
