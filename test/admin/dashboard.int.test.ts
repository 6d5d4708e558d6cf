import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/admin/metrics.ts';
import type { AdminServer } from '../../src/admin/server.ts';
import { startAdmin } from '../../src/admin/start-admin.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { openRuntime, type Runtime } from '../../src/app/runtime.ts';
import { services } from '../helpers/services.ts';
import { basic, freePort } from './helpers.ts';

/** The queue dashboard in a real headless Chromium: locked for strangers, usable after login. */

const USER = 'deskadmin';
const PASSWORD = `pw-${randomUUID()}`;

let browser: Browser;
let runtime: Runtime | undefined;
let admin: AdminServer | null = null;
let shotDir: string;

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  shotDir = mkdtempSync(join(tmpdir(), 'syncdesk-dashboard-'));
});

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  await admin?.close();
  admin = null;
  if (runtime) {
    for (const q of [runtime.queues.poll, runtime.queues.resolve, runtime.queues.ticket]) await q.obliterate({ force: true }).catch(() => undefined);
    await runtime.close();
  }
  runtime = undefined;
});

/** The admin server as `syncdesk start` runs it, with one chunk of errors waiting to be resolved. */
async function dashboard(): Promise<{ url: string; rt: Runtime }> {
  const dir = mkdtempSync(join(tmpdir(), 'syncdesk-dashboard-rt-'));
  const config = loadConfig({
    REDIS_URL: services().REDIS_URL!,
    REDIS_PREFIX: `t${randomUUID().slice(0, 8)}`,
    MAIL_STORE_DIR: join(dir, 'mail'),
    TICKET_DIR: join(dir, 'tickets'),
    ADMIN_PORT: String(await freePort()),
    ADMIN_USER: USER,
    ADMIN_PASSWORD: PASSWORD,
  });
  runtime = await openRuntime(config, createLogger({ level: 'silent' }));
  admin = await startAdmin(runtime, createMetrics({ processMetrics: false }));
  // the dashboard shows any payload; a real resolve job carries a report and its errors
  await runtime.queues.resolve.add('resolve', { report: {}, errors: [] } as never, { jobId: 'waiting-chunk-1' });
  return { url: `${admin!.url}/admin/queues`, rt: runtime };
}

describe('queue dashboard in a browser', () => {
  it('answers 401 with no page content to an anonymous visitor, and lets no wrong password in', async () => {
    const { url } = await dashboard();
    const anonymous = await browser.newContext();
    const page = await anonymous.newPage();
    // Chromium with no credentials to offer ends the navigation (as 401 or ERR_INVALID_AUTH_CREDENTIALS, by version)
    const outcome = await page.goto(url).then((r) => r?.status(), (err: Error) => err.message);
    expect(String(outcome)).toMatch(/^401$|ERR_INVALID_AUTH_CREDENTIALS/);
    await page.waitForLoadState('load');
    expect(await page.locator('body').innerText()).not.toMatch(/parse|resolve|ticket|syncdesk|bull/i);
    // what the server sent that browser: a challenge and no content, for the page and for the app's API
    for (const path of ['', '/api/queues', '/static/css/main.css']) {
      const res = await page.request.get(`${url}${path}`);
      expect(res.status()).toBe(401);
      expect(res.headers()['www-authenticate']).toMatch(/^Basic realm="syncdesk admin"/);
      expect(await res.text()).toBe('authentication required\n');
    }
    await anonymous.close();

    // Chromium answers the challenge with the wrong password, is refused again and gives up
    const wrong = await browser.newContext({ httpCredentials: { username: USER, password: 'not-the-password' } });
    const wrongPage = await wrong.newPage();
    const refused = await wrongPage.goto(url).then((r) => r?.status(), (err: Error) => err.message);
    expect(String(refused)).toMatch(/^401$|ERR_INVALID_AUTH_CREDENTIALS/);
    await wrongPage.waitForLoadState('load');
    expect(await wrongPage.locator('body').innerText()).not.toMatch(/parse|resolve|ticket|syncdesk|bull/i);
    await wrong.close();
    const wrongUser = await fetch(url, { headers: { authorization: basic('admin', PASSWORD) } });
    expect(wrongUser.status).toBe(401);
  });

  it('shows the bull-board UI with the poll, resolve and ticket queues after logging in', async () => {
    const { url } = await dashboard();
    const context = await browser.newContext({ httpCredentials: { username: USER, password: PASSWORD } });
    const page = await context.newPage();
    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    // the React app renders the queue list from its API
    for (const name of ['poll', 'resolve', 'ticket']) await page.getByRole('link', { name, exact: true }).first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(shotDir, 'overview.png'), fullPage: true });
    const overview = await page.locator('body').innerText();
    expect(overview).toContain('syncdesk');

    // the waiting chunk is visible in the resolve queue
    await page.getByRole('link', { name: 'resolve', exact: true }).first().click();
    await page.waitForURL(/\/admin\/queues\/queue\/resolve/);
    const waitingTab = page.getByRole('link', { name: /waiting/i }).first();
    await waitingTab.click();
    await page.getByText('waiting-chunk-1').first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(shotDir, 'resolve-queue.png'), fullPage: true });
    await context.close();
  });

  it('refuses a change (pause a queue) sent from another site with valid credentials', async () => {
    const { url, rt } = await dashboard();
    const auth = basic(USER, PASSWORD);
    const cross = await fetch(`${url}/api/queues/ticket/pause`, { method: 'PUT', headers: { authorization: auth, 'sec-fetch-site': 'cross-site' } });
    expect(cross.status).toBe(403);
    const foreignOrigin = await fetch(`${url}/api/queues/ticket/pause`, { method: 'PUT', headers: { authorization: auth, origin: 'http://127.0.0.2:8080' } });
    expect(foreignOrigin.status).toBe(403);
    expect(await rt.queues.ticket.isPaused()).toBe(false);

    const same = await fetch(`${url}/api/queues/ticket/pause`, { method: 'PUT', headers: { authorization: auth, 'sec-fetch-site': 'same-origin' } });
    expect(same.status).toBe(200);
    expect(await rt.queues.ticket.isPaused()).toBe(true);
  });
});

