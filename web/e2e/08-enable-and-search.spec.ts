// Two things a first look at HubSpot needs. Enabling a kind the first consent left out: with
// HUBSPOT_OPTIONAL_SCOPES=none (a server of its own, started here) the consent grants contacts
// only, Companies is marked not granted, and "Enable Companies" asks the consent again for
// companies — then company rows appear. And searching before the first sync: only the first page
// is loaded, yet a contact past it is found, because the search asks HubSpot.

import { expect, test } from '@playwright/test';
import { assert, visit } from './support/checks';
import { consentInPopup, expectContacts, scenarioPage } from './support/app';
import { BASE_URL, userIdFor } from './support/env';
import { serverBinary, startServer, type ExtraServer } from './support/server';

test.describe('enable a kind the first consent left out (HUBSPOT_OPTIONAL_SCOPES=none)', () => {
  test.describe.configure({ mode: 'serial' });
  // scripts/browser-tests.sh always passes its binary; only a bare `playwright test` may have none.
  test.skip(serverBinary() === null && !process.env.CI, 'no server binary to start a second server with (VS_SERVER_BIN)');
  let server: ExtraServer | null = null;
  test.beforeAll(async () => {
    server = await startServer({ HUBSPOT_OPTIONAL_SCOPES: 'none' });
  });
  test.afterAll(async () => {
    await server?.stop();
  });
  const scenario = scenarioPage(() => ({ userId: userIdFor('enable-kind') }));
  const base = () => {
    if (!server) throw new Error('the extra server is not running');
    return server.url;
  };

  test('Connect → Approve grants contacts only: Companies is marked not granted', async () => {
    const { page } = scenario;
    await page.goto(`${base()}/integrations/hubspot`);
    await consentInPopup(page, page.getByRole('button', { name: 'Connect HubSpot' }), 'Approve');
    await page.getByRole('heading', { name: 'HubSpot connected' }).waitFor();
    await expectContacts(page);
    const options = await page.getByRole('combobox', { name: 'Show' }).locator('option').allTextContents();
    // The declared kinds first (discovery lists the portal's other kinds after them).
    expect(options.slice(0, 3)).toEqual(['Contacts', 'Companies — not granted', 'Deals — not granted']);
  });

  test('picking Companies offers "Enable Companies", and no Sync of a kind that cannot be read', async () => {
    const { page } = scenario;
    await page.getByRole('combobox', { name: 'Show' }).selectOption('companies');
    await page.getByRole('heading', { name: 'HubSpot has not allowed reading companies' }).waitFor();
    await page.getByRole('button', { name: 'Enable Companies' }).waitFor();
    assert((await page.getByRole('button', { name: /^Sync all/ }).count()) === 0, 'no Sync for an ungranted kind');
    assert((await page.getByRole('button', { name: 'Reconnect HubSpot' }).count()) === 0, 'no Reconnect loop');
    assert((await page.locator('table').count()) === 0, 'no table of a kind that cannot be read');
    await visit(page, 'hubspot-enable-kind');
  });

  test('Enable Companies → Approve: the consent asks for companies, and company rows appear', async () => {
    const { page } = scenario;
    const authorize = page.waitForRequest((r) => r.url().includes('/api/integrations/hubspot/authorize'));
    await consentInPopup(page, page.getByRole('button', { name: 'Enable Companies' }), 'Approve');
    expect(new URL((await authorize).url()).searchParams.get('object_type')).toBe('companies');
    await page.locator('table tbody tr').first().waitFor();
    await page.getByText(/^(All \d+ compan(y|ies) loaded|Showing \d+ companies — more in HubSpot)$/).waitFor();
    await page.getByRole('heading', { name: 'Companies', level: 2 }).waitFor();
    expect(await page.getByRole('combobox', { name: 'Show' }).inputValue()).toBe('companies');
    const options = await page.getByRole('combobox', { name: 'Show' }).locator('option').allTextContents();
    expect(options.slice(0, 3)).toEqual(['Contacts', 'Companies', 'Deals — not granted']);
    await page.getByRole('button', { name: 'Sync all companies' }).waitFor();
    await visit(page, 'hubspot-kind-enabled');
  });
});

test.describe('search before the first sync asks HubSpot', () => {
  test.describe.configure({ mode: 'serial' });
  const scenario = scenarioPage(() => ({ userId: userIdFor('server-search') }));

  test('a contact past the first page is found by the search, before any sync', async () => {
    const { page } = scenario;
    await page.goto(`${BASE_URL}/integrations/hubspot`);
    await consentInPopup(page, page.getByRole('button', { name: 'Connect HubSpot' }), 'Approve');
    await page.getByRole('heading', { name: 'HubSpot connected' }).waitFor();
    await expectContacts(page);
    await page.getByText(/^Showing 100 contacts — more in HubSpot$/).waitFor();
    // A contact of the second page, with an e-mail, which the first page does not hold.
    const late = await page.evaluate(async () => {
      const headers = { 'X-User-Id': localStorage.getItem('vs.userId') ?? '' };
      type Item = { properties?: { email?: unknown } };
      const get = async (query: string) =>
        (await (await fetch(`/api/integrations/hubspot/items?${query}`, { headers })).json()) as { items: Item[]; next_cursor?: string | null };
      const first = await get('limit=100&object_type=contacts');
      if (!first.next_cursor) return null;
      const second = await get(`limit=100&object_type=contacts&cursor=${encodeURIComponent(first.next_cursor)}`);
      const onFirst = new Set(first.items.map((i) => String(i.properties?.email ?? '')));
      const email = second.items.map((i) => String(i.properties?.email ?? '')).find((e) => e.includes('@') && !onFirst.has(e));
      return email ?? null;
    });
    assert(late, 'a contact past the first page has an e-mail');
    assert((await page.locator('table tbody tr .table__email', { hasText: late }).count()) === 0, `${late} is not on the first page`);
    const search = page.getByRole('searchbox', { name: 'Search contacts' });
    await search.fill(late);
    await page.locator('table tbody tr .table__email', { hasText: late }).first().waitFor();
    await page.locator('.table-toolbar__count', { hasText: new RegExp(`in HubSpot (match|matches|matching) “${late.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}”`) }).waitFor();
    await visit(page, 'hubspot-search-server');
    await search.fill('');
    await page.getByText(/^Showing 100 contacts — more in HubSpot$/).waitFor();
  });
});
