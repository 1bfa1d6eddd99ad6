/** The `fleet` input: a reserved-capacity fleet's ARN or name (src/core/build/fleet.ts looks it up and checks it). */
import { Inputs } from '../support/index.js'
import { InputError } from '../errors/index.js'

/** A fleet as the input names it: its ARN (sent as is), or its name (looked up for the ARN). */
export type FleetRef = { arn: string; name: string } | { name: string; arn?: undefined }

/** CreateFleet's rule for names (2-128 letters, digits, - and _, a letter or digit first). */
const FLEET_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{1,127}$/
/** arn:<partition>:codebuild:<region>:<account>:fleet/<name>[:<id>] */
const FLEET_ARN =
  /^arn:aws(?:-[a-z]+)*:codebuild:([a-z]{2,}(?:-[a-z]+)+-\d+):(\d{12}):fleet\/([A-Za-z0-9][A-Za-z0-9_-]{1,127})(?::[A-Za-z0-9-]{1,64})?$/

/** Parses the fleet input for a plan in `region`; throws an InputError naming the input. */
export function parseFleet(raw: string, region: string): FleetRef {
  const arn = FLEET_ARN.exec(raw)
  if (arn) {
    if (arn[1] !== region)
      throw new InputError(
        Inputs.Fleet,
        `names a fleet in region ${arn[1] as string}, but the project's region is ${region}: a build runs only on a fleet of its own region`
      )
    return { arn: raw, name: arn[3] as string }
  }
  if (FLEET_NAME.test(raw)) return { name: raw }
  throw new InputError(
    Inputs.Fleet,
    `must be a fleet's ARN (arn:aws:codebuild:<region>:<account>:fleet/<name>:<id>) or its name (2-128 letters, digits, - and _), got '${raw}'`
  )
}
