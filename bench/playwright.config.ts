/**
 * Benchmarks run like the e2e tests (same Chromium, flags and server) but from bench/,
 * one at a time, with room for long runs. Each writes bench/results/<name>.json.
 */
import { defineConfig } from '@playwright/test';
import base from '../playwright.config';

export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: '**/*.bench.ts',
  timeout: 30 * 60_000,
  retries: 0,
  reporter: [['list']],
  // Beside base's own output folder, which follows PW_PORT (test-results, or test-results-<port>).
  outputDir: `../${base.outputDir ?? 'test-results'}/bench`,
  webServer: base.webServer === undefined || Array.isArray(base.webServer) ? base.webServer : { ...base.webServer, cwd: '..' },
});
