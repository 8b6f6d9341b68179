/**
 * The examples, run the way their users run them: each app installed from the packed
 * tarball (`npm run test:examples` packs and installs first, see scripts/examples.mjs),
 * served by its own dev server and by a production build, and driven in headless Chromium.
 *
 * One project per way of serving; each has its own server on its own port.
 */
import { defineConfig, type PlaywrightTestConfig } from '@playwright/test';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const port = Number(process.env.EXAMPLES_PORT ?? 4300);

type Server = NonNullable<PlaywrightTestConfig['webServer']>;
interface Mode {
  readonly name: string;
  readonly app: 'vite-app' | 'webpack-app';
  readonly command: string;
  /** Path under the server where the app lives. */
  readonly path: string;
}

const modes: readonly Mode[] = [
  { name: 'vite-dev', app: 'vite-app', command: `npx vite --strictPort --host 127.0.0.1 --port ${port}`, path: '/' },
  {
    name: 'vite-build',
    app: 'vite-app',
    command: `npx vite build && npx vite preview --bypass-lock --strictPort --host 127.0.0.1 --port ${port + 1}`,
    path: '/',
  },
  {
    name: 'vite-base',
    app: 'vite-app',
    command: `BASE=/sub/ npx vite build --outDir dist-sub && BASE=/sub/ npx vite preview --bypass-lock --outDir dist-sub --strictPort --host 127.0.0.1 --port ${port + 2}`,
    path: '/sub/',
  },
  { name: 'webpack-dev', app: 'webpack-app', command: `npm run assets && npx webpack serve --mode development --host 127.0.0.1 --port ${port + 3}`, path: '/' },
  { name: 'webpack-build', app: 'webpack-app', command: `npm run assets && npx webpack --mode production && node serve.mjs dist ${port + 4}`, path: '/' },
  {
    // The production build served with a strict Content-Security-Policy (vite-app/vite.config.ts).
    name: 'vite-csp',
    app: 'vite-app',
    command: `npx vite build --outDir dist-csp && CSP=strict npx vite preview --bypass-lock --outDir dist-csp --strictPort --host 127.0.0.1 --port ${port + 5}`,
    path: '/',
  },
];

const selected = modes.filter((mode) => process.env.EXAMPLES_MODES === undefined || process.env.EXAMPLES_MODES.split(',').includes(mode.name));

const servers: Server = selected.map((mode) => ({
  command: mode.command,
  cwd: `${mode.app}`,
  url: `http://127.0.0.1:${port + modes.indexOf(mode)}${mode.path}`,
  timeout: 300_000,
  reuseExistingServer: false,
  stdout: 'ignore',
  stderr: 'pipe',
}));

export default defineConfig({
  testDir: 'tests',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 240_000,
  expect: { timeout: 60_000 },
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath,
      args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
  webServer: servers,
  projects: selected.map((mode) => ({
    name: mode.name,
    testMatch: `${mode.app}.spec.ts`,
    use: { baseURL: `http://127.0.0.1:${port + modes.indexOf(mode)}${mode.path}` },
  })),
});
