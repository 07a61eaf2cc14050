import { screen, waitFor } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import { browser } from '../browser';
import { CONSENT_URL, integrationsResponse, problem } from '../test/fixtures';
import { postOAuthResult, renderApp, stubPopup } from '../test/render';
import { notConnectedHandlers, problemResponse, server } from '../test/server';

async function renderNotConnected() {
  server.use(...notConnectedHandlers);
  const rendered = renderApp('/integrations/hubspot');
  const connect = await screen.findByRole('button', { name: 'Connect HubSpot' });
  return { ...rendered, connect };
}

describe('HubspotIntegration: connecting', () => {
  it('shows Connecting… while the consent popup is open', async () => {
    const { popup, open } = stubPopup();
    const { user, connect } = await renderNotConnected();
    await user.click(connect);

    expect(open).toHaveBeenCalledWith('', 'vs-oauth-hubspot', expect.stringContaining('width=600'));
    expect(screen.getByRole('button', { name: 'Connecting…' })).toHaveAttribute('aria-disabled', 'true');
    await waitFor(() => expect(popup.location.href).toBe(CONSENT_URL));
    expect(screen.getByRole('heading', { name: 'Connecting…' })).toBeInTheDocument();
  });

  it('shows "HubSpot connected" with the account id, then the contacts', async () => {
    stubPopup();
    const { user, connect } = await renderNotConnected();
    await user.click(connect);
    await waitFor(() => expect(screen.getByRole('button', { name: 'Connecting…' })).toBeInTheDocument());

    // The server now reports the connection.
    server.resetHandlers();
    postOAuthResult({ result: 'success', account_id: '24811358' });

    const heading = await screen.findByRole('heading', { name: 'HubSpot connected' });
    await waitFor(() => expect(heading).toHaveFocus());
    expect(await screen.findByRole('cell', { name: 'Ada Lovelace' })).toBeInTheDocument();
  });

  it('clears an old outcome message when the data is refreshed', async () => {
    stubPopup();
    const { user, connect } = await renderNotConnected();
    await user.click(connect);
    server.resetHandlers();
    postOAuthResult({ result: 'success', account_id: '24811358' });
    await screen.findByRole('heading', { name: 'HubSpot connected' });
    expect(document.title).toBe('HubSpot · VectorShift Integrations');

    await user.click(await screen.findByRole('button', { name: 'Refresh' }));
    await waitFor(() => expect(screen.queryByRole('heading', { name: 'HubSpot connected' })).not.toBeInTheDocument());
    expect(await screen.findByRole('cell', { name: 'Ada Lovelace' })).toBeInTheDocument();
  });

  it('explains a denied consent and lets the user try again', async () => {
    const { open } = stubPopup();
    const { user, connect } = await renderNotConnected();
    await user.click(connect);
    postOAuthResult({ result: 'error', error: 'access_denied', error_description: 'The user denied access' });

    expect(await screen.findByRole('heading', { name: 'HubSpot was not connected' })).toBeInTheDocument();
    expect(screen.getByText(/chose not to give access/)).toBeInTheDocument();
    // One call to action: the Connect button, not a second "Try again".
    expect(screen.queryByRole('button', { name: 'Try again' })).not.toBeInTheDocument();
    expect(screen.getByTestId('oauth-notice')).toHaveClass('notice--neutral');

    await user.click(screen.getByRole('button', { name: 'Connect HubSpot' }));
    expect(open).toHaveBeenCalledTimes(2);
    expect(screen.getByRole('button', { name: 'Connecting…' })).toBeInTheDocument();
  });

  it('ignores result messages from other origins', async () => {
    stubPopup();
    const { user, connect } = await renderNotConnected();
    await user.click(connect);
    window.dispatchEvent(
      new MessageEvent('message', {
        origin: 'https://evil.example',
        data: { type: 'vs-oauth-result', provider: 'hubspot', result: 'success', account_id: '1' },
      }),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.queryByText('HubSpot connected')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Connecting…' })).toBeInTheDocument();
  });

  it('falls back to a full-page redirect when the popup is blocked', async () => {
    vi.stubGlobal('open', vi.fn(() => null));
    const assign = vi.spyOn(browser, 'assign').mockImplementation(() => undefined);
    const { user, connect } = await renderNotConnected();
    await user.click(connect);

    expect(screen.getByRole('heading', { name: 'Taking you to HubSpot…' })).toBeInTheDocument();
    // The consent URL comes from the API (user in a header, never in the URL).
    await waitFor(() => expect(assign).toHaveBeenCalledWith(CONSENT_URL));
  });

  it('goes back to idle with "Connection cancelled" when the user closes the popup', async () => {
    const { popup } = stubPopup();
    const { user, connect } = await renderNotConnected();
    await user.click(connect);
    popup.closed = true;

    expect(await screen.findByRole('heading', { name: 'Connection cancelled' }, { timeout: 3000 })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Connect HubSpot' })).toBeEnabled();
  });

  it('reports when the authorize URL cannot be fetched and closes the popup', async () => {
    const { popup } = stubPopup();
    server.use(...notConnectedHandlers, http.get('/api/integrations/hubspot/authorize', () => problemResponse(problem(503, 'store_unavailable'))));
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Connect HubSpot' }));
    expect(await screen.findByRole('heading', { name: 'Could not start connecting' })).toBeInTheDocument();
    expect(popup.closed).toBe(true);
  });
});

describe('OAuth callback route', () => {
  it('in the popup: posts the result to the opener and closes itself', async () => {
    const postMessage = vi.fn();
    vi.stubGlobal('opener', { postMessage });
    const close = vi.spyOn(window, 'close').mockImplementation(() => undefined);
    renderApp('/integrations/hubspot/callback?result=success&account_id=24811358');

    await waitFor(() => expect(close).toHaveBeenCalled());
    expect(postMessage).toHaveBeenCalledWith(
      {
        type: 'vs-oauth-result',
        provider: 'hubspot',
        result: 'success',
        account_id: '24811358',
        error: null,
        error_description: null,
      },
      window.location.origin,
    );
  });

  it('after a full-page redirect: shows the outcome on the integration page', async () => {
    server.use(...notConnectedHandlers);
    renderApp('/integrations/hubspot/callback?result=error&error=access_denied&error_description=User%20said%20no');
    expect(await screen.findByRole('heading', { name: 'HubSpot was not connected' })).toBeInTheDocument();
    expect(await screen.findByRole('button', { name: 'Connect HubSpot' })).toBeInTheDocument();
  });

  it('after a full-page redirect with success: shows "HubSpot connected" and the data', async () => {
    server.use(http.get('/api/integrations', () => HttpResponse.json(integrationsResponse('connected'))));
    renderApp('/integrations/hubspot/callback?result=success&account_id=24811358');
    expect(await screen.findByRole('heading', { name: 'HubSpot connected' })).toBeInTheDocument();
    expect(await screen.findByRole('cell', { name: 'Ada Lovelace' })).toBeInTheDocument();
  });
});
