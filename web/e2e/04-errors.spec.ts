// HubSpot misbehaving, through the sandbox's fault injection and routed answers: a rate limit, a
// nonsense answer, a failed status refresh, a failing sync, a connection lost in another tab.
// Told apart, shown where they happen, and recovered from.

import { test, type Route } from '@playwright/test';
import { assert, expectFocusVisible, isFocused, tabTo, visit } from './support/checks';
import { consentInPopup, expectContacts, fmt, openHubspot, rowCount, scenarioPage, setFaults } from './support/app';
import { EXPECTED_CONTACTS, userIdFor } from './support/env';

test.describe('HubSpot failures are told apart, shown where they happen, and recovered from', () => {
  test.describe.configure({ mode: 'serial' });
  const scenario = scenarioPage(() => ({ userId: userIdFor('faults') }));
  test.afterAll(async () => {
    await setFaults().catch(() => undefined);
  });

  test('connect', async () => {
    const { page } = scenario;
    await openHubspot(page);
    await consentInPopup(page, page.getByRole('button', { name: 'Connect HubSpot' }), 'Approve');
    await expectContacts(page);
  });

  test('a rate-limited refresh counts down and retries by itself, keeping the rows', async () => {
    const { page } = scenario;
    await setFaults({ rate_limit_next: 50 });
    const before = await rowCount(page);
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await page.getByText(/HubSpot is busy — retrying in \d+ s/).waitFor({ timeout: 45_000 });
    assert((await rowCount(page)) === before, 'the rows stay while waiting');
    await visit(page, 'hubspot-rate-limited');
    await setFaults({});
    await page.getByText(/HubSpot is busy — retrying/).waitFor({ state: 'detached', timeout: 45_000 });
    await page.getByRole('button', { name: 'Refresh', exact: true }).waitFor({ timeout: 45_000 });
    assert((await rowCount(page)) === before, 'the rows are back after the retry');
  });

  test('a nonsense answer from HubSpot on Refresh keeps the rows and says what failed', async () => {
    const { page } = scenario;
    await setFaults({ malformed_next: 50 });
    const before = await rowCount(page);
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await page.getByRole('heading', { name: /^Could not refresh — / }).waitFor({ timeout: 45_000 });
    assert((await rowCount(page)) === before, 'a failed refresh does not blank the page');
    await page.getByRole('button', { name: 'Disconnect' }).focus();
    await tabTo(page, page.getByRole('button', { name: 'Retry', exact: true }), 'Retry', 3);
    await visit(page, 'hubspot-refresh-failed');
    await setFaults({});
  });

  test('a failed status refresh (502, then offline) keeps the badge, Disconnect and the rows: "Couldn’t refresh — showing data from hh:mm"', async () => {
    const { page } = scenario;
    const STATUS_ROUTE = '**/api/integrations/hubspot/status';
    const card = page.locator('section.provider');
    const note = card.getByText(/^Couldn’t refresh — showing data from \d{2}:\d{2}$/);
    const before = await rowCount(page);
    assert(before > 0, 'rows to keep');
    const failures: [string, (route: Route) => Promise<void>][] = [
      [
        '502',
        (route) =>
          route.fulfill({
            status: 502,
            contentType: 'application/problem+json',
            body: JSON.stringify({ type: 'about:blank', title: 'Bad gateway', status: 502, code: 'upstream_error' }),
          }),
      ],
      ['offline', (route) => route.abort('internetdisconnected')],
    ];
    for (const [label, fail] of failures) {
      await page.route(STATUS_ROUTE, fail);
      try {
        await page.getByRole('button', { name: 'Refresh', exact: true }).click();
        await note.waitFor();
        await card.getByText('Connected', { exact: true }).waitFor();
        await card.getByRole('button', { name: 'Disconnect' }).waitFor();
        assert((await rowCount(page)) === before, `${label}: the rows stay (${await rowCount(page)} of ${before})`);
        assert((await page.getByRole('heading', { name: /Could not check the connection/ }).count()) === 0, `${label}: the card is not replaced by an error`);
        if (label === '502') await visit(page, 'hubspot-status-refresh-failed');
      } finally {
        await page.unroute(STATUS_ROUTE, fail);
      }
    }
    await card.getByRole('button', { name: 'Try again' }).click();
    await note.waitFor({ state: 'detached' });
  });

  test('a failing sync says "HubSpot failed" in words with Retry sync; the rows stay; Retry sync brings every contact', async () => {
    const { page } = scenario;
    await setFaults({ fail_next: 50, fail_status: 500 });
    const before = await rowCount(page);
    await page.getByRole('button', { name: 'Sync all contacts' }).click();
    const alert = page.locator('.sync').getByRole('alert');
    await alert.getByRole('heading', { name: /^Could not sync all contacts — HubSpot failed$/ }).waitFor({ timeout: 45_000 });
    assert((await rowCount(page)) === before, 'the rows stay');
    await page.getByRole('button', { name: 'Sync all contacts' }).focus();
    await tabTo(page, alert.getByRole('button', { name: 'Retry sync' }), 'Retry sync', 4);
    await visit(page, 'hubspot-sync-failed');
    await setFaults({});
    await alert.getByRole('button', { name: 'Retry sync' }).click();
    await page.getByRole('heading', { name: `Synced ${fmt(EXPECTED_CONTACTS)} contacts` }).waitFor({ timeout: 60_000 });
  });

  test('HubSpot disconnected in another tab: this tab says so, with focus on the message (not <body>)', async () => {
    const { page } = scenario;
    await setFaults({});
    const other = await page.context().newPage();
    try {
      await openHubspot(other);
      await other.getByRole('button', { name: 'Disconnect' }).click();
      await other.getByRole('alertdialog').getByRole('button', { name: 'Disconnect' }).click();
      await other.getByRole('button', { name: 'Connect HubSpot' }).waitFor();
    } finally {
      await other.close();
    }
    await page.bringToFront();
    // Back in this tab: by keyboard, Refresh (the button goes away with the connection).
    await page.getByRole('button', { name: 'Refresh', exact: true }).focus();
    await page.keyboard.press('Enter');
    const message = page.getByRole('heading', { name: 'HubSpot was disconnected in another tab or by an admin' });
    await message.waitFor();
    await page.waitForFunction(() => document.activeElement?.id === 'reauth-title');
    assert(await isFocused(message), 'focus is on the message');
    await expectFocusVisible(page, 'the lost-connection message');
    await page.getByRole('button', { name: 'Reconnect HubSpot' }).waitFor();
    assert((await rowCount(page)) === 0, 'the rows of the lost connection are gone');
    assert((await page.locator('section.provider').getByText('Not connected', { exact: true }).count()) === 1, 'the badge agrees');
    await visit(page, 'hubspot-lost-elsewhere');
  });

  test('clean up', async () => {
    const { page } = scenario;
    await setFaults({});
    const disconnectButton = page.getByRole('button', { name: 'Disconnect' });
    if (await disconnectButton.count()) {
      await disconnectButton.click();
      await page.getByRole('alertdialog').getByRole('button', { name: 'Disconnect' }).click();
    }
    await page.getByRole('button', { name: /^(Connect|Reconnect) HubSpot$/ }).waitFor();
  });
});
