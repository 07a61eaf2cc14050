// HubSpot in depth: the list, the skip link, signing in, the pre-connect page, Deny, Approve,
// search and sort of the preview, Sync, revoked tokens and Reconnect, 360 px, Disconnect; then the
// popup's other endings: closed, the opener reloaded, popups blocked (full-page redirect).

import { test } from '@playwright/test';
import { assert, axe, expectFocusVisible, isFocused, shot, tabTo, visit } from './support/checks';
import {
  consentButton,
  consentInPopup,
  disconnect,
  emailsSorted,
  expectContacts,
  fmt,
  newPage,
  openHubspot,
  rowCount,
  sandboxAdmin,
  scenarioPage,
  setUserIdInHeader,
} from './support/app';
import { BASE_URL, EXPECTED_CONTACTS, MOBILE, userIdFor } from './support/env';
import { provider } from './support/providers';

test.describe('connect, browse and disconnect HubSpot', () => {
  test.describe.configure({ mode: 'serial' });
  const scenario = scenarioPage();
  let mainUser = '';
  test.beforeAll(() => {
    mainUser = userIdFor('main');
  });

  test('/ redirects to the integrations list with the Sandbox badge; the skip link works', async () => {
    const { page } = scenario;
    await page.goto(`${BASE_URL}/`);
    await page.waitForURL(/\/integrations$/);
    await page.getByRole('heading', { name: 'Integrations', level: 1 }).waitFor();
    await page.getByText('Sandbox', { exact: true }).first().waitFor();
    await page.getByText('VectorShift Integrations').first().waitFor();
    const skip = page.getByRole('link', { name: 'Skip to content' });
    await tabTo(page, skip, 'skip link', 1);
    const box = await skip.boundingBox();
    assert(box && box.y >= 0 && box.height > 0, 'the focused skip link is on screen');
    await page.keyboard.press('Enter');
    assert(await isFocused(page.locator('#main')), 'Enter on the skip link moves focus to the main content');
  });

  test('sign in as a fresh user through the header field', async () => {
    const { page } = scenario;
    await setUserIdInHeader(page, mainUser);
    const card = page.getByRole('link', { name: /HubSpot/ });
    await card.waitFor();
    await card.getByText('Not connected').waitFor();
    await visit(page, 'integrations');
  });

  test('open the HubSpot page from its card with the keyboard; focus moves to the page heading', async () => {
    const { page } = scenario;
    await page.locator('body').focus();
    const card = page.getByRole('link', { name: /HubSpot/ });
    await tabTo(page, card, 'HubSpot card');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/integrations\/hubspot$/);
    await page.getByRole('button', { name: 'Connect HubSpot' }).waitFor();
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    assert((await page.evaluate(() => document.activeElement?.textContent)) === 'HubSpot', 'focus on the h1');
    await page.getByRole('heading', { name: 'What happens when you connect' }).waitFor();
    await page.getByText(/Read-only/).waitFor();
    await tabTo(page, page.getByRole('button', { name: 'Connect HubSpot' }), 'Connect HubSpot');
    await visit(page, 'hubspot-not-connected');
  });

  test('Deny in the consent popup: a calm notice and one call to action', async () => {
    const { page } = scenario;
    await consentInPopup(page, page.getByRole('button', { name: 'Connect HubSpot' }), 'Deny');
    await page.getByRole('heading', { name: 'HubSpot was not connected' }).waitFor();
    assert((await page.getByRole('button', { name: 'Try again' }).count()) === 0, 'no second button');
    await page.getByRole('button', { name: 'Connect HubSpot' }).waitFor();
    await visit(page, 'hubspot-denied');
  });

  test('Connect → Approve shows "HubSpot connected", the account card and the first contacts', async () => {
    const { page } = scenario;
    await consentInPopup(page, page.getByRole('button', { name: 'Connect HubSpot' }), 'Approve');
    await page.getByRole('heading', { name: 'HubSpot connected' }).waitFor();
    const rows = await expectContacts(page);
    assert(rows <= 100, `first page has at most 100 rows (got ${rows})`);
    // The card's permissions are HubSpot's own, in words, from its metadata.
    await page
      .getByText(provider('hubspot').permissions[0] ?? '')
      .first()
      .waitFor();
    assert((await page.getByText('crm.objects.contacts.read').count()) === 0, 'no raw scope strings');
    assert((await page.getByText(/Access renews/).count()) === 0, 'no token expiry line');
    await visit(page, 'hubspot-connected');
  });

  test('Refresh, Disconnect, search and sort are reachable with a visible focus', async () => {
    const { page } = scenario;
    await page.locator('#provider-title').focus();
    await tabTo(page, page.getByRole('button', { name: 'Refresh', exact: true }), 'Refresh');
    await tabTo(page, page.getByRole('button', { name: 'Disconnect' }), 'Disconnect');
    await tabTo(page, page.getByRole('searchbox', { name: 'Search contacts' }), 'search');
    await tabTo(page, page.getByRole('button', { name: /^Name/ }), 'sort by name');
  });

  test('search and sort the first page (the preview before a sync): the search asks HubSpot, and says so', async () => {
    const { page } = scenario;
    const search = page.getByRole('searchbox', { name: 'Search contacts' });
    // HubSpot may leave a property unset (null or ""): search by the first email there is.
    const emails = (await page.locator('table tbody tr .table__email').allTextContents()).map((e) => e.trim());
    const firstEmail = emails.find((e) => e.includes('@'));
    assert(firstEmail, 'some loaded contact has an email');
    await search.fill(firstEmail);
    // Before a sync only the first page is loaded: HubSpot searches every contact (08-… has one past it).
    await page.locator('.table-toolbar__count', { hasText: / in HubSpot (match|matches|matching) “/ }).waitFor();
    await page.locator('table tbody tr .table__email', { hasText: firstEmail }).first().waitFor();
    await search.fill('');
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length > 1);
    await page.getByRole('button', { name: /^Email/ }).click();
    const sorted = await page.locator('table tbody tr .table__email').allTextContents();
    assert(JSON.stringify(sorted) === JSON.stringify(emailsSorted(sorted)), 'rows sorted by email, blanks last');
    assert((await page.locator('th[aria-sort="ascending"]').count()) === 1, 'the sorted column says aria-sort=ascending');
    assert(!(await page.getByLabel('Sort').isVisible()), 'no second sort control on a wide screen');
    await page.getByRole('button', { name: /^Email/ }).click();
    await page.getByRole('button', { name: /^Email/ }).click();
  });

  test(`no Load more: "Skip to the end of the table" lands on the line under it; Sync (keyboard) brings all ${EXPECTED_CONTACTS} contacts into one dataset`, async () => {
    const { page } = scenario;
    assert((await page.getByRole('button', { name: 'Load more' }).count()) === 0, 'no Load more: one dataset, filled by Sync');
    assert((await page.getByRole('button', { name: /CSV/ }).count()) === 0, 'no CSV of a preview');
    await page.getByRole('searchbox', { name: 'Search contacts' }).focus();
    // Not 100 Tabs through the rows: the skip button right after the search box.
    await tabTo(page, page.getByRole('button', { name: 'Skip to the end of the table' }), 'skip the table', 2);
    await page.keyboard.press('Enter');
    const summary = page.locator('.contacts__summary');
    assert(await isFocused(summary), 'the skip button moves focus to the line under the table');
    await expectFocusVisible(page, 'the line under the table');
    const sync = page.getByRole('button', { name: 'Sync all contacts' });
    await page.locator('#provider-title').focus();
    await tabTo(page, sync, 'Sync all contacts');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `Synced ${fmt(EXPECTED_CONTACTS)} contacts` }).waitFor({ timeout: 60_000 });
    const rows = await rowCount(page);
    assert(rows === EXPECTED_CONTACTS, `${EXPECTED_CONTACTS} rows after the sync (got ${rows})`);
    await page.getByText(`Last synced just now · ${fmt(EXPECTED_CONTACTS)} contacts`).waitFor();
    await page.getByText(`All ${fmt(EXPECTED_CONTACTS)} contacts synced`).waitFor();
    await visit(page, 'hubspot-all-contacts');
  });

  test('the success notice has gone away by itself', async () => {
    await scenario.page.getByRole('heading', { name: 'HubSpot connected' }).waitFor({ state: 'detached', timeout: 8000 });
  });

  test('Refresh keeps the synced dataset (no reset to the first page)', async () => {
    const { page } = scenario;
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await page.getByRole('button', { name: 'Refresh', exact: true }).waitFor();
    await page.getByText(`All ${fmt(EXPECTED_CONTACTS)} contacts synced`).waitFor();
    assert((await rowCount(page)) === EXPECTED_CONTACTS, 'rows kept through the refresh');
  });

  test('after the sandbox revokes all tokens, Refresh shows Reconnect; every screen agrees without a reload', async () => {
    const { page } = scenario;
    await sandboxAdmin('POST', 'revoke-all');
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await page.getByRole('button', { name: 'Reconnect HubSpot' }).waitFor();
    // Revoked while the page showed the connection: the page says so, with focus on the message.
    const lost = page.getByRole('heading', { name: 'HubSpot was disconnected in another tab or by an admin' });
    await lost.waitFor();
    await page.waitForFunction(() => document.activeElement?.id === 'reauth-title');
    assert((await page.locator('section.provider').getByText('Needs reconnect', { exact: true }).count()) === 1, 'the badge agrees: Needs reconnect');
    assert((await page.getByRole('heading', { name: 'HubSpot connected' }).count()) === 0, 'no "HubSpot connected" next to it');
    assert((await page.getByText(/Access renews/).count()) === 0, 'a reauth_required connection shows no expiry');
    await tabTo(page, page.getByRole('button', { name: 'Reconnect HubSpot' }), 'Reconnect HubSpot');
    await visit(page, 'hubspot-reconnect');
    // Back to the list in the same tab (no reload): it says the same thing.
    await page.getByRole('link', { name: '← All integrations' }).click();
    const card = page.getByRole('link', { name: /HubSpot/ });
    await card.getByText('Needs reconnect', { exact: true }).waitFor();
    await card.getByText('Reconnect →').waitFor();
    assert((await card.getByText('Manage →').count()) === 0, '"Manage →" only on connected cards');
    await visit(page, 'integrations-needs-reconnect');
    await card.click();
    await page.getByRole('button', { name: 'Reconnect HubSpot' }).waitFor();
  });

  test('Reconnect → Approve brings the contacts back', async () => {
    const { page } = scenario;
    await consentInPopup(page, page.getByRole('button', { name: 'Reconnect HubSpot' }), 'Approve');
    await page.getByRole('heading', { name: 'HubSpot connected' }).waitFor();
    await expectContacts(page);
    assert(!(await page.getByRole('button', { name: 'Reconnect HubSpot' }).isVisible()), 'no reconnect prompt');
  });

  test('the integrations list shows HubSpot as connected', async ({ browser }) => {
    const list = await newPage(browser, { userId: mainUser });
    try {
      await list.goto(`${BASE_URL}/integrations`);
      await list.getByRole('link', { name: /HubSpot/ }).getByText('Connected', { exact: true }).waitFor();
      await visit(list, 'integrations-connected');
    } finally {
      await list.context().close();
    }
  });

  test('the page is usable 360 px wide', async ({ browser }) => {
    const mobile = await newPage(browser, { userId: mainUser, viewport: MOBILE });
    try {
      await openHubspot(mobile);
      await expectContacts(mobile);
      const overflow = await mobile.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert(overflow <= 0, `no horizontal scrolling at 360 px (overflow ${overflow} px)`);
      const height = await mobile.evaluate(() => document.documentElement.scrollHeight);
      assert(height < 4000, `250 contacts do not make the page endless (${height} px)`);
      // The column headers are hidden on a phone; the Sort menu replaces them.
      await mobile.getByLabel('Sort').selectOption('ascending:email');
      const emails = await mobile.locator('table tbody tr .table__email').allTextContents();
      assert(JSON.stringify(emails) === JSON.stringify(emailsSorted(emails)), 'Sort menu sorts by e-mail at 360 px');
      await mobile.getByLabel('Sort').selectOption('');
      await shot(mobile, 'hubspot-connected-mobile-360-full', { fullPage: true });
    } finally {
      await mobile.context().close();
    }
  });

  test('Disconnect asks for confirmation, Cancel keeps the connection', async () => {
    const { page } = scenario;
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.getByRole('button', { name: 'Disconnect' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Disconnect HubSpot?' });
    await dialog.waitFor();
    await visit(page, 'hubspot-disconnect-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expectContacts(page);
  });

  test('Disconnect → confirm returns to not connected', async () => {
    const { page } = scenario;
    await page.getByRole('button', { name: 'Disconnect' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Disconnect HubSpot?' });
    await dialog.getByRole('button', { name: 'Disconnect' }).click();
    await page.getByRole('heading', { name: 'HubSpot disconnected' }).waitFor();
    await page.getByRole('button', { name: 'Connect HubSpot' }).waitFor();
    assert((await rowCount(page)) === 0, 'no contacts shown after disconnecting');
    await visit(page, 'hubspot-disconnected');
    await page.goto(`${BASE_URL}/integrations`);
    await page.getByRole('link', { name: /HubSpot/ }).getByText('Not connected').waitFor();
  });
});

test.describe('closing the consent popup cancels', () => {
  const scenario = scenarioPage(() => ({ userId: userIdFor('cancel') }));

  test('closing the popup shows "Connection cancelled" and re-enables Connect', async () => {
    const { page } = scenario;
    await openHubspot(page);
    const popupPromise = page.waitForEvent('popup');
    await page.getByRole('button', { name: 'Connect HubSpot' }).click();
    await page.getByRole('button', { name: 'Connecting…' }).waitFor();
    const popup = await popupPromise;
    await consentButton(popup, 'Approve').waitFor();
    await page.getByRole('button', { name: 'Reopen the HubSpot window' }).waitFor();
    await visit(page, 'hubspot-connecting');
    await popup.close();
    await page.getByRole('heading', { name: 'Connection cancelled' }).waitFor();
    await page.getByRole('button', { name: 'Connect HubSpot' }).waitFor();
    await visit(page, 'hubspot-cancelled');
  });
});

test.describe('reload during consent', () => {
  const scenario = scenarioPage(() => ({ userId: userIdFor('reload') }));

  test('approving after the opener reloaded still shows the page connected', async () => {
    const { page } = scenario;
    await openHubspot(page);
    const popupPromise = page.waitForEvent('popup');
    await page.getByRole('button', { name: 'Connect HubSpot' }).click();
    const popup = await popupPromise;
    await consentButton(popup, 'Approve').waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Connect HubSpot' }).waitFor();
    const closed = popup.waitForEvent('close');
    await consentButton(popup, 'Approve').click();
    await closed;
    await expectContacts(page);
    await disconnect(page);
  });
});

test.describe('popup blocked → full-page redirect', () => {
  test.describe.configure({ mode: 'serial' });
  const scenario = scenarioPage(() => ({ userId: userIdFor('redirect'), blockPopups: true }));

  test('Connect navigates this tab to the consent page; Approve comes back connected', async () => {
    const { page } = scenario;
    await openHubspot(page);
    await page.getByRole('button', { name: 'Connect HubSpot' }).click();
    await consentButton(page, 'Approve').waitFor();
    // The sandbox's consent page is not this UI; report its violations without failing.
    await axe(page, 'sandbox consent page').catch((error: unknown) => console.log(`  [warning] ${error instanceof Error ? error.message : String(error)}`));
    await consentButton(page, 'Approve').click();
    await page.waitForURL(/\/integrations\/hubspot$/);
    await page.getByRole('heading', { name: 'HubSpot connected' }).waitFor();
    await expectContacts(page);
  });

  test('Back to the used consent page and approving again: no stale "request expired" on a connected page', async () => {
    const { page } = scenario;
    await page.goBack();
    const approve = consentButton(page, 'Approve');
    const shown = await approve.waitFor({ timeout: 5000 }).then(
      () => true,
      () => false,
    );
    test.skip(!shown, 'the consent page is not shown again after Back');
    await approve.click();
    await page.waitForURL(/\/integrations\/hubspot$/);
    await expectContacts(page);
    await page.waitForTimeout(500);
    assert((await page.getByRole('heading', { name: 'Could not connect HubSpot' }).count()) === 0, 'no error notice on a connected page');
  });

  test('clean up: disconnect', async () => {
    await disconnect(scenario.page);
  });
});
