import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    // integration files share one local stack; keep them from trampling each other
    fileParallelism: true,
    maxWorkers: 2,
  },
});
