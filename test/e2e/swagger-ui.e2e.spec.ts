import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { createTestApp, TestApp } from '../utils/test-app';
import { createUser } from '../utils/factories';

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
});
