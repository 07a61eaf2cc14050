// Awkward records (a very long name, no name, a very long e-mail, patched into the sandbox's
// answer) keep the columns usable; in dark mode every control still shows its focus ring.

import { test } from '@playwright/test';
import { assert, expectFocusVisible, tabTo, visit } from './support/checks';
import { consentInPopup, disconnect, expectContacts, openHubspot, scenarioPage, type Item } from './support/app';
import { userIdFor } from './support/env';

test.describe('awkward records and dark-mode focus', () => {
  test.describe.configure({ mode: 'serial' });
  const scenario = scenarioPage(() => ({ userId: userIdFor('odd') }));

  test('a long name does not squeeze the e-mail column; e-mails are one line; no decorative initials', async () => {
    const { page } = scenario;
    await page.route('**/api/integrations/hubspot/items**', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { items?: Item[] };
      const [first, second, third] = body.items ?? [];
      if (body.items && first && second && third) {
        body.items[0] = { ...first, title: 'Maximiliana Alexandrina Theodora Wilhelmina von Hohenzollern-Sigmaringen-Hechingen' };
        body.items[1] = { ...second, title: '', properties: { email: 'nobody@example.com' } };
        body.items[2] = {
          ...third,
          properties: { ...third.properties, email: 'a.very.long.local.part.for.testing.wrapping@subdomain.example-company.co.uk' },
        };
      }
      await route.fulfill({ response, json: body });
    });
    await openHubspot(page);
    await consentInPopup(page, page.getByRole('button', { name: 'Connect HubSpot' }), 'Approve');
    await expectContacts(page);
    const layout = await page.evaluate(() => {
      const rows = document.querySelectorAll('table tbody tr');
      const cell = (row: number, selector: string) => rows[row]?.querySelector(selector) as HTMLElement;
      const name = cell(0, '.table__name .truncate');
      const email = cell(2, '.table__email .truncate');
      return {
        emailWidth: cell(0, '.table__email').getBoundingClientRect().width,
        nameCut: name.scrollWidth > name.clientWidth,
        nameTitle: name.getAttribute('title'),
        avatars: document.querySelectorAll('.avatar').length,
        noName: cell(1, '.table__name').textContent ?? '',
        emailCut: { cut: email.scrollWidth > email.clientWidth, title: email.getAttribute('title'), height: email.getBoundingClientRect().height },
      };
    });
    assert(layout.emailWidth >= 200, `e-mail column keeps its width (${layout.emailWidth} px)`);
    assert(layout.nameCut && layout.nameTitle?.startsWith('Maximiliana'), 'a long name is cut with the full value on hover');
    assert(layout.avatars === 0, `no decorative initials (${layout.avatars})`);
    assert(layout.noName.includes('No name'), 'nameless contact says "No name"');
    assert(layout.emailCut.cut && layout.emailCut.title?.startsWith('a.very.long.local.part'), 'a long e-mail is cut on one line, the whole address in its title');
    assert(layout.emailCut.height < 30, `a long e-mail stays on one line (${layout.emailCut.height} px)`);
    await visit(page, 'hubspot-awkward-records');
  });

  test('in dark mode every control still shows its focus ring', async () => {
    const { page } = scenario;
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      await page.locator('#provider-title').focus();
      await tabTo(page, page.getByRole('button', { name: 'Refresh', exact: true }), 'Refresh (dark)');
      await tabTo(page, page.getByRole('button', { name: 'Disconnect' }), 'Disconnect (dark)');
      await tabTo(page, page.getByRole('searchbox', { name: 'Search contacts' }), 'search (dark)');
      await tabTo(page, page.getByRole('button', { name: 'Skip to the end of the table' }), 'skip (dark)', 2);
      await page.keyboard.press('Enter');
      await expectFocusVisible(page, 'the line under the table (dark)');
      await tabTo(page, page.getByRole('link', { name: '← All integrations' }), 'back link (dark)', 200).catch(async () => {
        await page.getByRole('link', { name: '← All integrations' }).focus();
        await expectFocusVisible(page, 'back link (dark)');
      });
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
    }
  });

  test('clean up: disconnect', async () => {
    await disconnect(scenario.page);
  });
});
