import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { createTestApp, TestApp } from '../utils/test-app';
import { createUser } from '../utils/factories';

const LAN_HOST = 'auth.lan.test';

/** Debian's package; CI installs it when missing. Browser downloads do not work here. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // A host name other than localhost, as on a dev box or in a cluster (item 3 of issue 13).
  `--host-resolver-rules=MAP ${LAN_HOST} 127.0.0.1`,
];
const SCREENSHOT = resolve(__dirname, '../artifacts/swagger-ui.png');

// Skipping must be asked for: a missing browser is a failure, never a silent pass.
const describeBrowser = process.env.SKIP_BROWSER_TESTS === '1' ? describe.skip : describe;

describeBrowser('Swagger UI at /docs, driven by headless Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} not found: install it (apt-get install -y chromium) ` +
          'or set SKIP_BROWSER_TESTS=1 to skip the browser tests',
      );
    }
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    baseUrl = await t.app.getUrl();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('authorizes with a fresh access token and executes GET /api/users/me', async () => {
    const user = await createUser(t.http, { first_name: 'Grace' });
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const problems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));

    const response = await page.goto(`${baseUrl}/docs`);
    expect(response?.status()).toBe(200);
    await page.locator('.swagger-ui .information-container').waitFor();

    await page.locator('.auth-wrapper button.authorize').click();
    const dialog = page.locator('.modal-ux');
    await dialog
      .locator('input[type="text"], input[type="password"]')
      .first()
      .fill(user.accessToken);
    await dialog.locator('.auth-btn-wrapper button.authorize').click();
    await dialog.locator('button.btn-done').click();

    const operation = page.locator('.opblock-get', {
      has: page.locator('[data-path="/api/users/me"]'),
    });
    await operation.locator('.opblock-summary').first().click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('button.execute').click();

    const body = operation.locator('.live-responses-table .response-col_description pre').first();
    await expect(body.textContent({ timeout: 10000 })).resolves.toContain(user.email);
    await expect(
      operation
        .locator('.live-responses-table tr.response .response-col_status')
        .first()
        .textContent(),
    ).resolves.toContain('200');

    mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
  });

  it('renders over plain http under a host name other than localhost', async () => {
    const url = new URL(baseUrl);
    url.hostname = LAN_HOST;
    const page = await browser.newPage();
    const failed: string[] = [];
    const assets: string[] = [];
    page.on('requestfailed', (req) => failed.push(`${req.url()} ${req.failure()?.errorText}`));
    page.on('request', (req) => assets.push(req.url()));

    const response = await page.goto(`${url.origin}/docs`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).not.toMatch(/upgrade-insecure-requests/);
    await page.locator('.swagger-ui .information-container').waitFor({ timeout: 15000 });
    await expect(page.locator('.opblock').count()).resolves.toBeGreaterThan(10);
    expect(failed).toEqual([]);
    expect(assets.filter((a) => a.startsWith('https:'))).toEqual([]);
    await page.close();
  });

  it('serves only the files the page needs from /docs (no package.json, no source maps)', async () => {
    for (const path of ['/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css', '/docs-json']) {
      await t.http.get(path).expect(200);
    }
    for (const path of [
      '/docs/package.json',
      '/docs/swagger-ui-bundle.js.map',
      '/docs/swagger-ui.css.map',
      '/docs/README.md',
      '/docs/index.html',
      '/docs/swagger-ui-es-bundle.js',
    ]) {
      const res = await t.http.get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
  });
});
