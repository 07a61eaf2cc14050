// Live updates: with HubSpot connected and synced, the page follows its events (SSE); a contact
// modified through the sandbox's admin API changes its row in place, highlighted, without a
// reload; "Live · last change …" says when; the Changes panel lists it; an archived contact's row
// goes. Runs last among the HubSpot scenarios (this file's number): it archives a contact.

import { test } from '@playwright/test';
import { assert, axe, expectFocusVisible, visit } from './support/checks';
import { consentInPopup, expectContacts, fmt, openHubspot, rowCount, sandboxAdmin, scenarioPage } from './support/app';
import { EXPECTED_CONTACTS, userIdFor } from './support/env';

declare global {
  interface Window {
    __sameDocument?: boolean;
  }
}

test.describe('live updates: a change at HubSpot shows up in the table without a reload', () => {
  test.describe.configure({ mode: 'serial' });
  const scenario = scenarioPage(() => ({ userId: userIdFor('live') }));
  const live = () => scenario.page.locator('.live');
  const changesButton = () => scenario.page.getByRole('button', { name: /^Changes \(\d+\)$/ });
  /** The sandbox's contacts (as seeded; a retry asks, since an earlier attempt may have archived one). */
  let E = EXPECTED_CONTACTS;
  let id = '';

  test('connect and sync; the page says "Live" once the events feed (Server-Sent Events) is open', async ({}, testInfo) => {
    const { page } = scenario;
    await openHubspot(page);
    const opened = page.waitForResponse(
      (r) => r.url().includes('/api/integrations/hubspot/events') && (r.request().headers().accept ?? '').includes('text/event-stream'),
    );
    await consentInPopup(page, page.getByRole('button', { name: 'Connect HubSpot' }), 'Approve');
    await expectContacts(page);
    if (testInfo.retry > 0) {
      // The sandbox has no undo for the archive step below: count what it has now.
      E = await page.evaluate(async () => {
        const response = await fetch('/api/integrations/hubspot/count', { headers: { 'X-User-Id': localStorage.getItem('vs.userId') ?? '' } });
        return ((await response.json()) as { total: number }).total;
      });
    }
    const response = await opened;
    assert(response.status() === 200, `GET /events (SSE) answered ${response.status()}`);
    assert((response.headers()['content-type'] ?? '').includes('text/event-stream'), 'the feed is text/event-stream');
    const sync = page.getByRole('button', { name: 'Sync all contacts' });
    await sync.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `Synced ${fmt(E)} contacts` }).waitFor({ timeout: 60_000 });
    await live().getByText('Live', { exact: true }).waitFor();
    const words = ((await live().textContent()) ?? '').trim();
    assert(/^Live · (no changes yet|last change (just now|\d+ s ago|\d+ min ago))$/.test(words), `the live line: "${words}"`);
    assert((await changesButton().getAttribute('aria-expanded')) === 'false', 'the Changes panel starts collapsed');
    await page.evaluate(() => {
      window.__sameDocument = true;
    });
  });

  test('a contact modified at HubSpot (sandbox admin API) changes in place, highlighted, without a reload', async () => {
    const { page } = scenario;
    const rowIds = (await page.locator('table tbody tr .table__id').allTextContents()).map((t) => t.trim());
    id = rowIds[2] ?? '';
    assert(id, 'a visible contact');
    const row = page.locator('table tbody tr', { has: page.locator('.table__id', { hasText: new RegExp(`^\\s*${id}\\s*$`) }) });
    assert((await row.count()) === 1, `one row for contact ${id}`);
    const quiet = page.waitForRequest((r) => r.url().includes('/api/integrations/hubspot/changes') && /[?&]since=/.test(r.url()), {
      timeout: 20_000,
    });
    const started = Date.now();
    await sandboxAdmin('POST', 'crm/contacts/modify', { ids: [id] });
    await page.waitForFunction(
      (wanted) => [...document.querySelectorAll('table tbody tr[data-changed="true"] .table__id')].some((cell) => cell.textContent?.trim() === wanted),
      id,
      { timeout: 20_000 },
    );
    console.log(`  the row of contact ${id} was highlighted ${Date.now() - started} ms after the change`);
    assert((await row.locator('.visually-hidden', { hasText: 'Changed just now.' }).count()) === 1, 'the change is said in words too');
    const background = await row
      .locator('td')
      .first()
      .evaluate((td) => getComputedStyle(td).backgroundColor);
    assert(background !== 'rgba(0, 0, 0, 0)', `the changed row has a highlight (${background})`);
    const place = (await page.locator('table tbody tr .table__id').allTextContents()).map((t) => t.trim()).indexOf(id);
    assert(place === 2, `the row stays in its place (${place})`);
    assert(await page.evaluate(() => window.__sameDocument === true), 'no reload');
    assert((await rowCount(page)) === E, `still ${E} rows`);
    // Then a quiet changes run from the checkpoint brings whole records (no Sync outcome shown).
    await quiet;
    assert((await page.getByRole('heading', { name: /^Synced: / }).count()) === 0, 'the quiet run shows no sync outcome');
    const words = ((await live().textContent()) ?? '').trim();
    assert(/^Live · last change (just now|\d+ s ago)$/.test(words), `the live line tells the last change: "${words}"`);
  });

  test('the Changes panel (keyboard) lists the change: what, which contact, the property, when; axe stays clean', async () => {
    const { page } = scenario;
    await changesButton().focus();
    await expectFocusVisible(page, 'Changes button');
    await page.keyboard.press('Enter');
    assert((await changesButton().getAttribute('aria-expanded')) === 'true', 'the panel opens by keyboard');
    const list = page.getByRole('list', { name: 'Recent changes, newest first' });
    await list.waitFor();
    const item = list.getByRole('listitem').filter({ hasText: `ID ${id}` }).first();
    await item.waitFor();
    const text = ((await item.textContent()) ?? '').replace(/\s+/g, ' ');
    assert(text.includes('Contact updated'), `what happened: "${text}"`);
    const change = /lifecyclestage → (\S+) (just now|\d+ s ago)$/.exec(text.trim());
    assert(change, `the property change: "${text}"`);
    console.log(`  listed: ${text.trim()}`);
    assert(/(just now|\d+ s ago)$/.test(text.trim()), `when: "${text}"`);
    // The pictures show the live line, the open panel and the rows under it.
    await page.locator('.live-bar').evaluate((element) => element.scrollIntoView({ block: 'center' }));
    await visit(page, 'hubspot-live-changes');
  });

  test('a contact archived at HubSpot leaves the table; the panel says so, newest first', async () => {
    const { page } = scenario;
    const rowIds = (await page.locator('table tbody tr .table__id').allTextContents()).map((t) => t.trim());
    const gone = rowIds[4] ?? '';
    await sandboxAdmin('POST', 'crm/contacts/archive', { ids: [gone] });
    await page.waitForFunction(
      (wanted) => ![...document.querySelectorAll('table tbody tr .table__id')].some((cell) => cell.textContent?.trim() === wanted),
      gone,
      { timeout: 20_000 },
    );
    assert((await rowCount(page)) === E - 1, `${E - 1} rows once one is archived (got ${await rowCount(page)})`);
    const first = page.getByRole('list', { name: 'Recent changes, newest first' }).getByRole('listitem').first();
    await first.filter({ hasText: `ID ${gone}` }).waitFor();
    assert(((await first.textContent()) ?? '').includes('Contact deleted'), 'the newest change is the deletion');
    assert(await page.evaluate(() => window.__sameDocument === true), 'no reload');
    await page.keyboard.press('Enter');
    assert((await changesButton().getAttribute('aria-expanded')) === 'false', 'the panel closes by keyboard');
    await axe(page, 'live updates after a deletion');
  });

  test('a reload resumes the feed from the kept offset (IndexedDB), still Live', async () => {
    const { page } = scenario;
    const resumed = page.waitForRequest((r) => r.url().includes('/api/integrations/hubspot/events') && (r.headers().accept ?? '').includes('text/event-stream'));
    await page.reload();
    const request = await resumed;
    assert(/[?&]since=/.test(request.url()), `the feed resumes with since= (${request.url()})`);
    await live().getByText('Live', { exact: true }).waitFor();
    assert((await rowCount(page)) === E - 1, `the ${E - 1} synced contacts after the reload`);
  });
});
