/** A benchmark knob: the environment variable as a number, or the fallback. */
export const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback)
