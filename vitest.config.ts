import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // the JSON report is what .ci/run counts; the default reporter is for people
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
    // two cores: model-heavy suites must not run four at a time
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
})
