/** Container image references: registry/repository[:tag][@sha256:<64 hex>]. */

/** What the action uses of a parsed reference; the repository and tag are validated, not kept. */
export interface ImageRef {
  uri: string
  registry: string
  digest?: string
}

const REGISTRY =
  /^(?:localhost|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)+|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/
const DIGEST = /^sha256:[a-f0-9]{64}$/
/**
 * An Amazon ECR private registry host, anchored at both ends: `<12 digits>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`.
 * Written as a POSIX extended regular expression so that the bundled buildspecs use this same text with bash's
 * `[[ =~ ]]` (group 1: account, 3: region) before they log in: the one rule for "this registry gets an ECR token".
 */
export const ECR_HOST_ERE = '^([0-9]{12})\\.dkr\\.ecr(-fips)?\\.([a-z]{2,}(-[a-z]+)+-[0-9]+)\\.amazonaws\\.com(\\.cn)?$'
const ECR_HOST = new RegExp(ECR_HOST_ERE)
/** A registry that looks like ECR without being one (e.g. an ECR host followed by another domain). */
const ECR_LOOKALIKE = /\.dkr\.ecr[.-]|\.amazonaws\.com\./i

export const IMAGE_FORM = '<registry>/<repository>[:tag][@sha256:<64 hex>], e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:…'

/** Parses an image reference, or returns a reason why it is not one. */
export function parseImageUri(uri: string): ImageRef | string {
  if (/\s/.test(uri)) return 'it contains white space'
  let rest = uri
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) return `the digest '${digest}' is not sha256:<64 lowercase hex>`
  }
  const slash = rest.indexOf('/')
  if (slash < 0) return 'it has no registry (expected <registry>/<repository>)'
  const registry = rest.slice(0, slash)
  if (!REGISTRY.test(registry)) return `'${registry}' is not a registry host`
  let path = rest.slice(slash + 1)
  let tag: string | undefined
  const colon = path.lastIndexOf(':')
  if (colon >= 0) {
    tag = path.slice(colon + 1)
    path = path.slice(0, colon)
    if (!TAG.test(tag)) return `the tag '${tag}' is not a valid tag`
  }
  if (path === '' || !path.split('/').every(c => PATH_COMPONENT.test(c))) {
    return `the repository '${path}' is not a valid repository name (lowercase letters, digits, . _ - and /)`
  }
  const ref: ImageRef = { uri, registry }
  if (digest !== undefined) ref.digest = digest
  if (!ECR_HOST.test(registry) && ECR_LOOKALIKE.test(registry)) {
    return `'${registry}' looks like an Amazon ECR registry but is not one (<12 digits>.dkr.ecr.<region>.amazonaws.com); the build would send its ECR login elsewhere`
  }
  return ref
}
