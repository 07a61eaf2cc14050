import { screen, waitFor, within } from '@testing-library/react';
import { delay, http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { ADA, contacts, problem } from '../test/fixtures';
import { renderApp, stubPopup } from '../test/render';
import { notConnectedHandlers, problemResponse, server } from '../test/server';
import { end, exportResponse, start } from '../test/stream';

function rows() {
  const table = screen.getByRole('table');
  return within(table).getAllByRole('row').slice(1);
}

describe('HubspotIntegration: contacts', () => {
  it('shows "Loading contacts…" while contacts load', async () => {
    server.use(
      http.get('/api/integrations/hubspot/items', async () => {
        await delay('infinite');
        return HttpResponse.json({ items: [], next_cursor: null });
      }),
    );
    renderApp('/integrations/hubspot');
    expect(await screen.findByText('Loading contacts…')).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Contacts' })).toHaveAttribute('aria-busy', 'true');
  });

  it('lists contacts with name, email and a link that opens HubSpot in a new tab', async () => {
    renderApp('/integrations/hubspot');
    expect(await screen.findByRole('cell', { name: 'Ada Lovelace' })).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: 'ada@example.com' })).toBeInTheDocument();
    const link = screen.getByRole('link', { name: /Ada Lovelace in HubSpot/ });
    expect(link).toHaveAttribute('href', ADA.url);
    expect(link).toHaveAttribute('target', '_blank');
    expect(link.getAttribute('rel')).toContain('noopener');
    expect(screen.getByText('All 1 contact loaded')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
    expect(screen.getByText('HubSpot account 24811358')).toBeInTheDocument();
  });

  it('previews the first page only (no Load more); Sync brings every contact into one dataset', async () => {
    const requests: URLSearchParams[] = [];
    server.use(
      http.get('/api/integrations/hubspot/items', ({ request }) => {
        const params = new URL(request.url).searchParams;
        requests.push(params);
        return HttpResponse.json({ items: contacts(1, 100), next_cursor: 'c2' });
      }),
      http.get('/api/integrations/hubspot/export', () => exportResponse([start(250), ...contacts(1, 250), end(250)])),
    );
    const { user } = renderApp('/integrations/hubspot');
    expect(await screen.findByText('Showing 100 contacts — more in HubSpot')).toBeInTheDocument();
    expect(rows()).toHaveLength(100);
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
    // A preview is not the dataset: nothing to export from it.
    expect(screen.queryByRole('button', { name: /CSV/ })).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Sync all contacts' }));
    expect(await screen.findByText('All 250 contacts synced')).toBeInTheDocument();
    expect(rows()).toHaveLength(250);
    expect(rows()[249]).toHaveTextContent('Contact 250');
    expect(requests.map((p) => [p.get('limit'), p.get('cursor')])).toEqual([['100', null]]);
  });

  it('shows "No contacts yet" when there are none', async () => {
    server.use(http.get('/api/integrations/hubspot/items', () => HttpResponse.json({ items: [], next_cursor: null })));
    renderApp('/integrations/hubspot');
    expect(await screen.findByRole('heading', { name: 'No contacts yet' })).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('asks to reconnect when the authorization is no longer valid, and restarts the flow', async () => {
    const { open } = stubPopup();
    server.use(http.get('/api/integrations/hubspot/items', () => problemResponse(problem(401, 'reauth_required'))));
    const { user } = renderApp('/integrations/hubspot');
    const reconnect = await screen.findByRole('button', { name: 'Reconnect HubSpot' });
    expect(screen.getByRole('heading', { name: 'HubSpot needs to be reconnected' })).toBeInTheDocument();
    expect(screen.getByText('Needs reconnect')).toBeInTheDocument();

    await user.click(reconnect);
    expect(open).toHaveBeenCalledTimes(1);
    expect(screen.getByRole('button', { name: 'Connecting…' })).toHaveAttribute('aria-disabled', 'true');
  });

  it('says when it will retry after rate limiting, then retries by itself', async () => {
    let calls = 0;
    server.use(
      http.get('/api/integrations/hubspot/items', () => {
        calls += 1;
        if (calls === 1) {
          return problemResponse(problem(429, 'rate_limited', { retry_after: 1 }), { 'Retry-After': '1' });
        }
        return HttpResponse.json({ items: [ADA], next_cursor: null });
      }),
    );
    renderApp('/integrations/hubspot');
    expect(await screen.findByText('HubSpot is busy — retrying in 1 s')).toBeInTheDocument();
    expect(await screen.findByRole('cell', { name: 'Ada Lovelace' }, { timeout: 3000 })).toBeInTheDocument();
    expect(calls).toBe(2);
    expect(screen.queryByText(/retrying in/)).not.toBeInTheDocument();
  });

  it('says HubSpot failed (not a generic error) with Retry, and retries on click', async () => {
    let calls = 0;
    server.use(
      http.get('/api/integrations/hubspot/items', () => {
        calls += 1;
        return calls === 1
          ? problemResponse(problem(502, 'upstream_error'))
          : HttpResponse.json({ items: [ADA], next_cursor: null });
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    expect(await screen.findByRole('heading', { name: 'Could not load contacts — HubSpot failed' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('cell', { name: 'Ada Lovelace' })).toBeInTheDocument();
    expect(calls).toBe(2);
  });

  it('refreshes the data on demand', async () => {
    let calls = 0;
    server.use(
      http.get('/api/integrations/hubspot/items', () => {
        calls += 1;
        return HttpResponse.json({ items: contacts(1, calls), next_cursor: null });
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    expect(await screen.findByText('All 1 contact loaded')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(await screen.findByText('All 2 contacts loaded')).toBeInTheDocument();
  });
});

describe('HubspotIntegration: disconnect', () => {
  it('asks for confirmation; Cancel keeps the connection, Disconnect removes it', async () => {
    let deletes = 0;
    server.use(
      http.delete('/api/integrations/hubspot/connection', () => {
        deletes += 1;
        server.use(...notConnectedHandlers);
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });

    await user.click(screen.getByRole('button', { name: 'Disconnect' }));
    let dialog = screen.getByRole('alertdialog', { name: 'Disconnect HubSpot?' });
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
    expect(deletes).toBe(0);
    expect(screen.getByRole('button', { name: 'Disconnect' })).toHaveFocus();

    await user.click(screen.getByRole('button', { name: 'Disconnect' }));
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Disconnect' }));
    dialog = screen.getByRole('alertdialog', { name: 'Disconnect HubSpot?' });
    await user.click(within(dialog).getByRole('button', { name: 'Disconnect' }));

    expect(await screen.findByRole('button', { name: 'Connect HubSpot' })).toBeInTheDocument();
    expect(deletes).toBe(1);
    const heading = screen.getByRole('heading', { name: 'HubSpot disconnected' });
    await waitFor(() => expect(heading).toHaveFocus());
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(screen.getByText('Not connected')).toBeInTheDocument();
  });

  it('reports a failed disconnect and stays connected', async () => {
    server.use(
      http.delete('/api/integrations/hubspot/connection', () => problemResponse(problem(503, 'store_unavailable'))),
    );
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await user.click(screen.getByRole('button', { name: 'Disconnect' }));
    await user.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Disconnect' }));
    expect(await screen.findByRole('heading', { name: 'Could not disconnect — server unreachable' })).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument());
    expect(screen.getByRole('cell', { name: 'Ada Lovelace' })).toBeInTheDocument();
  });
});
