/**
 * Playwright drives Debian's Chromium (never a downloaded browser) headless, with
 * WebGPU enabled. On these machines WebGPU is SwiftShader: real WebGPU on the CPU.
 * Tests run one at a time: 2 cores, and every test spins up WASM/WebGPU sessions.
 */
import { defineConfig } from '@playwright/test';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// PW_PORT lets several runs share a machine: each gets its own port and build folder.
const port = Number(process.env.PW_PORT ?? 4173);
const outDir = port === 4173 ? 'dist-app' : `dist-app-${port}`;

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  outputDir: port === 4173 ? 'test-results' : `test-results-${port}`,
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath,
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
  webServer: {
    // The production build, served with COOP/COEP: what users get, and no dev-server
    // dependency re-optimisation reloading a page mid-test.
    command: `npx vite build --outDir ${outDir} && npx vite preview --outDir ${outDir} --strictPort --port ${port}`,
    url: `http://127.0.0.1:${port}/e2e/harness.html`,
    timeout: 300_000,
    reuseExistingServer: !process.env.CI,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
