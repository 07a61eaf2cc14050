// The whole CRM in the browser: the kind picker from discovery (the declared kinds first, then
// the portal's others; contacts, companies and deals load), the column picker (a custom field,
// vs_custom_001, becomes a column, the items are asked for it, the choice survives a reload, and
// the CSV of a sync has exactly the chosen columns), and the record drawer (every property,
// labelled; a dialog that takes focus, closes on Escape and gives focus back to the row).

import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { assert, expectFocusVisible, isFocused, visit } from './support/checks';
import { consentInPopup, disconnect, expectContacts, openHubspot, scenarioPage } from './support/app';
import { EXPECTED_CONTACTS as E, userIdFor } from './support/env';

test.describe('the CRM explorer: kinds, columns and a record', () => {
  test.describe.configure({ mode: 'serial' });
  const scenario = scenarioPage(() => ({ userId: userIdFor('crm-explorer') }));
  const show = () => scenario.page.getByRole('combobox', { name: 'Show' });
  const columnsButton = () => scenario.page.getByRole('button', { name: /^Columns \(\d+\)$/ });
  const panel = () => scenario.page.getByRole('group', { name: 'Choose columns' });
  /** The custom field's label, read from the picker (the sandbox makes its words from its seed). */
  let customLabel = '';

  test('connect: the kind picker lists the declared kinds first, then the portal’s other kinds', async () => {
    const { page } = scenario;
    await openHubspot(page);
    await consentInPopup(page, page.getByRole('button', { name: 'Connect HubSpot' }), 'Approve');
    await expectContacts(page);
    // Discovery adds the portal's other kinds after the declared ones.
    await expect.poll(async () => (await show().locator('option').allTextContents()).length).toBeGreaterThan(3);
    const options = await show().locator('option').allTextContents();
    expect(options.slice(0, 3)).toEqual(['Contacts', 'Companies', 'Deals']);
    assert(options.some((o) => /\(custom\)/.test(o)), `a custom object is marked: ${JSON.stringify(options)}`);
    assert((await show().locator('optgroup').count()) >= 1, 'the other kinds are grouped');
  });

  test('companies and deals load from the picker, and contacts again', async () => {
    const { page } = scenario;
    for (const [id, one, many] of [
      ['companies', 'company', 'companies'],
      ['deals', 'deal', 'deals'],
    ] as const) {
      await show().selectOption(id);
      await page.getByRole('heading', { name: many.charAt(0).toUpperCase() + many.slice(1), level: 2 }).waitFor();
      await page.getByText(new RegExp(`^(All \\d+ (${one}|${many}) loaded|Showing \\d+ ${many} — more in HubSpot)$`)).waitFor();
    }
    await show().selectOption('contacts');
    await expectContacts(page);
  });

  test('Columns: a custom field found by search becomes a column, asked for with properties=', async () => {
    const { page } = scenario;
    await columnsButton().click();
    assert((await columnsButton().getAttribute('aria-expanded')) === 'true', 'the Columns button says it is open');
    await panel().getByRole('searchbox', { name: 'Search fields' }).fill('vs_custom_001');
    const choice = panel().locator('label.column-picker__choice', { hasText: 'vs_custom_001' });
    await expect(choice).toHaveCount(1);
    customLabel = await choice.evaluate((label) =>
      [...label.childNodes]
        .filter((n) => n.nodeType === Node.TEXT_NODE)
        .map((n) => n.textContent ?? '')
        .join('')
        .trim(),
    );
    assert(customLabel !== '', 'the custom field has a label');
    const asked = page.waitForRequest((r) => r.url().includes('/api/integrations/hubspot/items') && /[?&]properties=[^&]*vs_custom_001/.test(r.url()));
    await choice.getByRole('checkbox').check();
    await asked;
    await page.getByRole('columnheader', { name: customLabel }).waitFor();
    await visit(page, 'crm-columns');
    // Escape closes the panel and gives focus back to its button.
    await page.keyboard.press('Escape');
    assert(await isFocused(columnsButton()), 'focus back on the Columns button');
    await expectFocusVisible(page, 'Columns');
  });

  test('the chosen columns are remembered after a reload', async () => {
    const { page } = scenario;
    const asked = page.waitForRequest((r) => r.url().includes('/api/integrations/hubspot/items') && r.url().includes('vs_custom_001'));
    await page.reload();
    await asked;
    await page.getByRole('columnheader', { name: customLabel }).waitFor();
  });

  test('Sync, then Export CSV: the chosen columns, a row per synced contact', async () => {
    const { page } = scenario;
    const exported = page.waitForRequest((r) => r.url().includes('/api/integrations/hubspot/export'));
    await page.getByRole('button', { name: 'Sync all contacts' }).click();
    assert(new URL((await exported).url()).searchParams.get('properties')?.includes('vs_custom_001') === true, 'the export asks for the chosen field');
    const synced = page.getByRole('heading', { name: /^Synced [\d,]+ contacts?$/ });
    await synced.waitFor({ timeout: 60_000 });
    // Earlier scenarios may have archived a contact of the shared sandbox: as many rows as synced.
    const count = Number(((await synced.textContent()) ?? '').replace(/[^\d]/g, ''));
    await page.getByRole('columnheader', { name: customLabel }).waitFor();
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV', exact: true }).click();
    const text = await readFile(await (await downloading).path(), 'utf8');
    const lines = text.split('\r\n');
    lines.pop();
    const headers = await page.locator('table thead th').allTextContents();
    const shown = headers.map((h) => h.replace(/[↕▲▼]/g, '').trim()).filter((h) => h !== '' && h !== 'Link');
    expect(lines[0]).toBe([...shown, 'Link'].map((h) => (/[",]/.test(h) ? `"${h.replace(/"/g, '""')}"` : h)).join(','));
    assert((lines[0] ?? '').includes(customLabel), `the CSV has the custom column: ${lines[0]}`);
    assert(count > 0 && count <= E, `synced ${count} contacts`);
    assert(lines.length === count + 1, `a header and ${count} rows (got ${lines.length} lines)`);
  });

  test('a row opens the record: every property, labelled, filterable; Escape closes it and focus goes back to the row', async () => {
    const { page } = scenario;
    const opener = page.locator('table tbody tr button.row-open').first();
    const name = ((await opener.textContent()) ?? '').trim();
    await opener.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert(((await dialog.getByRole('heading', { level: 2 }).textContent()) ?? '').trim() === name, 'the dialog is named after the record');
    assert(await isFocused(dialog.getByRole('button', { name: 'Close' })), 'focus moves into the dialog');
    // Labels from discovery, not raw keys.
    await dialog.locator('dt', { hasText: customLabel }).first().waitFor();
    await dialog.locator('dt', { hasText: /^Email$/ }).first().waitFor();
    await visit(page, 'crm-record');
    await dialog.getByRole('searchbox', { name: 'Filter properties' }).fill('email');
    await dialog.getByText(/^\d+ of \d+ properties match$/).waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert(await isFocused(opener), 'focus is back on the row');
  });

  test('Reset to defaults, then clean up: disconnect', async () => {
    const { page } = scenario;
    await columnsButton().click();
    await panel().getByRole('button', { name: 'Reset to defaults' }).click();
    await expect(page.getByRole('columnheader', { name: customLabel })).toHaveCount(0);
    await page.keyboard.press('Escape');
    await disconnect(page);
  });
});
