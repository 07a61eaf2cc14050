// Every CRM object, how records relate, and one whole record, in the browser against the sandbox.
// Notes are read with the contacts scope (no Enable); Tickets need `tickets` (the scope named,
// Enable, consent, ticket rows); the custom object "Pets" needs crm.objects.custom.read (the same).
// Related on for contacts shows company chips with their association labels ("Primary"); and the
// record drawer reads the whole record (items/{id}?properties=*): a custom property that is no
// column of the table is there, labelled.

import { expect, test, type Page } from '@playwright/test';
import { assert, visit } from './support/checks';
import { consentInPopup, disconnect, expectContacts, openHubspot, scenarioPage } from './support/app';
import { userIdFor } from './support/env';

/** One kind's rows are in the table, counted in words ("All 40 notes loaded", "Showing 100 notes — more in HubSpot"). */
async function expectRows(page: Page, one: string, many: string): Promise<void> {
  await page.getByRole('heading', { name: many.charAt(0).toUpperCase() + many.slice(1), level: 2 }).waitFor();
  await page.locator('table tbody tr').first().waitFor();
  await page.getByText(new RegExp(`^(All \\d+ (${one}|${many}) loaded|Showing \\d+ ${many} — more in HubSpot)$`)).waitFor();
}

/** The names in the table's first column (each row's open button). */
async function rowNames(page: Page): Promise<string[]> {
  return (await page.locator('table tbody tr button.row-open').allTextContents()).map((t) => t.trim());
}

