// Driving the app and the sandbox: pages with a user, the consent popup, contacts in the table,
// the sandbox's admin API, and the shared pieces of the sync and provider scenarios.

import { test, type Browser, type FrameLocator, type Locator, type Page, type Route } from '@playwright/test';
import { assert, screenshotOnFailure } from './checks';
import { BASE_URL, DESKTOP, SANDBOX, TIMEOUT_MS } from './env';

interface PageOptions {
  userId?: string;
  viewport?: { width: number; height: number };
  blockPopups?: boolean;
}

export async function newPage(browser: Browser, { userId, viewport = DESKTOP, blockPopups = false }: PageOptions = {}): Promise<Page> {
  // bypassCSP: axe-core is injected as a script tag, which a strict CSP would refuse.
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, bypassCSP: true });
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

/**
 * One page for the whole scenario (a `test.describe` in serial mode whose tests are its steps,
 * each building on the one before): opened before the first step, photographed when a step
 * fails, closed after the last. Call inside the describe; use `scenario.page` in the steps.
 */
export function scenarioPage(options: PageOptions | (() => PageOptions) = {}): { readonly page: Page } {
  let page: Page | undefined;
  test.beforeAll(async ({ browser }) => {
    page = await newPage(browser, typeof options === 'function' ? options() : options);
  });
  test.afterEach(async ({}, testInfo) => {
    await screenshotOnFailure(page, testInfo);
  });
  test.afterAll(async () => {
    await page?.context().close();
  });
  return {
    get page(): Page {
      if (!page) throw new Error('the scenario page is not open');
      return page;
    },
  };
}

export async function setUserIdInHeader(page: Page, userId: string): Promise<void> {
  const field = page.getByLabel('Signed in as');
  await field.fill(userId);
  await field.press('Enter');
  await page.waitForFunction((id) => window.localStorage.getItem('vs.userId') === id, userId);
}

export async function openHubspot(page: Page): Promise<void> {
  await page.goto(`${BASE_URL}/integrations/hubspot`);
  await page.getByRole('heading', { name: 'HubSpot', level: 1 }).waitFor();
}

export function consentButton(popup: Page, name: string): Locator {
  return popup.getByRole('button', { name, exact: true }).or(popup.getByRole('link', { name, exact: true })).first();
}

/** Clicks `trigger`, waits for the consent popup, and answers it with `decision`. */
export async function consentInPopup(page: Page, trigger: Locator, decision: 'Approve' | 'Deny'): Promise<void> {
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

/** Disconnect → confirm in the dialog → Connect is offered again. */
export async function disconnect(ui: Page | FrameLocator): Promise<void> {
  await ui.getByRole('button', { name: 'Disconnect' }).click();
  await ui.getByRole('alertdialog').getByRole('button', { name: 'Disconnect' }).click();
  await ui.getByRole('button', { name: 'Connect HubSpot' }).waitFor();
}

export async function rowCount(page: Page): Promise<number> {
  return page.locator('table tbody tr').count();
}

/** Contacts are in the table, counted in words, each linking to HubSpot in a new tab. */
export async function expectContacts(ui: Page | FrameLocator): Promise<number> {
  await ui.locator('table tbody tr').first().waitFor();
  const rows = await ui.locator('table tbody tr').count();
  assert(rows > 0, 'at least one contact row');
  await ui.getByText(/^(All \d+ contacts? (loaded|synced)|Showing \d+ contacts — more in HubSpot)$/).waitFor();
  const link = ui.getByRole('link', { name: /in HubSpot \(opens in a new tab\)/ }).first();
  assert((await link.getAttribute('target')) === '_blank', 'contact link opens a new tab');
  assert(((await link.getAttribute('rel')) ?? '').includes('noopener'), 'contact link has rel=noopener');
  return rows;
}

/**
 * E-mails in the order the table sorts them ascending: HubSpot may leave a property unset (null
 * or ""), and rows without an e-mail come last, whatever the direction.
 */
export function emailsSorted(emails: string[]): string[] {
  const blank = (e: string) => !e.includes('@');
  return emails
    .filter((e) => !blank(e))
    .sort((a, b) => a.localeCompare(b, undefined, { sensitivity: 'base', numeric: true }))
    .concat(emails.filter(blank));
}

// ---------------------------------------------------------------- the sandbox's admin API

export async function sandboxAdmin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${SANDBOX}/_admin/${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
  });
  assert(response.ok, `${method} ${SANDBOX}/_admin/${path} answered ${response.status}`);
  const text = await response.text();
  return text ? (JSON.parse(text) as unknown) : null;
}

