/**
 * The code a React engineer expects: the provider page split by concern into files of a
 * reasonable size; server state (status, items, disconnect) in TanStack Query with nothing
 * hand-rolled beside it; one `asApiError`.
 */
import { screen, within } from '@testing-library/react';
import { delay, http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { ADA, integrationsResponse } from '../test/fixtures';
import { renderApp } from '../test/render';
import { server } from '../test/server';

const sources = import.meta.glob<string>(['../**/*.{ts,tsx}', '!../__tests__/**', '!../test/**', '!../api/types.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
});

function linesOf(file: string): number {
  return (sources[file] ?? '').split('\n').length;
}

describe('the provider page, split by concern', () => {
  it('is a shell plus a file per concern, none of them a 800-line page', () => {
    const parts = [
      '../pages/ProviderPage.tsx',
      '../pages/provider/ConnectionCard.tsx',
      '../pages/provider/ItemsToolbar.tsx',
      '../pages/provider/ItemsSection.tsx',
      '../pages/provider/useConnectionView.ts',
      '../components/SyncPanel.tsx',
      '../hooks/useItems.ts',
      '../hooks/useSync.ts',
      '../hooks/useDataset.ts',
      '../dataset/model.ts',
      '../dataset/store.ts',
      '../api/changesStream.ts',
    ];
    for (const part of parts) expect(Object.keys(sources)).toContain(part);
    for (const file of Object.keys(sources).filter((f) => f.startsWith('../pages/'))) {
      expect(linesOf(file), file).toBeLessThan(320);
    }
  });

  it('has one asApiError (in the API client), not a copy per hook', () => {
    const defining = Object.keys(sources).filter((file) => /function asApiError\b/.test(sources[file] ?? ''));
    expect(defining).toEqual(['../api/client.ts']);
  });

  it('pages items with useInfiniteQuery, and disconnects with a mutation: no hand-rolled request state', () => {
    const items = sources['../hooks/useItems.ts'] ?? '';
    expect(items).toMatch(/useInfiniteQuery[<(]/);
    expect(items).not.toMatch(/new AbortController|MAX_REFRESH_PAGES|useState<ItemsState>/);
    expect(sources['../hooks/queries.ts']).toMatch(/useMutation[<(]/);
    const page = sources['../pages/ProviderPage.tsx'] ?? '';
    expect(page).not.toMatch(/await disconnect\(|setDisconnecting/);
  });
});

describe('items live in the shared cache', () => {
  it('coming back to the page shows the rows already loaded while they are asked again', async () => {
    const { user } = renderApp('/integrations/hubspot');
    expect(await screen.findByRole('cell', { name: 'Ada Lovelace' })).toBeInTheDocument();
    // From now on the provider takes forever: only a cache can show the rows.
    server.use(
      http.get('/api/integrations/hubspot/items', async () => {
        await delay('infinite');
        return HttpResponse.json({ items: [ADA], next_cursor: null });
      }),
    );
    await user.click(screen.getByRole('link', { name: '← All integrations' }));
    await user.click(await screen.findByRole('link', { name: /^HubSpot/ }));
    expect(await screen.findByRole('cell', { name: 'Ada Lovelace' }, { timeout: 1500 })).toBeInTheDocument();
  });

  it('a disconnect (a mutation) invalidates the list: the selector agrees without a reload', async () => {
    let connected = true;
    server.use(
      http.get('/api/integrations', () => HttpResponse.json(integrationsResponse(connected ? 'connected' : 'not_connected'))),
      http.get('/api/integrations/hubspot/status', () => HttpResponse.json({ provider: 'hubspot', connected })),
      http.delete('/api/integrations/hubspot/connection', () => {
        connected = false;
        return new HttpResponse(null, { status: 204 });
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await user.click(screen.getByRole('button', { name: 'Disconnect' }));
    await user.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Disconnect' }));
    await screen.findByRole('heading', { name: 'HubSpot disconnected' });
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    await user.click(screen.getByRole('link', { name: '← All integrations' }));
    const card = await screen.findByRole('link', { name: /^HubSpot/ });
    expect(card).toHaveAccessibleName('HubSpot Not connected');
  });
});
