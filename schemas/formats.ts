import { FormatRegistry } from '@sinclair/typebox'

// The string formats our schemas use, registered once for every TypeBox checker (the routes' and ours).
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', value => rfc3339.test(value) && !Number.isNaN(Date.parse(value)))
