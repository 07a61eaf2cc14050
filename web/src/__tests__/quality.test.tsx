import { act, screen, waitFor, within } from '@testing-library/react';
import { delay, http, HttpResponse } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import type { IntegrationItem } from '../api/models';
import { itemsCsv } from '../components/ItemsTable';
import { syncCsv } from '../csv';
import { ADA, contacts, HUBSPOT_META, integrationsResponse, problem } from '../test/fixtures';
import { postOAuthResult, renderApp, stubPopup } from '../test/render';
import { notConnectedHandlers, problemResponse, server } from '../test/server';
import { end, exportResponse, start } from '../test/stream';

function rows() {
  return within(screen.getByRole('table')).getAllByRole('row').slice(1);
}

const GRACE: IntegrationItem = {
  ...ADA,
  id: '102',
  title: 'Grace Hopper',
  properties: { firstname: 'Grace', lastname: 'Hopper', email: 'a.grace@example.com' },
};

describe('one truth about the connection', () => {
  it('a list that says reauth_required wins over a status that says connected, and no expiry is shown', async () => {
    server.use(http.get('/api/integrations', () => HttpResponse.json(integrationsResponse('reauth_required'))));
    renderApp('/integrations/hubspot');
    expect(await screen.findByRole('button', { name: 'Reconnect HubSpot' })).toBeInTheDocument();
    expect(screen.queryByText(/Access renews/)).not.toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('a reauth answer from the contacts makes the list refetch, so the selector agrees without a reload', async () => {
    let listCalls = 0;
    let revoked = false;
    server.use(
      http.get('/api/integrations', () => {
        listCalls += 1;
        return HttpResponse.json(integrationsResponse(revoked ? 'reauth_required' : 'connected'));
      }),
      http.get('/api/integrations/hubspot/items', () => {
        revoked = true;
        return problemResponse(problem(401, 'reauth_required'));
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('button', { name: 'Reconnect HubSpot' });
    await waitFor(() => expect(listCalls).toBeGreaterThan(1));
    await user.click(screen.getByRole('link', { name: '← All integrations' }));
    const card = await screen.findByRole('link', { name: /HubSpot/ });
    expect(await within(card).findByText('Needs reconnect')).toBeInTheDocument();
  });

  it('an OAuth result broadcast after a reload (no flow running here) refetches the connection', async () => {
    server.use(...notConnectedHandlers);
    renderApp('/integrations/hubspot');
    await screen.findByRole('button', { name: 'Connect HubSpot' });
    server.resetHandlers();
    act(() => postOAuthResult({ result: 'success', account_id: '24811358' }));
    expect(await screen.findByRole('cell', { name: 'Ada Lovelace' })).toBeInTheDocument();
  });

  it('refetches the connection when the window regains focus', async () => {
    server.use(...notConnectedHandlers);
    renderApp('/integrations/hubspot');
    await screen.findByRole('button', { name: 'Connect HubSpot' });
    server.resetHandlers();
    act(() => {
      window.dispatchEvent(new Event('focus'));
      window.dispatchEvent(new Event('visibilitychange'));
    });
    expect(await screen.findByRole('cell', { name: 'Ada Lovelace' })).toBeInTheDocument();
  });

  it('a stale invalid_state on an already-connected provider is not shown as an error', async () => {
    renderApp('/integrations/hubspot/callback?result=error&error=invalid_state');
    expect(await screen.findByRole('cell', { name: 'Ada Lovelace' })).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Could not connect HubSpot' })).not.toBeInTheDocument();
  });

  it('insufficient_scope offers to enable the kind (the consent for its scope), not a reconnect that asks the same again', async () => {
    server.use(http.get('/api/integrations/hubspot/items', () => problemResponse(problem(403, 'insufficient_scope'))));
    renderApp('/integrations/hubspot');
    expect(await screen.findByRole('button', { name: 'Enable Contacts' })).toBeInTheDocument();
    expect(screen.getByText(/granted without access to contacts/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Reconnect HubSpot' })).not.toBeInTheDocument();
  });

  it('insufficient_scope for a provider with one unnamed kind still offers Reconnect', async () => {
    server.use(
      http.get('/api/integrations', () => HttpResponse.json(integrationsResponse('not_connected', true, 'connected'))),
      http.get('/api/integrations/notion/status', () => HttpResponse.json({ provider: 'notion', connected: true, account_id: 'ws-1' })),
      http.get('/api/integrations/notion/items', () => problemResponse(problem(403, 'insufficient_scope'))),
    );
    renderApp('/integrations/notion');
    expect(await screen.findByRole('button', { name: 'Reconnect Notion' })).toBeInTheDocument();
    expect(screen.getByText(/lacks a permission/)).toBeInTheDocument();
  });
});

describe('switching user (dev mode)', () => {
  it('starts the page over for the new user: their contacts, not the previous user\'s', async () => {
    server.use(
      http.get('/api/integrations/hubspot/items', ({ request }) =>
        HttpResponse.json({
          items: request.headers.get('X-User-Id') === 'grace' ? [GRACE] : [ADA],
          next_cursor: null,
        }),
      ),
    );
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    const field = screen.getByLabelText('Signed in as');
    await user.clear(field);
    await user.type(field, 'grace{Enter}');
    expect(await screen.findByRole('cell', { name: 'Grace Hopper' })).toBeInTheDocument();
    expect(screen.queryByRole('cell', { name: 'Ada Lovelace' })).not.toBeInTheDocument();
  });
});

describe('switching user keeps nothing of the previous one', () => {
  it('an outcome shown to one user is not shown to the next', async () => {
    server.use(...notConnectedHandlers);
    const { user } = renderApp('/integrations/hubspot/callback?result=error&error=access_denied');
    expect(await screen.findByRole('heading', { name: 'HubSpot was not connected' })).toBeInTheDocument();
    const field = screen.getByLabelText('Signed in as');
    await user.clear(field);
    await user.type(field, 'grace{Enter}');
    await screen.findByRole('button', { name: 'Connect HubSpot' });
    expect(screen.queryByRole('heading', { name: 'HubSpot was not connected' })).not.toBeInTheDocument();
  });
});

describe('errors where they happen', () => {
  it('tells "can\'t reach the server" apart, with Retry', async () => {
    server.use(http.get('/api/integrations/hubspot/items', () => HttpResponse.error()));
    renderApp('/integrations/hubspot');
    expect(await screen.findByRole('heading', { name: 'Could not load contacts — server unreachable' })).toBeInTheDocument();
    expect(screen.getByText(/Can't reach the server/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Retry' })).toBeInTheDocument();
  });

  it('tells "unexpected answer" apart and quotes the request id', async () => {
    server.use(
      http.get('/api/integrations/hubspot/items', () =>
        HttpResponse.text('<html>proxy page</html>', { headers: { 'X-Request-Id': 'req-42' } }),
      ),
    );
    renderApp('/integrations/hubspot');
    expect(await screen.findByRole('heading', { name: 'Could not load contacts — unexpected answer' })).toBeInTheDocument();
    expect(screen.getByText('req-42')).toBeInTheDocument();
  });

  it('Refresh keeps the rows on screen, and a failed refresh keeps them too', async () => {
    let failNow = false;
    server.use(
      http.get('/api/integrations/hubspot/items', async ({ request }) => {
        const cursor = new URL(request.url).searchParams.get('cursor');
        if (failNow) {
          await delay(100);
          return problemResponse(problem(502, 'upstream_error'));
        }
        return cursor
          ? HttpResponse.json({ items: contacts(101, 50), next_cursor: null })
          : HttpResponse.json({ items: contacts(1, 100), next_cursor: 'c2' });
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByText('Showing 100 contacts — more in HubSpot');
    failNow = true;
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(screen.getByRole('button', { name: 'Refreshing…' })).toBeInTheDocument();
    expect(rows()).toHaveLength(100);
    expect(await screen.findByRole('heading', { name: 'Could not refresh — HubSpot failed' })).toBeInTheDocument();
    expect(rows()).toHaveLength(100);
  });

  it('after 5 s of loading says HubSpot is busy', async () => {
    server.use(
      http.get('/api/integrations/hubspot/items', async () => {
        await delay('infinite');
        return HttpResponse.json({ items: [], next_cursor: null });
      }),
    );
    renderApp('/integrations/hubspot');
    expect(await screen.findByText('Loading contacts…')).toBeInTheDocument();
    expect(await screen.findByText('HubSpot is busy, still trying…', {}, { timeout: 7000 })).toBeInTheDocument();
  }, 10_000);
});

describe('a table people can use', () => {
  it('has an ID column, searches and sorts, and counts', async () => {
    server.use(
      http.get('/api/integrations/hubspot/items', () => HttpResponse.json({ items: [ADA, GRACE], next_cursor: null })),
    );
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    expect(screen.getByRole('columnheader', { name: /ID/ })).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: '102' })).toBeInTheDocument();
    expect(screen.getByText('2 contacts loaded')).toBeInTheDocument();

    await user.type(screen.getByRole('searchbox', { name: 'Search contacts' }), 'hopper');
    expect(rows()).toHaveLength(1);
    expect(screen.getByText('1 of 2 contacts match')).toBeInTheDocument();
    await user.clear(screen.getByRole('searchbox', { name: 'Search contacts' }));

    await user.click(screen.getByRole('button', { name: /^Email/ }));
    expect(screen.getByRole('columnheader', { name: /Email/ })).toHaveAttribute('aria-sort', 'ascending');
    expect(rows()[0]).toHaveTextContent('Grace Hopper');
    await user.click(screen.getByRole('button', { name: /^Email/ }));
    expect(screen.getByRole('columnheader', { name: /Email/ })).toHaveAttribute('aria-sort', 'descending');
    expect(rows()[0]).toHaveTextContent('Ada Lovelace');
  });

  it('exports the synced rows as shown (searched over the whole dataset) as CSV (quoted, formula-safe)', async () => {
    server.use(
      http.get('/api/integrations/hubspot/items', () => HttpResponse.json({ items: [ADA], next_cursor: 'c2' })),
      http.get('/api/integrations/hubspot/export', () => exportResponse([start(2), ADA, GRACE, end(2)])),
    );
    const blobs: Blob[] = [];
    vi.stubGlobal('URL', Object.assign(URL, {
      createObjectURL: vi.fn((blob: Blob) => {
        blobs.push(blob);
        return 'blob:csv';
      }),
      revokeObjectURL: vi.fn(),
    }));
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await user.click(screen.getByRole('button', { name: 'Sync all contacts' }));
    await screen.findByRole('heading', { name: 'Synced 2 contacts' });
    // Grace was never on the first page: the search covers the dataset, not a page.
    await user.type(screen.getByRole('searchbox', { name: 'Search contacts' }), 'grace');
    expect(screen.getByText('1 of 2 contacts match')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Export CSV' }));
    expect(click).toHaveBeenCalled();
    const text = await blobs[0]?.text();
    expect(text).toBe(syncCsv([GRACE], HUBSPOT_META.columns));
    expect(text?.split('\r\n')[1]).toMatch(/^102,Grace Hopper,a\.grace@example\.com,/);
    expect(
      itemsCsv([{ ...ADA, title: '=HYPERLINK("x")', properties: { email: 'a,b@example.com' } }], HUBSPOT_META.columns),
    ).toContain(`"'=HYPERLINK(""x"")","a,b@example.com"`);
  });
});

describe('a human card', () => {
  it('shows the portal domain and user, permissions in words, no raw scopes and no expiry', async () => {
    server.use(
      http.get('/api/integrations/hubspot/status', () =>
        HttpResponse.json({
          provider: 'hubspot',
          connected: true,
          status: 'connected',
          account_id: '24811358',
          account_name: 'acme.hubspot.com',
          account_user: 'ada@acme.example',
          scopes: ['crm.objects.contacts.read', 'oauth'],
          expires_at: '2026-11-25T10:00:00Z',
        }),
      ),
    );
    renderApp('/integrations/hubspot');
    expect(await screen.findByText('acme.hubspot.com')).toBeInTheDocument();
    expect(screen.getByText('ada@acme.example')).toBeInTheDocument();
    // The permissions in words are the provider's own, from its metadata.
    expect(screen.getByText('Read your CRM contacts (names and email addresses)')).toBeInTheDocument();
    expect(screen.queryByText('crm.objects.contacts.read')).not.toBeInTheDocument();
    expect(screen.queryByText(/renews|expires/i)).not.toBeInTheDocument();
  });

  it('explains, before connecting, what is read, that it is read-only, and how to disconnect', async () => {
    server.use(...notConnectedHandlers);
    renderApp('/integrations/hubspot');
    const section = await screen.findByRole('region', { name: 'What happens when you connect' });
    expect(section).toHaveTextContent(/contacts/);
    expect(section).toHaveTextContent(/Read-only/);
    expect(section).toHaveTextContent(/Disconnect at any time/);
  });

  it('pressing Connecting… again does not start a second flow', async () => {
    const { open } = stubPopup();
    server.use(...notConnectedHandlers);
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Connect HubSpot' }));
    await user.click(screen.getByRole('button', { name: 'Connecting…' }));
    expect(open).toHaveBeenCalledTimes(1);
  });

  it('offers to reopen the HubSpot window while connecting', async () => {
    const { popup } = stubPopup();
    const focus = vi.fn();
    Object.assign(popup, { focus });
    server.use(...notConnectedHandlers);
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Connect HubSpot' }));
    await user.click(screen.getByRole('button', { name: 'Reopen the HubSpot window' }));
    expect(focus).toHaveBeenCalled();
  });
});

describe('keyboard', () => {
  it('moves focus to the new page heading on a route change', async () => {
    const { user } = renderApp('/integrations');
    await user.click(await screen.findByRole('link', { name: /HubSpot/ }));
    const heading = await screen.findByRole('heading', { name: 'HubSpot', level: 1 });
    await waitFor(() => expect(heading).toHaveFocus());
  });

  it('"Skip to the end of the table" moves focus to the line under the table', async () => {
    server.use(
      http.get('/api/integrations/hubspot/items', () => HttpResponse.json({ items: contacts(1, 100), next_cursor: 'c2' })),
    );
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Skip to the end of the table' }));
    expect(screen.getByText('Showing 100 contacts — more in HubSpot')).toHaveFocus();
  });
});
