/** Unit tests: the parts that need no browser (validation, errors, tensors, the worker host with a fake engine, bench report rendering, the demo's pure helpers). */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'workers/**/*.test.ts', 'node/**/*.test.ts', 'bench/**/*.test.ts', 'demo/**/*.test.ts'],
    environment: 'node',
    typecheck: { enabled: true, include: ['src/**/*.test-d.ts'] },
  },
});
