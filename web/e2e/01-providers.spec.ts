// Every provider that /api/integrations lists with "sandbox": true gets the same journey, driven
// only by its metadata: its card opened by keyboard, the pre-connect explanation, Connect →
// Approve on its sandbox consent page, items in the declared columns, the object-type switcher,
// focus rings, 360 px, Disconnect. A newly registered provider is included without editing this.

import { test } from '@playwright/test';
import { assert, tabTo, visit } from './support/checks';
import { capitalize, cellText, consentInPopup, plural, rowCount, scenarioPage, type Item } from './support/app';
import { BASE_URL, MOBILE, userIdFor } from './support/env';
import { PROVIDERS } from './support/providers';

for (const info of PROVIDERS.filter((p) => p.sandbox)) {
  test.describe(`${info.name} through the generic provider page (from its metadata)`, () => {
    test.describe.configure({ mode: 'serial' });
    const scenario = scenarioPage(() => ({ userId: userIdFor(`generic-${info.id}`) }));
    const name = info.name;
    const noun = info.object_types[0]?.noun ?? 'item';
    const nouns = plural(noun);
    const connect = () => scenario.page.getByRole('button', { name: `Connect ${name}`, exact: true });
    const shotName = (state: string) => `provider-${info.id}-${state}`;

    test(`its card, by keyboard, opens /integrations/${info.id} with focus on the h1`, async () => {
      const { page } = scenario;
      await page.goto(`${BASE_URL}/integrations`);
      const card = page.locator(`a[href="/integrations/${info.id}"]`);
      await card.getByRole('heading', { name }).waitFor();
      const logo = (await card.getByRole('img', { name: `${name} logo` }).getAttribute('src')) ?? '';
      assert(logo.startsWith('data:image/svg+xml;utf8,'), 'the card shows the logo_svg');
      // One sandbox banner for the page (naming this provider), no Sandbox pill on the card.
      assert((await card.getByText('Sandbox', { exact: true }).count()) === 0, 'no Sandbox pill on the card');
      if (info.sandbox) await page.getByRole('note').filter({ hasText: name }).waitFor();
      // The card's accessible name starts with the provider's name, then its one status.
      const label = await card.evaluate((el) =>
        (el.getAttribute('aria-labelledby') ?? '')
          .split(' ')
          .map((id) => document.getElementById(id)?.textContent ?? '')
          .join(' '),
      );
      assert(/^\S/.test(label) && label.startsWith(`${name} `), `the card's accessible name starts with "${name}" ("${label}")`);
      const cta = ((await card.locator('.integration-card__cta').textContent()) ?? '').trim();
      const wanted = info.status === 'connected' ? 'Manage →' : info.status === 'reauth_required' ? 'Reconnect →' : 'Connect →';
      assert(cta === wanted, `one action on the card: "${cta}"`);
      await page.locator('body').focus();
      await tabTo(page, card, `${name} card`);
      await page.keyboard.press('Enter');
      await page.waitForURL(new RegExp(`/integrations/${info.id}$`));
      await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
      assert((await page.evaluate(() => document.activeElement?.textContent)) === name, 'focus on the h1');
    });

    test('the pre-connect page explains what is read, from the metadata', async () => {
      const { page } = scenario;
      await connect().waitFor();
      if (info.description) await page.getByText(info.description, { exact: true }).waitFor();
      const explain = page.getByRole('region', { name: 'What happens when you connect' });
      for (const permission of info.permissions) await explain.getByText(permission, { exact: true }).waitFor();
      await explain.getByText(/Read-only/).waitFor();
      const card = page.locator('section.provider');
      assert((await card.getByText('Sandbox', { exact: true }).count()) === 0, 'no Sandbox pill on the page card: the banner says it');
      assert((await page.getByRole('note').count()) === (PROVIDERS.some((p) => p.sandbox) ? 1 : 0), 'one sandbox banner on the page');
      await tabTo(page, connect(), `Connect ${name}`);
      await visit(page, shotName('not-connected'));
    });

    test(`Connect → Approve on its sandbox consent page → "${name} connected" and its ${nouns} in the declared columns`, async () => {
      const { page } = scenario;
      await consentInPopup(page, connect(), 'Approve');
      await page.getByRole('heading', { name: `${name} connected` }).waitFor();
      // A column empty in every row of the first page (e.g. a "Base" no record has) is hidden.
      const firstPage = await page.evaluate(
        async ({ id, kind }) => {
          const query = new URLSearchParams({ limit: '100', ...(kind ? { object_type: kind } : {}) });
          const response = await fetch(`/api/integrations/${id}/items?${query}`, { headers: { 'X-User-Id': localStorage.getItem('vs.userId') ?? '' } });
          return ((await response.json()) as { items?: Item[] }).items ?? [];
        },
        { id: info.id, kind: info.object_types.length > 1 ? (info.object_types[0]?.id ?? null) : null },
      );
      const filled = info.columns.filter((c) => firstPage.some((item) => cellText(item, c.key) !== ''));
      const hidden = info.columns.filter((c) => !filled.includes(c)).map((c) => c.label);
      if (hidden.length > 0) console.log(`  columns empty in every row, hidden: ${hidden.join(', ')}`);
      const expected = [...(filled.length > 0 ? filled : info.columns).map((c) => c.label), 'Link'];
      // Read the headers inside one poll, so a table re-rendering between two reads cannot fool it.
      const headersOf = () =>
        page.locator('table thead th').evaluateAll((ths) => ths.map((th) => (th.querySelector('button')?.firstChild?.textContent ?? th.textContent ?? '').trim()));
      const steady = await page
        .waitForFunction(
          (exp) => {
            const ths = [...document.querySelectorAll('table thead th')];
            const texts = ths.map((th) => (th.querySelector('button')?.firstChild?.textContent ?? th.textContent ?? '').trim());
            const row = document.querySelector('table tbody tr');
            return JSON.stringify(texts) === JSON.stringify(exp) && row !== null && row.querySelectorAll('td').length === exp.length;
          },
          expected,
          { timeout: 15000 },
        )
        .then(
          () => true,
          () => false,
        );
      const headers = steady ? expected : await headersOf();
      assert(JSON.stringify(headers) === JSON.stringify(expected), `columns ${JSON.stringify(headers)} = ${JSON.stringify(expected)}`);
      const cells = steady ? expected.length : await page.locator('table tbody tr').first().locator('td').count();
      assert(cells === expected.length, `a row has one cell per column (${cells})`);
      await page.getByText(new RegExp(`^(All \\d+ (${noun}|${nouns}) loaded|Showing \\d+ ${nouns} — more in ${name})$`)).waitFor();
      await page.getByRole('heading', { name: capitalize(nouns), level: 2 }).waitFor();
      await visit(page, shotName('connected'));
    });

    test('Refresh, Disconnect, search and the column sort buttons show a visible focus', async () => {
      const { page } = scenario;
      await page.locator('#provider-title').focus();
      await tabTo(page, page.getByRole('button', { name: 'Refresh', exact: true }), 'Refresh');
      await tabTo(page, page.getByRole('button', { name: 'Disconnect' }), 'Disconnect');
      if (info.object_types.length > 1) await tabTo(page, page.getByRole('combobox', { name: 'Show' }), 'object type');
      await tabTo(page, page.getByRole('searchbox', { name: `Search ${nouns}` }), 'search');
      await tabTo(page, page.getByRole('button', { name: new RegExp(`^${info.columns[0]?.label ?? ''}`) }).first(), 'first column sort');
    });

    test('the object-type switcher offers every declared kind first and loads another one', async () => {
      test.skip(info.object_types.length < 2, `${name} declares one object type`);
      const { page } = scenario;
      const show = page.getByRole('combobox', { name: 'Show' });
      // The declared kinds first; a provider that discovers lists the account's other kinds after them.
      const options = (await show.locator('option').allTextContents()).slice(0, info.object_types.length);
      const wanted = info.object_types.map((t) => capitalize(plural(t.noun)));
      assert(JSON.stringify(options) === JSON.stringify(wanted), `options ${JSON.stringify(options)}`);
      const [first, second] = info.object_types;
      if (!first || !second) throw new Error('two object types');
      const requested = page.waitForRequest((r) => r.url().includes(`/api/integrations/${info.id}/items`) && r.url().includes(`object_type=${second.id}`));
      await show.selectOption(second.id);
      await requested;
      const label = plural(second.noun);
      // The rows of that kind. HubSpot's one consent asks for every kind's scope (companies and
      // deals as optional scopes), so its second kind must load; another provider may show the
      // reconnect notice of a grant without that kind's scope.
      const rows = page.getByText(new RegExp(`^(All \\d+ (${second.noun}|${label}) loaded|Showing \\d+ ${label} — more in ${name}|No ${label} yet)$`));
      const notice = page.getByRole('heading', { name: `${name} has not allowed reading ${label}` });
      await (info.id === 'hubspot' ? rows : rows.or(notice)).first().waitFor();
      await visit(page, shotName(second.id));
      await show.selectOption(first.id);
      await page.locator('table tbody tr').first().waitFor();
    });

    test('the page is usable 360 px wide', async () => {
      const { page } = scenario;
      const size = page.viewportSize();
      await page.setViewportSize(MOBILE);
      try {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert(overflow <= 0, `no horizontal scrolling at 360 px (overflow ${overflow} px)`);
        // Dates are never cut; e-mails are one line (the whole address in the title).
        const cells = await page.evaluate(() => ({
          cutDates: [...document.querySelectorAll('td.table__date .date')].filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => el.textContent),
          dates: document.querySelectorAll('td.table__date .date').length,
          emails: [...document.querySelectorAll('td.table__email .truncate')].map((el) => ({
            lines: Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight || '20')),
            titled: el.getAttribute('title') === el.textContent,
          })),
        }));
        assert(cells.cutDates.length === 0, `dates shown whole at 360 px (cut: ${cells.cutDates.slice(0, 3).join(', ')})`);
        assert(
          cells.emails.every((e) => e.lines <= 1 && e.titled),
          'e-mails are one line with the full value in the title',
        );
        if (cells.dates > 0) console.log(`  ${cells.dates} date cells, none cut at 360 px`);
      } finally {
        if (size) await page.setViewportSize(size);
      }
    });

    test('Disconnect → confirm returns to not connected', async () => {
      const { page } = scenario;
      await page.getByRole('button', { name: 'Disconnect' }).click();
      const dialog = page.getByRole('alertdialog', { name: `Disconnect ${name}?` });
      await dialog.getByRole('button', { name: 'Disconnect' }).click();
      await page.getByRole('heading', { name: `${name} disconnected` }).waitFor();
      await connect().waitFor();
      assert((await rowCount(page)) === 0, 'no rows after disconnecting');
    });
  });
}
