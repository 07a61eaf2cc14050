/**
 * Search before the first sync: only the first page is loaded, so for a provider that can search
 * (`search: true`) the term — once typing settles — goes to the provider (`items?search=`), and the
 * table shows its matches, with Load more. Without that support, once a dataset exists, or when
 * the preview already holds every record, the table searches what it has.
 */
import { screen, waitFor } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { datasetKey, saveDataset } from '../dataset/store';
import { contact, contacts, integrationsResponse, problem } from '../test/fixtures';
import { renderApp } from '../test/render';
import { problemResponse, server } from '../test/server';

interface Asked {
  search: string;
  cursor: string | null;
  kind: string | null;
}

/** A first page of 100 contacts of 250; searches answered by `answer` (and recorded). */
function previewOf250(answer: (asked: Asked) => Response = () => HttpResponse.json({ items: [contact(240)], next_cursor: null })) {
  const searches: Asked[] = [];
  server.use(
    http.get('/api/integrations/hubspot/items', ({ request }) => {
      const params = new URL(request.url).searchParams;
      const search = params.get('search');
      if (search === null) return HttpResponse.json({ items: contacts(1, 100), next_cursor: 'c2' });
      const asked = { search, cursor: params.get('cursor'), kind: params.get('object_type') };
      searches.push(asked);
      return answer(asked);
    }),
  );
  return searches;
}

function shownIds(): string[] {
  return Array.from(document.querySelectorAll('tbody tr td.table__id')).map((td) => td.textContent ?? '');
}

