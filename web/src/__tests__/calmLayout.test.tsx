/**
 * Calm list and phone layouts: one sandbox banner, one status and one action per card, card
 * names that start with the provider; a kind switcher that does not load on every arrow key;
 * single-line e-mails, whole dates, no decorative initials, no all-empty column, CSV headers in
 * words.
 */
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import type { Column, IntegrationItem } from '../api/models';
import { ItemsTable } from '../components/ItemsTable';
import { humanLabel, itemsCsv, syncCsv } from '../csv';
import { ADA, meta } from '../test/fixtures';
import { renderApp } from '../test/render';
import { server } from '../test/server';

describe('the integrations list', () => {
  function threeCards() {
    server.use(
      http.get('/api/integrations', () =>
        HttpResponse.json({
          sandbox: true,
          integrations: [
            { ...meta('hubspot', 'HubSpot', 'contact'), status: 'connected', account_id: '24811358' },
            { ...meta('notion', 'Notion', 'page'), status: 'not_connected', account_id: null },
            { ...meta('airtable', 'Airtable', 'base'), status: 'reauth_required', account_id: 'app1' },
          ],
        }),
      ),
    );
  }

  it('one sandbox banner for the page, no Sandbox pill on any card', async () => {
    threeCards();
    renderApp('/integrations');
    const list = await screen.findByRole('list', { name: 'Available integrations' });
    for (const card of within(list).getAllByRole('link')) expect(within(card).queryByText('Sandbox')).toBeNull();
    const banners = await screen.findAllByRole('note');
    expect(banners).toHaveLength(1);
    expect(banners[0]).toHaveTextContent('HubSpot, Notion and Airtable here are local sandboxes, not the real services.');
    expect(screen.getAllByText('Sandbox')).toHaveLength(1);
  });

  it("each card's accessible name starts with the provider's name, then its one status", async () => {
    threeCards();
    renderApp('/integrations');
    const list = await screen.findByRole('list', { name: 'Available integrations' });
    const [hubspot, notion, airtable] = within(list).getAllByRole('link') as HTMLElement[];
    expect(hubspot).toHaveAccessibleName('HubSpot Connected');
    expect(notion).toHaveAccessibleName('Notion Not connected');
    expect(airtable).toHaveAccessibleName('Airtable Needs reconnect');
  });

  it('each card: one status and one action; "Manage →" only on connected cards', async () => {
    threeCards();
    renderApp('/integrations');
    const list = await screen.findByRole('list', { name: 'Available integrations' });
    const [hubspot, notion, airtable] = within(list).getAllByRole('link') as HTMLElement[];
    const statuses = /Connected|Not connected|Needs reconnect|Not set up yet|Access expired/g;
    for (const card of [hubspot, notion, airtable] as HTMLElement[]) {
      expect(card.textContent?.match(statuses)).toHaveLength(1);
      expect(card.querySelectorAll('.integration-card__cta')).toHaveLength(1);
    }
    expect(hubspot).toHaveTextContent('Manage →');
    expect(notion).toHaveTextContent('Connect →');
    expect(notion).not.toHaveTextContent('Manage');
    expect(airtable).toHaveTextContent('Reconnect →');
    expect(airtable).not.toHaveTextContent('Manage');
  });
});

