/**
 * One dataset per (user, provider, object type): what a sync brings in, kept in IndexedDB
 * (fake-indexeddb here) with its checkpoint and time, shown at once after a reload, brought up
 * to date by the changes feed (or a re-export when the provider has none), searched and
 * exported as a whole.
 */
import { screen, waitFor, within } from '@testing-library/react';
import { delay, http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import type { IntegrationItem } from '../api/models';
import { applyChanges, EMPTY_DATASET, exportView, searchItems, syncMode, type Dataset } from '../dataset/model';
import { datasetKey, deleteDatasets, loadDataset, saveDataset } from '../dataset/store';
import { relativeTime } from '../pages/provider/SyncedLine';
import { ADA, contact, contacts, HUBSPOT_META, problem } from '../test/fixtures';
import { renderApp } from '../test/render';
import { problemResponse, server } from '../test/server';
import { cursor, exportResponse, ndjson, start } from '../test/stream';

const KEY = datasetKey('test_user', 'hubspot', 'contacts');

function rows() {
  return within(screen.getByRole('table')).getAllByRole('row').slice(1);
}

function ids() {
  return rows().map((row) => within(row).getAllByRole('cell')[0]?.textContent);
}

const endWith = (count: number, checkpoint: string) => ({ type: 'end', count, checkpoint });
const upsert = (item: IntegrationItem) => ({ type: 'upsert', item });
const remove = (id: string) => ({ type: 'delete', id, archived_at: '2026-12-01T00:00:00Z' });
const changesEnd = (upserts: number, deletes: number, checkpoint: string) => ({ type: 'end', upserts, deletes, checkpoint });

function changesResponse(lines: readonly unknown[]) {
  return new HttpResponse(ndjson(lines), { headers: { 'Content-Type': 'application/x-ndjson' } });
}

const renamed = (n: number, title: string): IntegrationItem => ({ ...contact(n), title });

describe('the dataset model', () => {
  it('applies upserts in place, adds new records at the end, removes deletes; twice is the same as once', () => {
    const before = contacts(1, 3);
    const changes = [
      { type: 'upsert', item: renamed(2, 'Two') },
      { type: 'upsert', item: contact(9) },
      { type: 'delete', id: '1' },
      { type: 'delete', id: 'never-synced' },
    ] as const;
    const after = applyChanges(before, changes);
    expect(after.map((i) => [i.id, i.title])).toEqual([
      ['2', 'Two'],
      ['3', 'Contact 3'],
      ['9', 'Contact 9'],
    ]);
    expect(applyChanges(after, changes)).toEqual(after);
    expect(before).toHaveLength(3);
  });

  it('an export under way keeps the older records until it ends, then drops those it did not send', () => {
    const received = new Map([contact(2), contact(4)].map((i) => [i.id, i]));
    expect(exportView(received, contacts(1, 3), false).map((i) => i.id)).toEqual(['2', '4', '1', '3']);
    expect(exportView(received, contacts(1, 3), true).map((i) => i.id)).toEqual(['2', '4']);
  });

  it('chooses changes only with a checkpoint from a provider that has them', () => {
    expect(syncMode(null)).toBe('export');
    expect(syncMode(EMPTY_DATASET)).toBe('export');
    expect(syncMode({ ...EMPTY_DATASET, checkpoint: 'cp' })).toBe('changes');
    expect(syncMode({ ...EMPTY_DATASET, checkpoint: 'cp', changesUnsupported: true })).toBe('export');
  });

  it('searches every record by the shown columns, case-insensitively', () => {
    const all = contacts(1, 250);
    expect(searchItems(all, HUBSPOT_META.columns, 'CONTACT240@').map((i) => i.id)).toEqual(['240']);
    expect(searchItems(all, HUBSPOT_META.columns, '  ')).toBe(all);
  });

  it('says how long ago in short words', () => {
    const now = 1_000_000_000;
    expect(relativeTime(now - 10_000, now)).toBe('just now');
    expect(relativeTime(now - 2 * 60_000, now)).toBe('2 min ago');
    expect(relativeTime(now - 3 * 3_600_000, now)).toBe('3 h ago');
    expect(relativeTime(now - 26 * 3_600_000, now)).toBe('yesterday');
    expect(relativeTime(now - 5 * 86_400_000, now)).toBe('5 days ago');
  });
});

describe('the dataset store (IndexedDB)', () => {
  it('keeps records, checkpoint and sync time per user, provider and kind; a disconnect forgets them', async () => {
    const dataset: Dataset = { items: contacts(1, 2), checkpoint: 'cp-1', syncedAt: 1234, changesUnsupported: false };
    await saveDataset(KEY, dataset);
    await saveDataset(datasetKey('someone_else', 'hubspot', 'contacts'), { ...dataset, checkpoint: 'theirs' });
    expect(await loadDataset(KEY)).toEqual(dataset);
    expect(await loadDataset(datasetKey('test_user', 'hubspot', 'companies'))).toBeNull();
    await deleteDatasets('test_user', 'hubspot');
    expect(await loadDataset(KEY)).toBeNull();
    expect((await loadDataset(datasetKey('someone_else', 'hubspot', 'contacts')))?.checkpoint).toBe('theirs');
  });
});

describe('one dataset on the page', () => {
  it('after a sync, a reload shows the records at once with "Last synced", without asking HubSpot again', async () => {
    server.use(
      http.get('/api/integrations/hubspot/export', () => exportResponse([start(3), ...contacts(1, 3), endWith(3, 'cp-1')])),
    );
    const first = renderApp('/integrations/hubspot');
    await first.user.click(await screen.findByRole('button', { name: 'Sync all contacts' }));
    await screen.findByRole('heading', { name: 'Synced 3 contacts' });
    await waitFor(async () => expect((await loadDataset(KEY))?.checkpoint).toBe('cp-1'));
    first.unmount();

    let exports = 0;
    server.use(
      http.get('/api/integrations/hubspot/export', () => {
        exports += 1;
        return HttpResponse.json({}, { status: 500 });
      }),
      // The preview never answers: only the stored dataset can show rows.
      http.get('/api/integrations/hubspot/items', async () => {
        await delay('infinite');
        return HttpResponse.json({ items: [ADA], next_cursor: null });
      }),
    );
    renderApp('/integrations/hubspot');
    expect(await screen.findByText('Last synced just now · 3 contacts')).toBeInTheDocument();
    expect(ids()).toEqual(['1', '2', '3']);
    expect(screen.getByText('All 3 contacts synced')).toBeInTheDocument();
    expect(exports).toBe(0);
  });

  it('Sync with a checkpoint asks for the changes since it, applies upserts and deletes, and keeps the new checkpoint', async () => {
    const asked: URLSearchParams[] = [];
    server.use(
      http.get('/api/integrations/hubspot/export', () => exportResponse([start(3), ...contacts(1, 3), endWith(3, 'cp-1')])),
      http.get('/api/integrations/hubspot/changes', ({ request }) => {
        asked.push(new URL(request.url).searchParams);
        return changesResponse([upsert(renamed(2, 'Contact Two')), upsert(contact(9)), remove('1'), changesEnd(2, 1, 'cp-2')]);
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    const button = await screen.findByRole('button', { name: 'Sync all contacts' });
    await user.click(button);
    await screen.findByRole('heading', { name: 'Synced 3 contacts' });

    await user.click(button);
    expect(await screen.findByRole('heading', { name: 'Synced: 2 contacts added or changed · 1 removed' })).toBeInTheDocument();
    expect(asked.map((p) => [p.get('since'), p.get('object_type'), p.get('cursor')])).toEqual([['cp-1', 'contacts', null]]);
    expect(ids()).toEqual(['2', '3', '9']);
    expect(screen.getByRole('cell', { name: 'Contact Two' })).toBeInTheDocument();
    expect(screen.getByText('Last synced just now · 3 contacts')).toBeInTheDocument();
    await waitFor(async () => expect((await loadDataset(KEY))?.checkpoint).toBe('cp-2'));
    expect((await loadDataset(KEY))?.items.map((i) => i.id)).toEqual(['2', '3', '9']);

    // Nothing new: said so, and the checkpoint moves on.
    server.use(http.get('/api/integrations/hubspot/changes', () => changesResponse([changesEnd(0, 0, 'cp-3')])));
    await user.click(button);
    expect(await screen.findByRole('heading', { name: 'Synced: No changes since the last sync' })).toBeInTheDocument();
    await waitFor(async () => expect((await loadDataset(KEY))?.checkpoint).toBe('cp-3'));
  });

  it('a provider without changes (changes_unsupported) re-exports, and the next Sync goes straight to the export', async () => {
    let exports = 0;
    let changes = 0;
    server.use(
      http.get('/api/integrations/hubspot/export', () => {
        exports += 1;
        // The second export no longer has contact 1 (deleted at the provider).
        return exports === 1
          ? exportResponse([start(3), ...contacts(1, 3), endWith(3, 'cp-1')])
          : exportResponse([start(3), ...contacts(2, 3), endWith(3, `cp-${exports}`)]);
      }),
      http.get('/api/integrations/hubspot/changes', () => {
        changes += 1;
        return problemResponse(problem(400, 'changes_unsupported'));
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    const button = await screen.findByRole('button', { name: 'Sync all contacts' });
    await user.click(button);
    await screen.findByRole('heading', { name: 'Synced 3 contacts' });
    await user.click(button);
    await waitFor(() => expect(exports).toBe(2));
    expect(await screen.findByRole('heading', { name: 'Synced 3 contacts' })).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(ids()).toEqual(['2', '3', '4']);
    expect(changes).toBe(1);
    await waitFor(async () => expect(await loadDataset(KEY)).toMatchObject({ checkpoint: 'cp-2', changesUnsupported: true }));

    await user.click(button);
    await waitFor(() => expect(exports).toBe(3));
    expect(changes).toBe(1);
  });

  it('a changes run cut short keeps what arrived; Retry sync resumes from its last cursor line', async () => {
    const asked: URLSearchParams[] = [];
    server.use(
      http.get('/api/integrations/hubspot/export', () => exportResponse([start(3), ...contacts(1, 3), endWith(3, 'cp-1')])),
      http.get('/api/integrations/hubspot/changes', ({ request }) => {
        const params = new URL(request.url).searchParams;
        asked.push(params);
        return params.get('cursor') === 'page-2'
          ? changesResponse([remove('3'), changesEnd(1, 1, 'cp-2')])
          : changesResponse([upsert(renamed(1, 'Contact One')), cursor('page-2', 1), remove('3')].slice(0, 2));
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    const button = await screen.findByRole('button', { name: 'Sync all contacts' });
    await user.click(button);
    await screen.findByRole('heading', { name: 'Synced 3 contacts' });
    await user.click(button);
    const alert = await screen.findByRole('alert');
    expect(within(alert).getByRole('heading', { name: 'The sync stopped before the end' })).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: 'Contact One' })).toBeInTheDocument();

    await user.click(within(alert).getByRole('button', { name: 'Retry sync' }));
    expect(await screen.findByRole('heading', { name: /^Synced: / })).toBeInTheDocument();
    expect(asked.map((p) => [p.get('since'), p.get('cursor')])).toEqual([
      ['cp-1', null],
      [null, 'page-2'],
    ]);
    expect(ids()).toEqual(['1', '2']);
    await waitFor(async () => expect((await loadDataset(KEY))?.checkpoint).toBe('cp-2'));
  });

  it('search covers every synced record, not the first page: one that was never on it is found', async () => {
    server.use(
      // This server cannot search the provider (400 search_unsupported): the preview is searched.
      http.get('/api/integrations/hubspot/items', ({ request }) =>
        new URL(request.url).searchParams.has('search')
          ? problemResponse(problem(400, 'search_unsupported'))
          : HttpResponse.json({ items: contacts(1, 100), next_cursor: 'c2' }),
      ),
      http.get('/api/integrations/hubspot/export', () => exportResponse([start(250), ...contacts(1, 250), endWith(250, 'cp')])),
    );
    const { user } = renderApp('/integrations/hubspot');
    const search = await screen.findByRole('searchbox', { name: 'Search contacts' });
    // Before the sync, the search says it looked at the first page only.
    await user.type(search, 'contact240@');
    expect(await screen.findByText('0 of the first 100 contacts match')).toBeInTheDocument();
    expect(screen.getByText(/Sync all contacts to search every one/)).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Sync all contacts' }));
    await screen.findByRole('heading', { name: 'Synced 250 contacts' });
    expect(await screen.findByText('1 of 250 contacts match')).toBeInTheDocument();
    expect(ids()).toEqual(['240']);
    expect(document.body).not.toHaveTextContent(/loaded contacts match/);
  });

  it('a disconnect forgets the synced dataset', async () => {
    server.use(
      http.get('/api/integrations/hubspot/export', () => exportResponse([start(2), ...contacts(1, 2), endWith(2, 'cp')])),
    );
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Sync all contacts' }));
    await screen.findByRole('heading', { name: 'Synced 2 contacts' });
    await waitFor(async () => expect(await loadDataset(KEY)).not.toBeNull());
    await user.click(screen.getByRole('button', { name: 'Disconnect' }));
    await user.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Disconnect' }));
    await screen.findByRole('heading', { name: 'HubSpot disconnected' });
    await waitFor(async () => expect(await loadDataset(KEY)).toBeNull());
  });
});
