#!/usr/bin/env node
// Browser end-to-end test of the integrations UI against a running server in sandbox mode.
//
//   E2E_BASE_URL=http://127.0.0.1:8080 npm run e2e
//
// The server must serve the built UI (web/dist) at `/` and mount the HubSpot sandbox at
// `/_sandbox/hubspot` (consent page with "Approve" / "Deny" buttons; admin endpoints
// `POST /_sandbox/hubspot/_admin/revoke-all` and `GET /_sandbox/hubspot/_admin/stats`).
//
// Uses playwright-core with the system Chromium (Playwright's own browser download is not
// available here): CHROMIUM_PATH overrides /usr/bin/chromium. HEADED=1 shows the browser.
// Screenshots of each main state go to e2e/screenshots/ (git-ignored).
// The last line printed is "N passed, N failed"; the exit code is non-zero on any failure.

import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE_URL = (process.env.E2E_BASE_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
const SANDBOX = `${BASE_URL}/_sandbox/hubspot`;
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS_DIR = fileURLToPath(new URL('./screenshots/', import.meta.url));
const TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_MS ?? 15_000);
const RUN_ID = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const DESKTOP = { width: 1280, height: 860 };
const MOBILE = { width: 360, height: 780 };
const EXPECTED_CONTACTS = Number(process.env.E2E_EXPECTED_CONTACTS ?? 250);

// ---------------------------------------------------------------- tiny test runner

let passed = 0;
let failed = 0;

class Skip extends Error {}

/** Runs the steps of one scenario in order; after a failure the remaining steps fail unrun. */
async function scenario(name, steps, { page } = {}) {
  console.log(`\n# ${name}`);
  let broken = null;
  for (const [stepName, fn] of steps) {
    if (broken) {
      failed += 1;
      console.log(`not ok - ${stepName} (not run: "${broken}" failed)`);
      continue;
    }
    const started = Date.now();
    try {
      await fn();
      passed += 1;
      console.log(`ok - ${stepName} (${Date.now() - started} ms)`);
    } catch (error) {
      if (error instanceof Skip) {
        console.log(`ok - ${stepName} # SKIP ${error.message}`);
        continue;
      }
      failed += 1;
      broken = stepName;
      console.log(`not ok - ${stepName}\n  ${String(error?.stack ?? error).split('\n').slice(0, 6).join('\n  ')}`);
      const current = typeof page === 'function' ? page() : page;
      if (current && !current.isClosed()) {
        const file = `${SHOTS_DIR}FAILED-${slug(name)}-${slug(stepName)}.png`;
        await current.screenshot({ path: file, fullPage: true }).catch(() => undefined);
        console.log(`  screenshot: ${file}`);
      }
    }
  }
}

function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 48);
}

function assert(condition, message) {
  if (!condition) throw new Error(`Assertion failed: ${message}`);
}

async function shot(page, name, { fullPage = false } = {}) {
  // Let transitions and focus rings settle so the picture shows the steady state.
  await page.waitForTimeout(250);
  await page.screenshot({ path: `${SHOTS_DIR}${name}.png`, fullPage });
}

// ---------------------------------------------------------------- app helpers

function userIdFor(label) {
  return `e2e-${RUN_ID}-${label}`;
}

async function newPage(browser, { userId, viewport = DESKTOP, blockPopups = false }) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  context.setDefaultTimeout(TIMEOUT_MS);
  if (userId) {
    await context.addInitScript((id) => {
      if (!window.localStorage.getItem('vs.userId')) window.localStorage.setItem('vs.userId', id);
    }, userId);
  }
  if (blockPopups) {
    // What a popup blocker does: window.open returns null.
    await context.addInitScript(() => {
      window.open = () => null;
    });
  }
  const page = await context.newPage();
  page.on('pageerror', (error) => console.log(`  [page error] ${error.message}`));
  return page;
}

async function setUserIdInHeader(page, userId) {
  const field = page.getByLabel('Signed in as');
  await field.fill(userId);
  await field.press('Enter');
  await page.waitForFunction((id) => window.localStorage.getItem('vs.userId') === id, userId);
}

async function openHubspot(page) {
  await page.goto(`${BASE_URL}/integrations/hubspot`);
  await page.getByRole('heading', { name: 'HubSpot', level: 1 }).waitFor();
}

