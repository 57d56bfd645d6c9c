import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'dist-bench/**', 'coverage/**', '.tap/**', 'node_modules/**'] }),
  {
    // A typebox schema and its Static type share one name on purpose (schemas/ is the single source).
    rules: { '@typescript-eslint/no-redeclare': 'off' }
  }
]
