/**
 * "Sync all" on the provider page: the stream into the table, its progress bar and words,
 * Cancel, a stream cut short (Retry resumes), an error line, the CSV of what was synced, and
 * the total above the table ("100 of 12,345 contacts").
 */
import { act, screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import type { IntegrationItem } from '../api/models';
import { syncProgressText, formatDuration } from '../components/SyncPanel';
import { csvFileName, syncCsv } from '../csv';
import { contact, contacts, HUBSPOT_META, problem } from '../test/fixtures';
import { renderApp } from '../test/render';
import { problemResponse, server } from '../test/server';
import { cursor, end, errorLine, exportResponse, feed, start } from '../test/stream';

const NOUNS = { one: 'contact', many: 'contacts' };

function rows() {
  return within(screen.getByRole('table')).getAllByRole('row').slice(1);
}

function progressbar() {
  return screen.getByRole('progressbar', { name: 'Sync progress' });
}

/** Captures the files the page downloads: their names and contents. */
function captureDownloads() {
  const files: { name: string; blob: Blob }[] = [];
  let last: Blob | null = null;
  vi.stubGlobal(
    'URL',
    Object.assign(URL, {
      createObjectURL: vi.fn((blob: Blob) => {
        last = blob;
        return 'blob:csv';
      }),
      revokeObjectURL: vi.fn(),
    }),
  );
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    if (last) files.push({ name: this.download, blob: last });
  });
  return files;
}

const ODD: IntegrationItem = {
  ...contact(3),
  title: '=HYPERLINK("http://evil.example","click")',
  properties: { firstname: 'Lovelace, Ada', lastname: '+1 555', email: 'odd@example.com', score: 42, tags: ['x'] },
};

