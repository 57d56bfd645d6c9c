// `npm run bench` runs the suite; `npm run bench -- soak` and `-- fuzz` the long runs; `-- observe` OBSERVE_INTERVAL.
const mode = process.argv[2] ?? 'suite'
if (mode === 'soak') await import('./soak.js')
else if (mode === 'fuzz') await import('./fuzz.js')
else if (mode === 'observe') await import('./observe.js')
else if (mode === 'suite') await import('./suite.js')
else throw new Error(`unknown bench mode ${mode}: use soak, fuzz, observe or nothing`)
