/** Keptn's own default limit for project names, the longest of project, stage and service. */
export const KEPTN_NAME_MAX = 200

/**
 * A valid Keptn project, stage or service name, by Keptn's rule: lower-case letters, digits and
 * '-', starting with a letter and not ending with '-'.
 */
export function isKeptnName (name: unknown): name is string {
  return typeof name === 'string' && name.length <= KEPTN_NAME_MAX && /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/.test(name)
}