describe('Sync all', () => {
  it('streams every contact into the table, fills the bar, then says so and offers the CSV', async () => {
    let requested = '';
    server.use(
      http.get('/api/integrations/hubspot/export', ({ request }) => {
        requested = request.url;
        return exportResponse([start(3), contact(1), contact(2), cursor('2', 2), ODD, end(3)]);
      }),
    );
    const files = captureDownloads();
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });

    // By keyboard: Tab reaches the button, Enter starts.
    const button = screen.getByRole('button', { name: 'Sync all contacts' });
    button.focus();
    await user.keyboard('{Enter}');

    expect(await screen.findByRole('heading', { name: 'Synced 3 contacts' })).toBeInTheDocument();
    expect(new URL(requested).searchParams.get('object_type')).toBe('contacts');
    expect(progressbar()).toHaveAttribute('aria-valuenow', '3');
    expect(progressbar()).toHaveAttribute('aria-valuemax', '3');
    expect(progressbar()).toHaveAttribute('aria-valuetext', '3 of 3 contacts');
    // The table now shows what was synced, and its caption the total.
    expect(rows()).toHaveLength(3);
    expect(screen.queryByRole('cell', { name: 'Ada Lovelace' })).not.toBeInTheDocument();
    expect(screen.getByText('3 contacts', { selector: '.table-toolbar__count' })).toBeInTheDocument();
    expect(screen.getByText('All 3 contacts synced')).toBeInTheDocument();
    expect(screen.getByText('Last synced just now · 3 contacts')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Sync all contacts' })).toHaveFocus();

    // One export: the table's, of the whole dataset.
    expect(screen.getAllByRole('button', { name: /CSV/ })).toHaveLength(1);
    const exportButton = screen.getByRole('button', { name: 'Export CSV' });
    await user.click(exportButton);
    expect(files).toHaveLength(1);
    expect(files[0]?.name).toMatch(/^hubspot-contacts-\d{4}-\d{2}-\d{2}\.csv$/);
    const text = await files[0]?.blob.text();
    expect(text?.split('\r\n')).toEqual([
      'ID,Name,Email,Firstname,Lastname,Score,Link',
      `1,Contact 1,contact1@example.com,Contact,1,,${contact(1).url ?? ''}`,
      `2,Contact 2,contact2@example.com,Contact,2,,${contact(2).url ?? ''}`,
      `3,"'=HYPERLINK(""http://evil.example"",""click"")",odd@example.com,"Lovelace, Ada",'+1 555,42,${ODD.url ?? ''}`,
      '',
    ]);
  });

  it('shows "N of total · rate/s · time left" while it runs', async () => {
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const source = feed();
    server.use(http.get('/api/integrations/hubspot/export', () => source.response()));
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Sync all contacts' }));
    expect(await screen.findByRole('heading', { name: 'Syncing contacts…' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Syncing…' })).toHaveAttribute('aria-disabled', 'true');

    source.send(start(12_345), ...contacts(1, 100));
    await waitFor(() => expect(progressbar()).toHaveAttribute('aria-valuenow', '100'));
    expect(progressbar()).toHaveAttribute('aria-valuemax', '12345');
    // Too early to say how fast.
    expect(screen.getByText('100 of 12,345 contacts', { selector: '.sync__text' })).toBeInTheDocument();

    now += 2_000;
    source.send(...contacts(101, 100));
    // 200 in 2 s: 100/s; 12,145 left at that rate: about 2 min.
    expect(
      await screen.findByText('200 of 12,345 contacts · 100/s · about 2 min left', { selector: '.sync__text' }),
    ).toBeInTheDocument();
    expect(screen.getByText('200 contacts', { selector: '.table-toolbar__count' })).toBeInTheDocument();
    expect(rows()).toHaveLength(200);
    source.send(end(200));
    expect(await screen.findByRole('heading', { name: 'Synced 200 contacts' })).toBeInTheDocument();
  });

  it('a provider that cannot tell the total: the bar is indeterminate, the words count', async () => {
    const source = feed();
    server.use(http.get('/api/integrations/hubspot/export', () => source.response()));
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Sync all contacts' }));
    source.send(start(null), ...contacts(1, 2));
    expect(await screen.findByText('2 contacts', { selector: '.sync__text' })).toBeInTheDocument();
    expect(progressbar()).not.toHaveAttribute('aria-valuenow');
    expect(progressbar()).not.toHaveAttribute('aria-valuemax');
    expect(progressbar()).toHaveAttribute('aria-valuetext', '2 contacts');
    expect(screen.getByText('2 contacts', { selector: '.table-toolbar__count' })).toBeInTheDocument();
    source.send(end(2));
    expect(await screen.findByRole('heading', { name: 'Synced 2 contacts' })).toBeInTheDocument();
    // Done: now it is known.
    expect(progressbar()).toHaveAttribute('aria-valuenow', '2');
    expect(progressbar()).toHaveAttribute('aria-valuemax', '2');
  });

  it('Cancel (by keyboard) stops the stream, keeps what arrived, and moves focus to the outcome', async () => {
    const source = feed();
    server.use(http.get('/api/integrations/hubspot/export', () => source.response()));
    const files = captureDownloads();
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Sync all contacts' }));
    source.send(start(10), ...contacts(1, 3));
    await waitFor(() => expect(progressbar()).toHaveAttribute('aria-valuenow', '3'));

    // The next Tab stop after the busy Sync button.
    await user.tab();
    expect(screen.getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.keyboard('{Enter}');

    const outcome = await screen.findByRole('heading', { name: 'Sync cancelled — 3 contacts received' });
    await waitFor(() => expect(outcome).toHaveFocus());
    // More lines after the cancel change nothing.
    act(() => source.send(...contacts(4, 5)));
    expect(rows()).toHaveLength(3);
    expect(progressbar()).toHaveAttribute('aria-valuenow', '3');
    expect(screen.getByText('Showing 3 contacts — more in HubSpot')).toBeInTheDocument();
    expect(screen.getByText('Sync not finished · 3 contacts so far')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Export CSV' }));
    expect((await files[0]?.blob.text())?.split('\r\n')).toHaveLength(5);
    expect(screen.getByRole('button', { name: 'Sync all contacts' })).not.toHaveAttribute('aria-disabled');
  });

  it('a stream cut short says so; Retry sync continues after the last complete page', async () => {
    const requests: URLSearchParams[] = [];
    server.use(
      http.get('/api/integrations/hubspot/export', ({ request }) => {
        const params = new URL(request.url).searchParams;
        requests.push(params);
        return params.get('cursor') === '2'
          ? exportResponse([start(4), contact(3), contact(4), end(2)])
          : // Two items, the page's cursor, then half a page and no end line.
            exportResponse([start(4), contact(1), contact(2), cursor('2', 2), contact(3)]);
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Sync all contacts' }));

    const alert = await screen.findByRole('alert');
    expect(within(alert).getByRole('heading', { name: 'The sync stopped before the end' })).toBeInTheDocument();
    expect(alert).toHaveTextContent('The connection was cut after 3 of 4 contacts.');
    expect(alert).toHaveTextContent('Retry sync continues after the first 2.');
    expect(rows()).toHaveLength(3);

    await user.click(within(alert).getByRole('button', { name: 'Retry sync' }));
    expect(await screen.findByRole('heading', { name: 'Synced 4 contacts' })).toBeInTheDocument();
    expect(requests.map((p) => p.get('cursor'))).toEqual([null, '2']);
    // Contact 3 arrived twice (before the cut and again after the cursor) but is shown once.
    expect(rows().map((row) => within(row).getAllByRole('cell')[0]?.textContent)).toEqual(['1', '2', '3', '4']);
  });

  it('an error line says what failed, keeps the rows, and offers Retry sync', async () => {
    let calls = 0;
    server.use(
      http.get('/api/integrations/hubspot/export', () => {
        calls += 1;
        return calls === 1
          ? exportResponse([start(5), contact(1), errorLine('upstream_error', 'HubSpot failed')])
          : exportResponse([start(5), ...contacts(1, 5), end(5)]);
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Sync all contacts' }));
    const alert = await screen.findByRole('alert');
    expect(within(alert).getByRole('heading', { name: 'Could not sync all contacts — HubSpot failed' })).toBeInTheDocument();
    expect(alert).toHaveTextContent('HubSpot failed to answer.');
    expect(rows()).toHaveLength(1);
    // No cursor yet: Retry starts again.
    await user.click(within(alert).getByRole('button', { name: 'Retry sync' }));
    expect(await screen.findByRole('heading', { name: 'Synced 5 contacts' })).toBeInTheDocument();
    expect(rows()).toHaveLength(5);
  });

  it('a refusal before the stream starts is shown like any failure, with the request id', async () => {
    server.use(
      http.get('/api/integrations/hubspot/export', () =>
        problemResponse(problem(502, 'upstream_error'), { 'X-Request-Id': 'req-sync' }),
      ),
    );
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Sync all contacts' }));
    const alert = await screen.findByRole('alert');
    expect(
      within(alert).getByRole('heading', { name: 'Could not sync all contacts — HubSpot failed' }),
    ).toBeInTheDocument();
    expect(within(alert).getByText('req-sync')).toBeInTheDocument();
    // The paged rows are still there.
    expect(screen.getByRole('cell', { name: 'Ada Lovelace' })).toBeInTheDocument();
  });

  it('Refresh keeps the synced dataset: it is one set of records, not a snapshot beside the pages', async () => {
    server.use(
      http.get('/api/integrations/hubspot/export', () => exportResponse([start(2), ...contacts(1, 2), end(2)])),
    );
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Sync all contacts' }));
    await screen.findByRole('heading', { name: 'Synced 2 contacts' });
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Refresh' })).not.toHaveAttribute('aria-disabled'));
    expect(rows()).toHaveLength(2);
    expect(screen.queryByRole('cell', { name: 'Ada Lovelace' })).not.toBeInTheDocument();
    expect(screen.getByText('Last synced just now · 2 contacts')).toBeInTheDocument();
  });

  it('another object type starts from the pages again', async () => {
    server.use(
      http.get('/api/integrations/hubspot/export', () => exportResponse([start(2), ...contacts(1, 2), end(2)])),
    );
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Sync all contacts' }));
    await screen.findByRole('heading', { name: 'Synced 2 contacts' });
    await user.selectOptions(screen.getByRole('combobox', { name: 'Show' }), 'companies');
    expect(await screen.findByRole('button', { name: 'Sync all companies' })).toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
  });
});

describe('the total above the table', () => {
  const page = () =>
    http.get('/api/integrations/hubspot/items', () =>
      HttpResponse.json({ items: contacts(1, 100), next_cursor: 'c2' }),
    );

  it('reads "100 of 12,345 contacts" when the provider can tell', async () => {
    let asked = '';
    server.use(
      page(),
      http.get('/api/integrations/hubspot/count', ({ request }) => {
        asked = request.url;
        return HttpResponse.json({ total: 12_345 });
      }),
    );
    renderApp('/integrations/hubspot');
    expect(
      await screen.findByText('100 of 12,345 contacts', { selector: '.table-toolbar__count' }),
    ).toBeInTheDocument();
    expect(new URL(asked).searchParams.get('object_type')).toBe('contacts');
  });

  it('shows the loaded count alone when the total is unknown or the count fails', async () => {
    server.use(
      page(),
      http.get('/api/integrations/hubspot/count', () => HttpResponse.json({ total: null })),
    );
    const first = renderApp('/integrations/hubspot');
    expect(await screen.findByText('100 contacts loaded')).toBeInTheDocument();
    first.unmount();
    server.use(http.get('/api/integrations/hubspot/count', () => problemResponse(problem(404, 'not_found'))));
    renderApp('/integrations/hubspot');
    expect(await screen.findByText('Showing 100 contacts — more in HubSpot')).toBeInTheDocument();
    expect(screen.getByText('100 contacts loaded')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});

describe('words and files', () => {
  it('progress: counts with separators, rate, a rough time left', () => {
    expect(syncProgressText(1_234, 12_345, 480, NOUNS)).toBe('1,234 of 12,345 contacts · 480/s · about 25 s left');
    expect(syncProgressText(1_234, null, 480, NOUNS)).toBe('1,234 contacts · 480/s');
    expect(syncProgressText(1, null, null, NOUNS)).toBe('1 contact');
    expect(syncProgressText(10, 10, 2.5, NOUNS)).toBe('10 of 10 contacts · 2.5/s');
    expect(formatDuration(3.2)).toBe('4 s');
    expect(formatDuration(23.1)).toBe('25 s');
    expect(formatDuration(59)).toBe('1 min');
    expect(formatDuration(7_500)).toBe('2 h 5 min');
  });

  it('CSV: declared columns, simple properties as columns, RFC 4180 quoting, no formulas', () => {
    const csv = syncCsv(
      [
        {
          ...contact(1),
          properties: { email: 'a@example.com', note: 'line 1\nline "2"', vip: true, nested: { a: 1 } },
        },
        { ...contact(2), title: '@SUM(1)', properties: { email: '-2@example.com', note: '=1+1', nested: null } },
      ],
      HUBSPOT_META.columns,
    );
    expect(csv).toBe(
      [
        'ID,Name,Email,Note,Vip,Link',
        `1,Contact 1,a@example.com,"line 1\nline ""2""",true,${contact(1).url ?? ''}`,
        `2,'@SUM(1),'-2@example.com,'=1+1,,${contact(2).url ?? ''}`,
        '',
      ].join('\r\n'),
    );
    expect(csvFileName('hubspot', 'contacts', new Date(2026, 10, 25, 23, 59))).toBe('hubspot-contacts-2026-11-25.csv');
  });
});
