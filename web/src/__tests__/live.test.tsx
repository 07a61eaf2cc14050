/**
 * Live updates on the provider page: "Live · last change …" while the events feed is open, rows
 * changed in place and highlighted (a delete removes the row), the quiet changes run after a
 * burst, the Changes panel (keyboard, newest first), "Reconnecting…" when the feed drops, the
 * kept offset after a reload, a gap's resync, and nothing at all for a provider without events.
 */
import { act, screen, waitFor, within } from '@testing-library/react';
import { delay, http, HttpResponse } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import type { IntegrationItem } from '../api/models';
import type { Dataset } from '../dataset/model';
import { datasetKey, loadDataset, loadEventOffset, saveDataset, saveEventOffset } from '../dataset/store';
import { HIDDEN_STOP_MS } from '../hooks/useLiveEvents';
import { agoText } from '../pages/provider/LiveChanges';
import { ADA, contact, problem } from '../test/fixtures';
import { eventLine, eventsHandler, sseFeed, type EventsRequest } from '../test/events';
import { renderApp } from '../test/render';
import { selectionSignature } from '../selection';
import { problemResponse, server } from '../test/server';
import { ndjson } from '../test/stream';

const KEY = datasetKey('test_user', 'hubspot', 'contacts');

const synced = (items: IntegrationItem[], checkpoint = 'cp1'): Dataset => ({
  items,
  checkpoint,
  syncedAt: Date.now() - 60_000,
  changesUnsupported: false,
});

function rowOf(name: string) {
  const row = screen.getByRole('cell', { name }).closest('tr');
  if (!row) throw new Error(`no row for ${name}`);
  return row;
}

/** `/changes` answering one run (the quiet one after events), recording each `since`. */
function changesHandler(lines: readonly unknown[], asked: string[]) {
  return http.get('/api/integrations/hubspot/changes', ({ request }) => {
    asked.push(new URL(request.url).searchParams.get('since') ?? '');
    return new HttpResponse(ndjson(lines), { headers: { 'Content-Type': 'application/x-ndjson' } });
  });
}

