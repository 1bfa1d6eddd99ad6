// Types of scripts/cfn-template.mjs, for the TypeScript tests that import it.
import type { Tags } from 'yaml'
export declare function cloudFormationTags(): Tags
export declare const PARAMETER_SETS: Record<string, Record<string, string>>
export declare const PSEUDO_PARAMETERS: Record<string, string>
export declare function expandConditions(template: unknown, parameters: Record<string, string>): Record<string, unknown>
export declare function resolveTemplate(
  template: unknown,
  parameters: Record<string, string>,
  pseudo?: Record<string, string>
): {
  Resources: Record<string, { Type: string; Condition?: string; Properties?: Record<string, unknown> }>
  Outputs: Record<string, unknown>
}
export declare function failedRules(template: unknown, parameters: Record<string, string>): string[]
