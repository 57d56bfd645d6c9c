/** Keptn project, stage and service names: lower-case letters, digits and '-', starting with a letter. */
export function isKeptnName (name: string): boolean {
  return /^[a-z][a-z0-9-]{0,62}$/.test(name) && !name.endsWith('-')
}