describe('live updates on the provider page', () => {
  it('shows Live, changes a row in place with a highlight, lists the change, then brings the whole record', async () => {
    await saveDataset(KEY, synced([ADA, contact(2), contact(3)]));
    const feed = sseFeed();
    const asked: string[] = [];
    const fresh = { ...ADA, title: 'Ada King', properties: { ...ADA.properties, lifecyclestage: 'customer' } };
    server.use(
      eventsHandler('hubspot', () => feed.response()),
      changesHandler([{ type: 'upsert', item: fresh }, { type: 'end', upserts: 1, deletes: 0, checkpoint: 'cp2' }], asked),
    );
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    expect(await screen.findByText('Live')).toBeInTheDocument();
    expect(screen.getByText(/no changes yet/)).toBeInTheDocument();

    feed.send(eventLine('upsert', '101', 'o1', { property: { name: 'firstname', value: 'Augusta' }, occurred_at: new Date().toISOString() }));
    // Changed in place (same place in the table), highlighted, and said in words.
    const row = await screen.findByRole('cell', { name: 'Augusta Lovelace' }).then((cell) => cell.closest('tr'));
    expect(row).toHaveAttribute('data-changed', 'true');
    expect(row).toHaveClass('row--changed');
    expect(within(row as HTMLElement).getByText('Changed just now.')).toBeInTheDocument();
    expect(within(screen.getByRole('table')).getAllByRole('row')[1]).toBe(row);
    expect(rowOf('Contact 2')).not.toHaveAttribute('data-changed');
    expect(screen.getByText(/last change just now/)).toBeInTheDocument();
    // Kept in IndexedDB once the events stop for a moment; the offset too.
    await waitFor(async () => expect((await loadDataset(KEY))?.items[0]?.properties.firstname).toBe('Augusta'), { timeout: 3000 });
    expect(await loadEventOffset('test_user', 'hubspot')).toBe('o1');

    // The Changes panel, by keyboard.
    const toggle = screen.getByRole('button', { name: 'Changes (1)' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    toggle.focus();
    await user.keyboard('{Enter}');
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    const list = screen.getByRole('list', { name: 'Recent changes, newest first' });
    const [item] = within(list).getAllByRole('listitem');
    expect(item).toHaveTextContent('Contact updated');
    expect(item).toHaveTextContent('Ada Lovelace');
    expect(item).toHaveTextContent('ID 101');
    expect(item).toHaveTextContent('firstname → Augusta');
    expect(item).toHaveTextContent('just now');

    // A quiet changes run from the checkpoint brings the whole record, in place.
    expect(await screen.findByRole('cell', { name: 'Ada King' }, { timeout: 4000 })).toBeInTheDocument();
    expect(asked).toEqual(['cp1']);
    await waitFor(async () => expect((await loadDataset(KEY))?.checkpoint).toBe('cp2'));
    // No Sync outcome for a quiet run.
    expect(screen.queryByRole('heading', { name: /^Synced/ })).not.toBeInTheDocument();

    // A delete removes the row; the list says so first.
    feed.send(eventLine('delete', '2', 'o2'));
    await waitFor(() => expect(screen.queryByRole('cell', { name: 'Contact 2' })).not.toBeInTheDocument());
    // Its offset is kept only with the dataset that no longer has it: a reload cannot bring it back.
    await waitFor(async () => expect(await loadEventOffset('test_user', 'hubspot')).toBe('o2'));
    expect((await loadDataset(KEY))?.items.map((i) => i.id)).toEqual(['101', '3']);
    expect(screen.getByRole('button', { name: 'Changes (2)' })).toBeInTheDocument();
    const items = within(list).getAllByRole('listitem');
    expect(items[0]).toHaveTextContent('Contact deleted');
    expect(items[0]).toHaveTextContent('Contact 2');
    await user.keyboard('{Enter}');
    expect(screen.getByRole('button', { name: 'Changes (2)' })).toHaveAttribute('aria-expanded', 'false');
  });

  it('says "Reconnecting…" when the feed drops, and Live again once it is back', async () => {
    await saveDataset(KEY, synced([ADA]));
    const second = sseFeed();
    let release: () => void = () => undefined;
    const back = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.use(
      eventsHandler('hubspot', async (_request, n) => {
        if (n === 1) {
          const first = sseFeed();
          first.send({ type: 'error', code: 'store_unavailable', detail: 'down' } as { type: string });
          return first.response();
        }
        await back;
        return second.response();
      }),
    );
    renderApp('/integrations/hubspot');
    expect(await screen.findByText('Reconnecting…', {}, { timeout: 3000 })).toBeInTheDocument();
    expect(screen.queryByText('Live')).not.toBeInTheDocument();
    release();
    expect(await screen.findByText('Live', {}, { timeout: 3000 })).toBeInTheDocument();
  });

  it('a reload resumes from the kept offset; a gap starts a changes run of the dataset', async () => {
    await saveDataset(KEY, synced([ADA]));
    await saveEventOffset('test_user', 'hubspot', 'o-kept');
    const seen: EventsRequest[] = [];
    const feed = sseFeed();
    const asked: string[] = [];
    server.use(
      eventsHandler('hubspot', () => feed.response(), { seen }),
      changesHandler([{ type: 'end', upserts: 0, deletes: 0, checkpoint: 'cp9' }], asked),
    );
    renderApp('/integrations/hubspot');
    await screen.findByText('Live');
    expect(seen.map((r) => [r.since, r.sse])).toEqual([['o-kept', true]]);
    feed.send({ type: 'gap', offset: 'o-gap' });
    await waitFor(() => expect(asked).toEqual(['cp1']), { timeout: 3000 });
    await waitFor(async () => expect(await loadEventOffset('test_user', 'hubspot')).toBe('o-gap'));
    await waitFor(async () => expect((await loadDataset(KEY))?.checkpoint).toBe('cp9'));
  });

  it('the quiet changes run asks for what the dataset was synced with (chosen properties, related kinds)', async () => {
    const selection = selectionSignature({ properties: ['firstname', 'vs_custom_001'], associations: ['companies'] });
    const withColumns = { ...ADA, properties: { ...ADA.properties, vs_custom_001: 'Teal' }, associations: { companies: [] } };
    await saveDataset(KEY, { ...synced([withColumns]), selection });
    const feed = sseFeed();
    const asked: URLSearchParams[] = [];
    const fresh = { ...withColumns, properties: { ...withColumns.properties, vs_custom_001: 'Indigo' } };
    server.use(
      eventsHandler('hubspot', () => feed.response()),
      http.get('/api/integrations/hubspot/changes', ({ request }) => {
        asked.push(new URL(request.url).searchParams);
        return new HttpResponse(ndjson([{ type: 'upsert', item: fresh }, { type: 'end', upserts: 1, deletes: 0, checkpoint: 'cp2' }]), {
          headers: { 'Content-Type': 'application/x-ndjson' },
        });
      }),
    );
    renderApp('/integrations/hubspot');
    await screen.findByText('Live');
    feed.send(eventLine('upsert', '101', 'o1', { property: { name: 'vs_custom_001', value: 'Indigo' }, occurred_at: new Date().toISOString() }));
    await waitFor(() => expect(asked).toHaveLength(1), { timeout: 4000 });
    expect(asked[0]?.get('since')).toBe('cp1');
    expect(asked[0]?.get('properties')).toBe('firstname,vs_custom_001');
    expect(asked[0]?.get('associations')).toBe('companies');
    await waitFor(async () => expect((await loadDataset(KEY))?.checkpoint).toBe('cp2'));
    const kept = await loadDataset(KEY);
    expect(kept?.selection).toBe(selection);
    expect(kept?.items[0]?.properties.vs_custom_001).toBe('Indigo');
  });

  it('a tab hidden for a minute stops following (no request left open); shown again, it resumes from the kept offset', async () => {
    await saveDataset(KEY, synced([ADA]));
    await saveEventOffset('test_user', 'hubspot', 'o-kept');
    const seen: EventsRequest[] = [];
    const feeds = [sseFeed(), sseFeed()];
    server.use(eventsHandler('hubspot', (_r, n) => (feeds[n - 1] ?? sseFeed()).response(), { seen }));
    const fetches = vi.spyOn(globalThis, 'fetch');
    const setVisibility = (value: 'hidden' | 'visible') => {
      Object.defineProperty(document, 'visibilityState', { value, configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    };
    try {
      renderApp('/integrations/hubspot');
      await screen.findByText('Live');
      feeds[0]?.send(eventLine('upsert', '101', 'o1'));
      await waitFor(async () => expect(await loadEventOffset('test_user', 'hubspot')).toBe('o1'));
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      act(() => setVisibility('hidden'));
      act(() => vi.advanceTimersByTime(HIDDEN_STOP_MS - 1_000));
      expect(screen.getByText('Live')).toBeInTheDocument();
      act(() => vi.advanceTimersByTime(1_000));
      vi.useRealTimers();
      await waitFor(() => expect(screen.queryByText('Live')).not.toBeInTheDocument());
      const follows = fetches.mock.calls.filter(([url]) => String(url).includes('/events'));
      expect(follows.length).toBeGreaterThan(0);
      for (const [, init] of follows) expect(init?.signal?.aborted).toBe(true);
      act(() => setVisibility('visible'));
      expect(await screen.findByText('Live')).toBeInTheDocument();
      expect(seen.map((r) => r.since)).toEqual(['o-kept', 'o1']);
    } finally {
      vi.useRealTimers();
      fetches.mockRestore();
      Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    }
  });

  it('shows nothing about live updates for a provider without events', async () => {
    let asked = 0;
    server.use(
      http.get('/api/integrations/hubspot/events', () => {
        asked += 1;
        return problemResponse(problem(400, 'events_unsupported'));
      }),
    );
    renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await waitFor(() => expect(asked).toBe(1));
    await delay(50);
    expect(screen.queryByText('Live')).not.toBeInTheDocument();
    expect(screen.queryByText('Reconnecting…')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Changes/ })).not.toBeInTheDocument();
    expect(asked).toBe(1);
  });

  it('says how long ago in seconds, then minutes', () => {
    const now = Date.parse('2026-12-07T09:10:00Z');
    expect(agoText(now - 2_000, now)).toBe('just now');
    expect(agoText(now - 12_000, now)).toBe('12 s ago');
    expect(agoText(now - 5 * 60_000, now)).toBe('5 min ago');
  });
});
