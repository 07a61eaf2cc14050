/**
 * Sync honesty: the progress bar moves only while the stream runs (a cancelled or failed sync
 * shows no sliding bar), and a 429 during a sync counts down calmly from Retry-After, then
 * resumes by itself from the last cursor line.
 */
import { screen, waitFor, within } from '@testing-library/react';
import { http } from 'msw';
import { describe, expect, it } from 'vitest';
import { contact, contacts, problem } from '../test/fixtures';
import { renderApp } from '../test/render';
import { problemResponse, server } from '../test/server';
import { cursor, end, exportResponse, feed, start } from '../test/stream';

function rows() {
  return within(screen.getByRole('table')).getAllByRole('row').slice(1);
}

/** Anything still sliding: an indeterminate bar (its CSS animation runs for as long as it is there). */
function slidingBars() {
  return document.querySelectorAll('.sync__bar--indeterminate');
}

describe('the sync progress bar stops when the sync does', () => {
  it('a cancelled sync without a total: no sliding bar after the end', async () => {
    const source = feed();
    server.use(http.get('/api/integrations/hubspot/export', () => source.response()));
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Sync all contacts' }));
    source.send(start(null), ...contacts(1, 2));
    await screen.findByText('2 contacts', { selector: '.sync__text' });
    expect(slidingBars()).toHaveLength(1);

    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    await screen.findByRole('heading', { name: 'Sync cancelled — 2 contacts received' });
    expect(slidingBars()).toHaveLength(0);
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
    expect(screen.getByText('2 contacts', { selector: '.sync__text' })).toBeInTheDocument();
  });

  it('a failed sync without a total: no sliding bar after the end', async () => {
    server.use(
      http.get('/api/integrations/hubspot/export', () => exportResponse([start(null), contact(1)])),
    );
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Sync all contacts' }));
    await screen.findByRole('heading', { name: 'The sync stopped before the end' });
    expect(slidingBars()).toHaveLength(0);
  });

  it('a cancelled sync with a total keeps a still bar at where it stopped', async () => {
    const source = feed();
    server.use(http.get('/api/integrations/hubspot/export', () => source.response()));
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Sync all contacts' }));
    source.send(start(10), ...contacts(1, 3));
    await waitFor(() => expect(screen.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '3'));
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    await screen.findByRole('heading', { name: 'Sync cancelled — 3 contacts received' });
    expect(screen.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '3');
    expect(slidingBars()).toHaveLength(0);
  });
});

describe('a 429 during a sync', () => {
  it('before the stream: a calm countdown from Retry-After, then it starts by itself', async () => {
    let calls = 0;
    server.use(
      http.get('/api/integrations/hubspot/export', () => {
        calls += 1;
        return calls === 1
          ? problemResponse(problem(429, 'rate_limited'), { 'Retry-After': '1' })
          : exportResponse([start(3), ...contacts(1, 3), end(3)]);
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Sync all contacts' }));
    const countdown = await screen.findByText('HubSpot is busy — resuming in 1 s');
    // Calm: a status, not an alert, and no Retry button to press.
    expect(countdown.closest('[role="status"]')).not.toBeNull();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Retry sync' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Syncing…' })).toHaveAttribute('aria-disabled', 'true');
    expect(slidingBars()).toHaveLength(0);

    expect(await screen.findByRole('heading', { name: 'Synced 3 contacts' }, { timeout: 3000 })).toBeInTheDocument();
    expect(calls).toBe(2);
  });

  it('mid-stream: resumes by itself with ?cursor= from the last cursor line, without duplicates', async () => {
    const requests: (string | null)[] = [];
    server.use(
      http.get('/api/integrations/hubspot/export', ({ request }) => {
        const at = new URL(request.url).searchParams.get('cursor');
        requests.push(at);
        return at === 'c2'
          ? exportResponse([start(5), ...contacts(3, 3), end(3)])
          : exportResponse([
              start(5),
              contact(1),
              contact(2),
              cursor('c2', 2),
              contact(3),
              { type: 'error', code: 'rate_limited', detail: 'Slow down', retry_after: 1 },
            ]);
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Sync all contacts' }));
    expect(await screen.findByText('HubSpot is busy — resuming in 1 s')).toBeInTheDocument();
    expect(screen.getByText(/continues by itself after the first 2/)).toBeInTheDocument();

    expect(await screen.findByRole('heading', { name: 'Synced 5 contacts' }, { timeout: 3000 })).toBeInTheDocument();
    expect(requests).toEqual([null, 'c2']);
    expect(rows().map((row) => within(row).getAllByRole('cell')[0]?.textContent)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('Cancel during the countdown stops it: nothing resumes', async () => {
    let calls = 0;
    server.use(
      http.get('/api/integrations/hubspot/export', () => {
        calls += 1;
        return problemResponse(problem(429, 'rate_limited'), { 'Retry-After': '1' });
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Sync all contacts' }));
    await screen.findByText('HubSpot is busy — resuming in 1 s');
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(await screen.findByRole('heading', { name: 'Sync cancelled — 0 contacts received' })).toBeInTheDocument();
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect(calls).toBe(1);
  });
});