test.describe('every CRM object, related records and one whole record', () => {
  test.describe.configure({ mode: 'serial' });
  const scenario = scenarioPage(() => ({ userId: userIdFor('crm-objects') }));
  const show = () => scenario.page.getByRole('combobox', { name: 'Show' });

  test('Notes need no Enable: note rows with their titles', async () => {
    const { page } = scenario;
    await openHubspot(page);
    await consentInPopup(page, page.getByRole('button', { name: 'Connect HubSpot' }), 'Approve');
    await expectContacts(page);
    await expect.poll(async () => (await show().locator('option').allTextContents()).includes('Notes')).toBe(true);
    const asked = page.waitForRequest((r) => r.url().includes('/api/integrations/hubspot/items') && r.url().includes('object_type=notes'));
    await show().selectOption({ label: 'Notes' });
    await asked;
    await expectRows(page, 'note', 'notes');
    const names = await rowNames(page);
    // A note's title is its body's first words (a note without a body is "Note 4340…").
    const titled = names.filter((n) => n !== '' && !/^Note \d+$/.test(n));
    assert(titled.length > 0 && titled.length >= names.length / 2, `note rows have titles: ${titled.length} of ${names.length}, ${JSON.stringify(names.slice(0, 3))}`);
    assert((await page.getByRole('button', { name: /^Enable/ }).count()) === 0, 'no Enable for notes');
    await page.locator('table').scrollIntoViewIfNeeded();
    await visit(page, 'crm-notes');
  });

  test('Tickets: the scope to add is named, Enable Tickets → consent → ticket rows', async () => {
    const { page } = scenario;
    await show().selectOption({ label: 'Tickets — not granted' });
    await page.getByRole('heading', { name: 'HubSpot has not allowed reading tickets' }).waitFor();
    await page.locator('.notice code', { hasText: /^tickets$/ }).waitFor();
    assert((await page.locator('table').count()) === 0, 'no table of a kind that cannot be read');
    await visit(page, 'crm-tickets-enable');
    const authorize = page.waitForRequest((r) => r.url().includes('/api/integrations/hubspot/authorize'));
    await consentInPopup(page, page.getByRole('button', { name: 'Enable Tickets' }), 'Approve');
    expect(new URL((await authorize).url()).searchParams.get('object_type')).toBe('tickets');
    await expectRows(page, 'ticket', 'tickets');
    expect(await show().locator('option:checked').textContent()).toBe('Tickets');
    const names = await rowNames(page);
    assert(names.length > 0 && names.every((n) => n !== ''), `ticket rows have names: ${JSON.stringify(names.slice(0, 3))}`);
  });

  test('the custom object "Pets": Enable Pets → consent → pet rows', async () => {
    const { page } = scenario;
    await show().selectOption({ label: 'Pets (custom) — not granted' });
    await page.getByRole('heading', { name: 'HubSpot has not allowed reading pets' }).waitFor();
    await page.locator('.notice code', { hasText: 'crm.objects.custom.read' }).waitFor();
    const authorize = page.waitForRequest((r) => r.url().includes('/api/integrations/hubspot/authorize'));
    await consentInPopup(page, page.getByRole('button', { name: 'Enable Pets' }), 'Approve');
    expect(new URL((await authorize).url()).searchParams.get('object_type')).toMatch(/^2-\d+$/);
    await expectRows(page, 'pet', 'pets');
    expect(await show().locator('option:checked').textContent()).toBe('Pets (custom)');
    assert((await rowNames(page)).length > 0, 'pet rows');
    await page.locator('table').scrollIntoViewIfNeeded();
    await visit(page, 'crm-pets');
  });

  test('Related on for contacts: company chips, one labelled "Primary"', async () => {
    const { page } = scenario;
    await show().selectOption('contacts');
    await expectContacts(page);
    await page.getByRole('button', { name: /^Columns \(\d+\)$/ }).click();
    const asked = page.waitForRequest((r) => r.url().includes('/api/integrations/hubspot/items') && /[?&]associations=companies(%2C|,)deals/.test(r.url()));
    await page.getByRole('checkbox', { name: 'Related (companies and deals)' }).check();
    await asked;
    await page.keyboard.press('Escape');
    await page.getByRole('columnheader', { name: 'Related' }).waitFor();
    const chips = page.locator('table tbody .chips .chip');
    await chips.first().waitFor();
    const primary = page.locator('table tbody .chip', { hasText: 'Primary' }).first();
    await expect(primary).toBeVisible();
    // Named from a synced dataset of companies, else by kind and id.
    assert(((await primary.getAttribute('title')) ?? '').startsWith('companies '), 'the Primary chip is a company');
    await visit(page, 'crm-related');
  });

  test('the drawer reads the whole record: a custom property that is no column, labelled; axe clean', async () => {
    const { page } = scenario;
    // The label of a custom property the table does not show (the sandbox makes its words from its seed).
    const label = await page.evaluate(async () => {
      const headers = { 'X-User-Id': localStorage.getItem('vs.userId') ?? '' };
      const answer = (await (await fetch('/api/integrations/hubspot/fields?object_type=contacts', { headers })).json()) as {
        fields: { name: string; label: string }[];
      };
      return answer.fields.find((f) => f.name === 'vs_custom_600')?.label ?? null;
    });
    assert(label, 'the sandbox has vs_custom_600');
    await expect(page.getByRole('columnheader', { name: label })).toHaveCount(0);

    const asked = page.waitForRequest((r) => /\/api\/integrations\/hubspot\/items\/[^/?]+\?/.test(r.url()));
    const opener = page.locator('table tbody tr button.row-open').first();
    const name = ((await opener.textContent()) ?? '').trim();
    await opener.click();
    const dialog = page.getByRole('dialog', { name });
    await dialog.waitFor();
    const params = new URL((await asked).url()).searchParams;
    expect(params.get('properties')).toBe('*');
    expect(params.get('object_type')).toBe('contacts');
    expect(params.get('associations')).toBe('companies,deals');
    await dialog.locator('dt', { hasText: label }).first().waitFor();
    await expect(dialog.getByRole('status')).not.toContainText('Loading');
    // Hundreds of properties, most of them empty and set apart.
    const counted = ((await dialog.getByRole('status').textContent()) ?? '').match(/^(\d+) properties with a value, (\d+) empty/);
    assert(counted && Number(counted[1]) + Number(counted[2]) > 100, `every property: ${counted?.[0]}`);
    await dialog.getByRole('heading', { name: /^Related \(\d+\)$/ }).waitFor();
    await visit(page, 'crm-record-full');
    // The filter finds the custom property by its name.
    await dialog.getByRole('searchbox', { name: 'Filter properties' }).fill('vs_custom_600');
    await dialog.getByText(/^1 of \d+ properties match$/).waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  test('clean up: Related off, disconnect', async () => {
    const { page } = scenario;
    await page.getByRole('button', { name: /^Columns \(\d+\)$/ }).click();
    await page.getByRole('button', { name: 'Reset to defaults' }).click();
    await page.keyboard.press('Escape');
    await disconnect(page);
  });
});
