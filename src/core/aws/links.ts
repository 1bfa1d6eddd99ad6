/** Console links for a build. */

function consoleHost(region: string, partition: string): string {
  if (partition === 'aws-cn') return `https://${region}.console.amazonaws.cn`
  if (partition === 'aws-us-gov') return `https://${region}.console.amazonaws-us-gov.com`
  return `https://${region}.console.aws.amazon.com`
}

/** arn:aws:codebuild:us-east-1:123456789012:build/project:uuid → its parts. */
function parseBuildArn(arn: string | undefined): { partition: string; region: string; accountId: string } | undefined {
  const m = /^arn:([^:]+):codebuild:([^:]+):(\d{12}):build\//.exec(arn ?? '')
  return m ? { partition: m[1] as string, region: m[2] as string, accountId: m[3] as string } : undefined
}

export interface BuildLinks {
  build: string
  logs: string
}

export function buildLinks(build: { id?: string; arn?: string; projectName?: string }, region: string): BuildLinks {
  const arn = parseBuildArn(build.arn)
  const host = consoleHost(arn?.region ?? region, arn?.partition ?? 'aws')
  const id = encodeURIComponent(build.id ?? '')
  const project = encodeURIComponent(build.projectName ?? (build.id ?? '').split(':')[0] ?? '')
  const base = `${host}/codesuite/codebuild/${arn?.accountId ?? ''}/projects/${project}/build/${id}`
  const query = `?region=${arn?.region ?? region}`
  return { build: `${base}/${query}`, logs: `${base}/log${query}` }
}