describe('the object-kind switcher', () => {
  it('arrowing through the kinds loads only the one the keys settle on', async () => {
    const kinds: (string | null)[] = [];
    server.use(
      http.get('/api/integrations/hubspot/items', ({ request }) => {
        kinds.push(new URL(request.url).searchParams.get('object_type'));
        return HttpResponse.json({ items: [ADA], next_cursor: null });
      }),
    );
    renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    expect(kinds).toEqual(['contacts']);
    const show = screen.getByRole('combobox', { name: 'Show' });

    // A closed <select> changes its value on every arrow key: Down (companies), Down (deals).
    fireEvent.keyDown(show, { key: 'ArrowDown' });
    fireEvent.change(show, { target: { value: 'companies' } });
    fireEvent.keyDown(show, { key: 'ArrowDown' });
    fireEvent.change(show, { target: { value: 'deals' } });
    expect(show).toHaveValue('deals');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(kinds).toEqual(['contacts']);

    await waitFor(() => expect(kinds).toEqual(['contacts', 'deals']));
    expect(await screen.findByRole('heading', { name: 'Deals', level: 2 })).toBeInTheDocument();
  });

  it('Enter (or leaving the switcher) loads the kind at once', async () => {
    const kinds: (string | null)[] = [];
    server.use(
      http.get('/api/integrations/hubspot/items', ({ request }) => {
        kinds.push(new URL(request.url).searchParams.get('object_type'));
        return HttpResponse.json({ items: [ADA], next_cursor: null });
      }),
    );
    renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    const show = screen.getByRole('combobox', { name: 'Show' });
    fireEvent.keyDown(show, { key: 'ArrowDown' });
    fireEvent.change(show, { target: { value: 'companies' } });
    fireEvent.keyDown(show, { key: 'Enter' });
    await waitFor(() => expect(kinds).toEqual(['contacts', 'companies']));
  });
});

describe('table cells', () => {
  const COLUMNS: Column[] = [
    { key: 'title', label: 'Name' },
    { key: 'email', label: 'Email' },
    { key: 'base', label: 'Base' },
    { key: 'updated_at', label: 'Last edited' },
  ];
  const LONG_EMAIL = 'a.very.long.local.part.for.testing.wrapping@subdomain.example-company.co.uk';
  const ITEMS: IntegrationItem[] = [
    { ...ADA, properties: { ...ADA.properties, email: LONG_EMAIL }, updated_at: '2026-03-04T05:06:00Z' },
    { ...ADA, id: '102', title: 'Grace Hopper', properties: { email: 'grace@example.com' } },
  ];

  function renderTable() {
    render(
      <ItemsTable
        items={ITEMS}
        columns={COLUMNS}
        nouns={{ one: 'record', many: 'records' }}
        providerName="Provider"
      />,
    );
  }

  it('an e-mail is one line, cut with an ellipsis, with the whole address in its title', () => {
    renderTable();
    const cell = screen.getByRole('cell', { name: LONG_EMAIL });
    const value = cell.querySelector('.truncate');
    expect(value).not.toBeNull();
    expect(value).toHaveAttribute('title', LONG_EMAIL);
    expect(value).toHaveTextContent(LONG_EMAIL);
  });

  it('a date is shown whole (never cut), the stored value on hover', () => {
    renderTable();
    const row = screen.getAllByRole('row')[1] as HTMLElement;
    const date = within(row).getAllByRole('cell')[2] as HTMLElement;
    expect(date).toHaveAttribute('data-label', 'Last edited');
    expect(date.querySelector('.truncate')).toBeNull();
    expect(date.querySelector('.date')).toHaveAttribute('title', '2026-03-04T05:06:00Z');
  });

  it('no decorative initials next to names', () => {
    renderTable();
    expect(document.querySelector('.avatar')).toBeNull();
    expect(screen.getByRole('cell', { name: 'Ada Lovelace' })).toHaveTextContent(/^Ada Lovelace$/);
  });

  it('a column empty in every row is not shown (but stays in the CSV)', () => {
    renderTable();
    const headers = screen.getAllByRole('columnheader').map((th) => th.textContent?.replace(/[▲▼↕]/g, '').trim());
    expect(headers).toEqual(['Name', 'Email', 'Last edited', 'Link']);
    expect(itemsCsv(ITEMS, COLUMNS).split('\r\n')[0]).toBe('Name,Email,Base,Last edited,Link');
  });

  it('CSV headers are the column labels, and other keys in words', () => {
    const items: IntegrationItem[] = [{ ...ADA, properties: { ...ADA.properties, hs_object_id: '101', lastModifiedDate: 'x' } }];
    const header = syncCsv(items, [{ key: 'id', label: 'ID' }, { key: 'title', label: 'Name' }]).split('\r\n')[0];
    expect(header).toBe('ID,Name,Firstname,Lastname,Email,Hs object ID,Last modified date,Link');
    expect(header).not.toMatch(/hs_object_id|,url$/);
    expect(humanLabel('hs_object_id')).toBe('Hs object ID');
  });
});