function consentButton(popup, name) {
  return popup
    .getByRole('button', { name, exact: true })
    .or(popup.getByRole('link', { name, exact: true }))
    .first();
}

/** Clicks `trigger`, waits for the consent popup, and answers it with `decision`. */
async function consentInPopup(page, trigger, decision) {
  const popupPromise = page.waitForEvent('popup');
  await trigger.click();
  const popup = await popupPromise;
  await popup.waitForLoadState('domcontentloaded');
  await consentButton(popup, decision).waitFor();
  const closed = popup.waitForEvent('close', { timeout: TIMEOUT_MS });
  await consentButton(popup, decision).click();
  // The UI's callback page posts the result to us and closes the popup.
  await closed;
}

async function rowCount(page) {
  return page.locator('table tbody tr').count();
}

async function expectContacts(page) {
  await page.locator('table tbody tr').first().waitFor();
  const rows = await rowCount(page);
  assert(rows > 0, 'at least one contact row');
  await page.getByText(/^Showing \d+ contacts?$/).waitFor();
  const link = page.getByRole('link', { name: /Open in HubSpot/ }).first();
  assert((await link.getAttribute('target')) === '_blank', 'contact link opens a new tab');
  assert(((await link.getAttribute('rel')) ?? '').includes('noopener'), 'contact link has rel=noopener');
  return rows;
}