describe('searching before the first sync', () => {
  it('asks the provider once typing settles, and shows its matches with honest words', async () => {
    const searches = previewOf250();
    const { user } = renderApp('/integrations/hubspot');
    const search = await screen.findByRole('searchbox', { name: 'Search contacts' });
    await user.type(search, 'contact240');
    expect(await screen.findByText('1 contact in HubSpot matches “contact240”')).toBeInTheDocument();
    // Contact 240 was never on the first page: the provider found it.
    expect(screen.getByRole('cell', { name: 'Contact 240' })).toBeInTheDocument();
    expect(shownIds()).toEqual(['240']);
    // One request for the settled term, not one per key press.
    expect(searches).toEqual([{ search: 'contact240', cursor: null, kind: 'contacts' }]);
    expect(screen.queryByRole('button', { name: 'Load more matches' })).not.toBeInTheDocument();

    // Cleared: the preview again.
    await user.clear(search);
    await waitFor(() => expect(shownIds()).toHaveLength(100));
  });

  it('says when the provider is being asked, and that nothing matched', async () => {
    previewOf250(() => HttpResponse.json({ items: [], next_cursor: null }));
    const { user } = renderApp('/integrations/hubspot');
    await user.type(await screen.findByRole('searchbox', { name: 'Search contacts' }), 'zebra');
    expect(screen.getByText('Searching all contacts in HubSpot…')).toBeInTheDocument();
    expect(await screen.findByText('No contact in HubSpot matches “zebra”.')).toBeInTheDocument();
    expect(screen.getByText('0 contacts in HubSpot match “zebra”', { selector: '.table-toolbar__count' })).toBeInTheDocument();
    // The search box stays, to try another term.
    expect(screen.getByRole('searchbox', { name: 'Search contacts' })).toHaveValue('zebra');
  });

  it('Load more matches pages through the search by its cursor', async () => {
    const searches = previewOf250(({ cursor }) =>
      cursor === null
        ? HttpResponse.json({ items: contacts(101, 100), next_cursor: 's2' })
        : HttpResponse.json({ items: [contact(250)], next_cursor: null }),
    );
    const { user } = renderApp('/integrations/hubspot');
    await user.type(await screen.findByRole('searchbox', { name: 'Search contacts' }), 'contact');
    expect(
      await screen.findByText('The first 100 contacts in HubSpot matching “contact”', { selector: '.table-toolbar__count' }),
    ).toBeInTheDocument();
    expect(shownIds()[0]).toBe('101');
    await user.click(screen.getByRole('button', { name: 'Load more matches' }));
    expect(
      await screen.findByText('101 contacts in HubSpot match “contact”', { selector: '.table-toolbar__count' }),
    ).toBeInTheDocument();
    expect(shownIds()).toContain('250');
    expect(searches.map((s) => s.cursor)).toEqual([null, 's2']);
    expect(screen.queryByRole('button', { name: 'Load more matches' })).not.toBeInTheDocument();
  });

  it('search_unsupported: falls back to the loaded page, and says so', async () => {
    const searches = previewOf250(() => problemResponse(problem(400, 'search_unsupported')));
    const { user } = renderApp('/integrations/hubspot');
    const search = await screen.findByRole('searchbox', { name: 'Search contacts' });
    await user.type(search, 'contact7@');
    expect(await screen.findByText('1 of the first 100 contacts match')).toBeInTheDocument();
    expect(shownIds()).toEqual(['7']);
    // Not asked again for the next term.
    await user.clear(search);
    await user.type(search, 'contact8@');
    expect(await screen.findByText('1 of the first 100 contacts match')).toBeInTheDocument();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(searches).toHaveLength(1);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('a failed search says what failed, offers Retry, and searches the loaded page meanwhile', async () => {
    let fail = true;
    previewOf250(() =>
      fail ? problemResponse(problem(502, 'upstream_error')) : HttpResponse.json({ items: [contact(240)], next_cursor: null }),
    );
    const { user } = renderApp('/integrations/hubspot');
    await user.type(await screen.findByRole('searchbox', { name: 'Search contacts' }), 'contact240');
    expect(await screen.findByRole('heading', { name: /^Could not search contacts in HubSpot.*searching the loaded contacts only$/ })).toBeInTheDocument();
    expect(screen.getByText(/None of the first 100 contacts matches/)).toBeInTheDocument();
    fail = false;
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('cell', { name: 'Contact 240' })).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('a provider that does not say it can search is never asked: the loaded page is searched', async () => {
    const list = integrationsResponse('connected');
    list.integrations = list.integrations.map((i) => ({ ...i, search: false }));
    server.use(http.get('/api/integrations', () => HttpResponse.json(list)));
    const searches = previewOf250();
    const { user } = renderApp('/integrations/hubspot');
    await user.type(await screen.findByRole('searchbox', { name: 'Search contacts' }), 'contact240');
    expect(await screen.findByText('0 of the first 100 contacts match')).toBeInTheDocument();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(searches).toEqual([]);
  });

  it('once a dataset is synced, the search covers it here: the provider is not asked', async () => {
    await saveDataset(datasetKey('test_user', 'hubspot', 'contacts'), {
      items: contacts(1, 250),
      checkpoint: 'cp',
      syncedAt: Date.now(),
      changesUnsupported: false,
    });
    const searches = previewOf250();
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByText(/^Last synced/);
    await user.type(await screen.findByRole('searchbox', { name: 'Search contacts' }), 'contact240@');
    expect(await screen.findByText('1 of 250 contacts match')).toBeInTheDocument();
    expect(shownIds()).toEqual(['240']);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(searches).toEqual([]);
  });

  it('a preview that holds every record is searched where it is', async () => {
    const searches: string[] = [];
    server.use(
      http.get('/api/integrations/hubspot/items', ({ request }) => {
        const search = new URL(request.url).searchParams.get('search');
        if (search !== null) searches.push(search);
        return HttpResponse.json({ items: contacts(1, 3), next_cursor: null });
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    await user.type(await screen.findByRole('searchbox', { name: 'Search contacts' }), 'contact2@');
    expect(await screen.findByText('1 of 3 contacts match')).toBeInTheDocument();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(searches).toEqual([]);
  });
});
