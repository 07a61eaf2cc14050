/**
 * Keep the last known state, explain every loss: a failed status refresh keeps what the page
 * showed (and says from when); a grant lost elsewhere says so, with focus on the message; the
 * status words never contradict each other.
 */
import { act, screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { formatClock } from '../pages/provider/useConnectionView';
import { integrationsResponse, problem } from '../test/fixtures';
import { postOAuthResult, renderApp, stubPopup } from '../test/render';
import { problemResponse, server } from '../test/server';

const CONNECTED = {
  provider: 'hubspot',
  connected: true,
  status: 'connected',
  account_id: '24811358',
  scopes: ['crm.objects.contacts.read'],
};

function card() {
  return screen.getByRole('region', { name: 'HubSpot' });
}

/** GET /status answers `first` once (connected), then `later` every time after. */
function statusThen(later: () => Response) {
  let calls = 0;
  server.use(
    http.get('/api/integrations/hubspot/status', () => {
      calls += 1;
      return calls === 1 ? HttpResponse.json(CONNECTED) : later();
    }),
  );
}

const FAILURES: [string, () => Response][] = [
  ['a 502', () => problemResponse(problem(502, 'upstream_error'))],
  ['a 500', () => problemResponse(problem(500, 'internal_error'))],
  ['no answer (offline)', () => HttpResponse.error()],
];

describe('a failed status refresh keeps the last known state', () => {
  it.each(FAILURES)('%s keeps the badge, Disconnect and the rows, and says from when the data is', async (_, fail) => {
    statusThen(fail);
    const before = formatClock(Date.now());
    const { user } = renderApp('/integrations/hubspot');
    expect(await screen.findByRole('cell', { name: 'Ada Lovelace' })).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Refresh' }));

    const note = await within(card()).findByText(/^Couldn’t refresh — showing data from \d{2}:\d{2}$/);
    // The time of the last answer that worked (this minute, in the test).
    expect([before, formatClock(Date.now())]).toContain(note.textContent?.slice(-5));
    expect(within(card()).getByText('Connected')).toBeInTheDocument();
    expect(within(card()).getByRole('button', { name: 'Disconnect' })).toBeInTheDocument();
    expect(screen.getByRole('cell', { name: 'Ada Lovelace' })).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: /Could not check the connection/ })).not.toBeInTheDocument();
  });

  it('"Try again" asks again, and the note goes once the status answers', async () => {
    let calls = 0;
    server.use(
      http.get('/api/integrations/hubspot/status', () => {
        calls += 1;
        return calls === 2 ? problemResponse(problem(502, 'upstream_error')) : HttpResponse.json(CONNECTED);
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    await screen.findByText(/^Couldn’t refresh — showing data from/);
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(screen.queryByText(/^Couldn’t refresh/)).not.toBeInTheDocument());
    expect(screen.getByRole('cell', { name: 'Ada Lovelace' })).toBeInTheDocument();
  });
});

describe('a grant lost elsewhere', () => {
  it.each([
    ['disconnected', () => HttpResponse.json({ provider: 'hubspot', connected: false, status: 'not_connected' })],
    ['revoked (needs reconnect)', () => HttpResponse.json({ provider: 'hubspot', connected: false, status: 'reauth_required' })],
  ])('%s in another tab: the page says so, with focus on the message and one way back', async (_, later) => {
    statusThen(later);
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    screen.getByRole('button', { name: 'Refresh' }).focus();

    await user.click(screen.getByRole('button', { name: 'Refresh' }));

    const message = await screen.findByRole('heading', {
      name: 'HubSpot was disconnected in another tab or by an admin',
    });
    await waitFor(() => expect(message).toHaveFocus());
    expect(document.activeElement).not.toBe(document.body);
    expect(screen.getAllByRole('button', { name: 'Reconnect HubSpot' })).toHaveLength(1);
    expect(screen.queryByRole('button', { name: 'Connect HubSpot' })).not.toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('this page’s own Disconnect is not reported as a loss elsewhere', async () => {
    statusThen(() => HttpResponse.json({ provider: 'hubspot', connected: false }));
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await user.click(screen.getByRole('button', { name: 'Disconnect' }));
    await user.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Disconnect' }));
    expect(await screen.findByRole('heading', { name: 'HubSpot disconnected' })).toBeInTheDocument();
    expect(screen.queryByText(/disconnected in another tab/)).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Connect HubSpot' })).toBeInTheDocument();
  });
});

describe('status words never contradict', () => {
  it('no "HubSpot connected" next to "Needs reconnect" while the server still says the grant is gone', async () => {
    server.use(
      http.get('/api/integrations', () => HttpResponse.json(integrationsResponse('reauth_required'))),
      http.get('/api/integrations/hubspot/status', () =>
        HttpResponse.json({ provider: 'hubspot', connected: false, status: 'reauth_required' }),
      ),
    );
    stubPopup();
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Reconnect HubSpot' }));
    act(() => postOAuthResult({ result: 'success', account_id: '24811358' }));
    // The refetch after the result still says reauth_required.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(within(card()).getByText('Needs reconnect')).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'HubSpot connected' })).not.toBeInTheDocument();
  });

  it('"HubSpot connected" appears once the page agrees', async () => {
    let connected = false;
    server.use(
      http.get('/api/integrations', () => HttpResponse.json(integrationsResponse(connected ? 'connected' : 'not_connected'))),
      http.get('/api/integrations/hubspot/status', () =>
        HttpResponse.json(connected ? CONNECTED : { provider: 'hubspot', connected: false }),
      ),
    );
    stubPopup();
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Connect HubSpot' }));
    connected = true;
    act(() => postOAuthResult({ result: 'success', account_id: '24811358' }));
    expect(await screen.findByRole('heading', { name: 'HubSpot connected' })).toBeInTheDocument();
    expect(within(card()).getByText('Connected')).toBeInTheDocument();
    expect(within(card()).queryByText('Needs reconnect')).not.toBeInTheDocument();
  });
});
