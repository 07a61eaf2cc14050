// Embedded (AUTH_MODE=jwt), against the second server: its mode and its 401 without a token; a
// host page on another origin that iframes the UI: the waiting state, an expired token, and with
// a token Connect → Approve → contacts. Skipped without E2E_JWT_BASE_URL, E2E_JWT_SECRET and
// E2E_HOST_PORT (scripts/browser-tests.sh sets them unless E2E_SKIP_JWT=1).

import type { Server } from 'node:http';
import { test, type Frame } from '@playwright/test';
import { assert, visit } from './support/checks';
import { consentInPopup, disconnect, expectContacts, scenarioPage } from './support/app';
import { HAS_JWT_SERVER, JWT_BASE_URL, userIdFor } from './support/env';
import { HOST_URL, startHost, stopHost } from './support/host';

declare global {
  interface Window {
    received?: string[];
  }
}

test.describe('embedded with AUTH_MODE=jwt', () => {
  test.skip(!HAS_JWT_SERVER, 'E2E_JWT_BASE_URL, E2E_JWT_SECRET, E2E_HOST_PORT not set');
  test.describe.configure({ mode: 'serial' });
  const scenario = scenarioPage();
  let hostServer: Server | undefined;
  let sub = '';
  test.beforeAll(async () => {
    hostServer = await startHost();
    sub = userIdFor('embedded');
  });
  test.afterAll(async () => {
    await stopHost(hostServer);
  });
  const ui = () => scenario.page.frameLocator('#ui');
  const uiFrame = (): Frame | undefined => scenario.page.frames().find((f) => f.url().startsWith(JWT_BASE_URL));

  test('the jwt server reports its mode and refuses calls without a token', async () => {
    const config = (await (await fetch(`${JWT_BASE_URL}/api/config`)).json()) as { auth_mode: string; embed_origins: string[] };
    assert(config.auth_mode === 'jwt', `/api/config says auth_mode=${config.auth_mode}`);
    assert(config.embed_origins.includes(HOST_URL), `embed_origins ${JSON.stringify(config.embed_origins)} includes ${HOST_URL}`);
    const response = await fetch(`${JWT_BASE_URL}/api/integrations`, { headers: { 'X-User-Id': sub } });
    assert(response.status === 401, `no token → 401 (got ${response.status})`);
    const body = (await response.json()) as { code?: string };
    assert(body.code === 'unauthenticated', `code unauthenticated (got ${body.code})`);
    assert(/^Bearer/.test(response.headers.get('www-authenticate') ?? ''), 'WWW-Authenticate: Bearer');
  });

  test('without a token the UI waits calmly for the host page and shows no user-id field', async () => {
    const { page } = scenario;
    await page.goto(`${HOST_URL}/?token=none`);
    await ui().getByRole('heading', { name: 'Waiting for sign-in from the host page' }).waitFor();
    assert((await ui().getByLabel('Signed in as').count()) === 0, 'no user-id field in jwt mode');
    assert((await ui().getByRole('alert').count()) === 0, 'no error shown while waiting');
    await page.waitForFunction(() => window.received?.includes('vs-integrations:ready'));
    await visit(page, 'embedded-waiting', { frame: uiFrame() });
  });

  test('an expired token: the UI tells the host and goes back to waiting', async () => {
    const { page } = scenario;
    await page.goto(`${HOST_URL}/?token=expired&sub=${sub}`);
    await page.waitForFunction(() => window.received?.includes('vs-integrations:token-expired'));
    await ui().getByRole('heading', { name: 'Waiting for sign-in from the host page' }).waitFor();
  });

  test('with a token from the host: no user-id field, Connect → Approve, contacts load', async () => {
    const { page } = scenario;
    await page.goto(`${HOST_URL}/?token=valid&sub=${sub}`);
    const connect = ui().getByRole('button', { name: 'Connect HubSpot' });
    await connect.waitFor();
    assert((await ui().getByLabel('Signed in as').count()) === 0, 'no user-id field in jwt mode');
    await visit(page, 'embedded-not-connected', { frame: uiFrame() });
    await consentInPopup(page, connect, 'Approve');
    await expectContacts(ui());
    await visit(page, 'embedded-connected', { frame: uiFrame() });
  });

  test('clean up: disconnect', async () => {
    await disconnect(ui());
  });
});