/** The sandbox's fault injection (every knob back to normal unless given). */
export async function setFaults(faults: { fail_next?: number; fail_status?: number; malformed_next?: number; rate_limit_next?: number } = {}): Promise<void> {
  await sandboxAdmin('POST', 'faults', { fail_next: 0, fail_status: 500, malformed_next: 0, rate_limit_next: 0, ...faults });
}

// ---------------------------------------------------------------- Sync all (the export stream)

/** "12,345": numbers as the UI writes them. */
export function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

/** The count above the table ("100 of 250 contacts"). */
export async function captionText(page: Page): Promise<string> {
  return ((await page.locator('.table-toolbar__count').textContent()) ?? '').trim();
}

export async function waitForCaption(page: Page, pattern: RegExp): Promise<void> {
  await page.waitForFunction(
    (source) => new RegExp(source).test((document.querySelector('.table-toolbar__count')?.textContent ?? '').trim()),
    pattern.source,
  );
}

export const EXPORT_ROUTE = '**/api/integrations/hubspot/export**';
export const CHANGES_ROUTE = '**/api/integrations/hubspot/changes**';
export const COUNT_ROUTE = '**/api/integrations/hubspot/count**';

/** What GET /export streams for `n` made-up contacts: start, pages of 100 with cursors, end. */
export function bigExport(n: number): string {
  const lines = [JSON.stringify({ type: 'start', total: n })];
  for (let i = 1; i <= n; i += 1) {
    lines.push(
      JSON.stringify({
        id: String(i),
        title: `Contact ${i}`,
        item_type: 'contact',
        url: `https://app.example.com/contacts/${i}`,
        parent_id: null,
        created_at: '2026-01-01T00:00:00Z',
        updated_at: '2026-01-02T00:00:00Z',
        properties: { firstname: 'Contact', lastname: String(i), email: `contact${i}@example.com` },
      }),
    );
    if (i % 100 === 0 && i < n) lines.push(JSON.stringify({ type: 'cursor', cursor: String(i), count: i }));
  }
  lines.push(JSON.stringify({ type: 'end', count: n, checkpoint: 'e2e' }));
  return `${lines.join('\n')}\n`;
}

/** An answer saying the provider has no incremental sync (as Notion and Airtable answer). */
export const changesUnsupported = (route: Route): Promise<void> =>
  route.fulfill({
    status: 400,
    contentType: 'application/problem+json',
    body: JSON.stringify({ type: 'about:blank', title: 'Changes unsupported', status: 400, code: 'changes_unsupported', detail: 'No incremental sync here.' }),
  });

/** A field of one synced record, read from the page's IndexedDB (the stored dataset). */
export async function storedField(page: Page, id: string, key: string): Promise<unknown> {
  return page.evaluate(
    ([wanted, property]) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('vs-integrations');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const request = open.result.transaction('datasets').objectStore('datasets').getAll();
          request.onerror = () => reject(request.error);
          request.onsuccess = () => {
            type Item = Record<string, unknown> & { id: string; properties?: Record<string, unknown> };
            const datasets = request.result as { items?: Item[] }[];
            const item = datasets.flatMap((d) => d.items ?? []).find((i) => i.id === wanted);
            resolve(item ? (item[property] ?? item.properties?.[property] ?? null) : undefined);
          };
        };
      }),
    [id, key] as const,
  );
}

// ---------------------------------------------------------------- providers from metadata

const ITEM_FIELDS = new Set(['id', 'title', 'item_type', 'parent_id', 'url', 'created_at', 'updated_at']);

export interface Item {
  title?: unknown;
  properties?: Record<string, unknown>;
  [key: string]: unknown;
}

/** What a table cell holds for `key` (as src/items.ts reads it): empty when nothing. */
export function cellText(item: Item, key: string): string {
  const text = (value: unknown) =>
    typeof value === 'string' ? value.trim() : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
  if (key === 'title') {
    const parts = [text(item.properties?.firstname), text(item.properties?.lastname)].filter(Boolean).join(' ');
    return text(item.title) || parts;
  }
  return ITEM_FIELDS.has(key) ? text(item[key]) : text(item.properties?.[key]);
}

export function plural(noun: string): string {
  if (/[^aeiou]y$/i.test(noun)) return `${noun.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/i.test(noun)) return `${noun}es`;
  return `${noun}s`;
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