async function sandboxAdmin(method, path) {
  const response = await fetch(`${SANDBOX}/_admin/${path}`, { method });
  assert(response.ok, `${method} ${SANDBOX}/_admin/${path} answered ${response.status}`);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

// ---------------------------------------------------------------- scenarios

async function preflight() {
  let response;
  try {
    response = await fetch(`${BASE_URL}/api/integrations`, { headers: { 'X-User-Id': userIdFor('preflight') } });
  } catch (error) {
    throw new Error(`No server at ${BASE_URL} (${error.cause?.code ?? error.message}). Start it in sandbox mode first.`);
  }
  assert(response.ok, `GET /api/integrations answered ${response.status}`);
  const body = await response.json();
  assert(body.sandbox === true, 'the server runs in sandbox mode (refusing to run against real HubSpot)');
  assert(
    body.integrations.some((i) => i.id === 'hubspot'),
    'the server lists a hubspot integration',
  );
}

async function main() {
  await mkdir(SHOTS_DIR, { recursive: true });
  console.log(`e2e against ${BASE_URL} (run ${RUN_ID})`);

  let preflightOk = false;
  await scenario('preflight', [
    [
      'server is up in sandbox mode',
      async () => {
        await preflight();
        preflightOk = true;
      },
    ],
  ]);
  if (!preflightOk) return;

  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: !process.env.HEADED,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ].filter((flag) => !(process.env.HEADED && flag === '--headless')),
  });

  try {
    // ---- Main journey: deny, connect, page through, reauth, reconnect, disconnect.
    const mainUser = userIdFor('main');
    const page = await newPage(browser, {});
    await scenario(
      'connect, browse and disconnect HubSpot',
      [
        [
          '/ redirects to the integrations list with the Sandbox badge',
          async () => {
            await page.goto(`${BASE_URL}/`);
            await page.waitForURL(/\/integrations$/);
            await page.getByRole('heading', { name: 'Integrations', level: 1 }).waitFor();
            await page.getByText('Sandbox', { exact: true }).waitFor();
            await page.getByText('VectorShift Integrations').first().waitFor();
          },
        ],
        [
          'sign in as a fresh user through the header field',
          async () => {
            await setUserIdInHeader(page, mainUser);
            const card = page.getByRole('link', { name: /HubSpot/ });
            await card.waitFor();
            await card.getByText('Not connected').waitFor();
            await shot(page, '01-integrations');
          },
        ],
        [
          'open the HubSpot page from its card',
          async () => {
            await page.getByRole('link', { name: /HubSpot/ }).click();
            await page.waitForURL(/\/integrations\/hubspot$/);
            await page.getByRole('button', { name: 'Connect HubSpot' }).waitFor();
            await shot(page, '02-hubspot-not-connected');
          },
        ],
        [
          'Deny in the consent popup shows the failure with Try again',
          async () => {
            await consentInPopup(page, page.getByRole('button', { name: 'Connect HubSpot' }), 'Deny');
            await page.getByRole('heading', { name: 'Could not connect HubSpot' }).waitFor();
            await page.getByText(/You denied access/).waitFor();
            await page.getByRole('button', { name: 'Try again' }).waitFor();
            await shot(page, '03-hubspot-denied');
          },
        ],
        [
          'Try again → Approve shows "HubSpot connected" and the first contacts',
          async () => {
            await consentInPopup(page, page.getByRole('button', { name: 'Try again' }), 'Approve');
            await page.getByRole('heading', { name: 'HubSpot connected' }).waitFor();
            const rows = await expectContacts(page);
            assert(rows <= 100, `first page has at most 100 rows (got ${rows})`);
            await shot(page, '04-hubspot-connected');
          },
        ],
        [
          `Load more until the end shows all ${EXPECTED_CONTACTS} contacts`,
          async () => {
            const loadMore = page.getByRole('button', { name: 'Load more' });
            let clicks = 0;
            while (await loadMore.isVisible()) {
              const before = await rowCount(page);
              await loadMore.click();
              await page.waitForFunction(
                (n) => document.querySelectorAll('table tbody tr').length > n,
                before,
                { timeout: TIMEOUT_MS },
              );
              // Wait for the button to settle (back to "Load more", or gone on the last page).
              await page.getByRole('button', { name: 'Loading…' }).waitFor({ state: 'detached' });
              clicks += 1;
              assert(clicks < 20, 'Load more stops');
            }
            const rows = await rowCount(page);
            assert(rows === EXPECTED_CONTACTS, `${EXPECTED_CONTACTS} rows after paging (got ${rows})`);
            await page.getByText(`Showing ${EXPECTED_CONTACTS} contacts`).waitFor();
            assert(clicks === Math.ceil(EXPECTED_CONTACTS / 100) - 1, `pages of 100 (clicked Load more ${clicks} times)`);
            await page.getByRole('button', { name: 'Load more' }).waitFor({ state: 'detached' });
            await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
            await shot(page, '05-hubspot-all-contacts');
          },
        ],
        [
          'after the sandbox revokes all tokens, refreshing shows the Reconnect prompt',
          async () => {
            await sandboxAdmin('POST', 'revoke-all');
            await page.getByRole('button', { name: 'Refresh' }).click();
            await page.getByRole('button', { name: 'Reconnect HubSpot' }).waitFor();
            await page.getByRole('heading', { name: 'HubSpot needs to be reconnected' }).waitFor();
            await shot(page, '06-hubspot-reconnect');
          },
        ],
        [
          'the integrations list says HubSpot needs reconnecting',
          async () => {
            const list = await newPage(browser, { userId: mainUser });
            try {
              await list.goto(`${BASE_URL}/integrations`);
              const card = list.getByRole('link', { name: /HubSpot/ });
              await card.getByText('Needs reconnect', { exact: true }).waitFor();
              await card.getByText('Access expired — reconnect').waitFor();
              await shot(list, '06b-integrations-needs-reconnect');
            } finally {
              await list.context().close();
            }
          },
        ],
        [
          'Reconnect → Approve brings the contacts back',
          async () => {
            await consentInPopup(page, page.getByRole('button', { name: 'Reconnect HubSpot' }), 'Approve');
            await page.getByRole('heading', { name: 'HubSpot connected' }).waitFor();
            await expectContacts(page);
            assert(!(await page.getByRole('button', { name: 'Reconnect HubSpot' }).isVisible()), 'no reconnect prompt');
          },
        ],
        [
          'the integrations list shows HubSpot as connected',
          async () => {
            const list = await newPage(browser, { userId: mainUser });
            try {
              await list.goto(`${BASE_URL}/integrations`);
              await list.getByRole('link', { name: /HubSpot/ }).getByText('Connected', { exact: true }).waitFor();
              await shot(list, '10-integrations-connected');
            } finally {
              await list.context().close();
            }
          },
        ],
        [
          'the page is usable 360 px wide',
          async () => {
            const mobile = await newPage(browser, { userId: mainUser, viewport: MOBILE });
            try {
              await openHubspot(mobile);
              await expectContacts(mobile);
              const overflow = await mobile.evaluate(
                () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
              );
              assert(overflow <= 0, `no horizontal scrolling at 360 px (overflow ${overflow} px)`);
              await shot(mobile, '07-hubspot-connected-mobile');
            } finally {
              await mobile.context().close();
            }
          },
        ],
        [
          'Disconnect asks for confirmation, Cancel keeps the connection',
          async () => {
            await page.evaluate(() => window.scrollTo(0, 0));
            await page.getByRole('button', { name: 'Disconnect' }).click();
            const dialog = page.getByRole('alertdialog', { name: 'Disconnect HubSpot?' });
            await dialog.waitFor();
            await shot(page, '08-hubspot-disconnect-confirm');
            await dialog.getByRole('button', { name: 'Cancel' }).click();
            await dialog.waitFor({ state: 'detached' });
            await expectContacts(page);
          },
        ],
        [
          'Disconnect → confirm returns to not connected',
          async () => {
            await page.getByRole('button', { name: 'Disconnect' }).click();
            const dialog = page.getByRole('alertdialog', { name: 'Disconnect HubSpot?' });
            await dialog.getByRole('button', { name: 'Disconnect' }).click();
            await page.getByRole('heading', { name: 'HubSpot disconnected' }).waitFor();
            await page.getByRole('button', { name: 'Connect HubSpot' }).waitFor();
            assert((await rowCount(page)) === 0, 'no contacts shown after disconnecting');
            await page.goto(`${BASE_URL}/integrations`);
            await page.getByRole('link', { name: /HubSpot/ }).getByText('Not connected').waitFor();
          },
        ],
      ],
      { page },
    );
    await page.context().close();

    // ---- Closing the popup without answering.
    const cancelPage = await newPage(browser, { userId: userIdFor('cancel') });
    await scenario(
      'closing the consent popup cancels',
      [
        [
          'closing the popup shows "Connection cancelled" and re-enables Connect',
          async () => {
            await openHubspot(cancelPage);
            const popupPromise = cancelPage.waitForEvent('popup');
            await cancelPage.getByRole('button', { name: 'Connect HubSpot' }).click();
            await cancelPage.getByRole('button', { name: 'Connecting…' }).waitFor();
            const popup = await popupPromise;
            await consentButton(popup, 'Approve').waitFor();
            await shot(cancelPage, '09-hubspot-connecting');
            await popup.close();
            await cancelPage.getByRole('heading', { name: 'Connection cancelled' }).waitFor();
            await cancelPage.getByRole('button', { name: 'Connect HubSpot' }).waitFor();
          },
        ],
      ],
      { page: cancelPage },
    );
    await cancelPage.context().close();

    // ---- Popup blocked: the whole page goes to the consent page and comes back.
    const redirectPage = await newPage(browser, { userId: userIdFor('redirect'), blockPopups: true });
    await scenario(
      'popup blocked → full-page redirect',
      [
        [
          'Connect navigates this tab to the consent page; Approve comes back connected',
          async () => {
            await openHubspot(redirectPage);
            await redirectPage.getByRole('button', { name: 'Connect HubSpot' }).click();
            await consentButton(redirectPage, 'Approve').waitFor();
            await consentButton(redirectPage, 'Approve').click();
            await redirectPage.waitForURL(/\/integrations\/hubspot$/);
            await redirectPage.getByRole('heading', { name: 'HubSpot connected' }).waitFor();
            await expectContacts(redirectPage);
          },
        ],
        [
          'clean up: disconnect',
          async () => {
            await redirectPage.getByRole('button', { name: 'Disconnect' }).click();
            await redirectPage
              .getByRole('alertdialog')
              .getByRole('button', { name: 'Disconnect' })
              .click();
            await redirectPage.getByRole('button', { name: 'Connect HubSpot' }).waitFor();
          },
        ],
      ],
      { page: redirectPage },
    );
    await redirectPage.context().close();

    try {
      console.log(`\nsandbox stats: ${JSON.stringify(await sandboxAdmin('GET', 'stats'))}`);
    } catch (error) {
      console.log(`\nsandbox stats unavailable: ${error.message}`);
    }
  } finally {
    await browser.close();
  }
}

try {
  await main();
} catch (error) {
  failed += 1;
  console.log(`not ok - e2e run crashed\n  ${error?.stack ?? error}`);
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
