import { screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { integrationsResponse, meta, problem } from '../test/fixtures';
import { locationRef, renderApp } from '../test/render';
import { problemResponse, server } from '../test/server';

describe('IntegrationSelector', () => {
  it('redirects / to /integrations', async () => {
    renderApp('/');
    expect(await screen.findByRole('heading', { name: 'Integrations', level: 1 })).toBeInTheDocument();
    // The location is recorded after the redirect's render, not with it.
    await waitFor(() => expect(locationRef.pathname).toBe('/integrations'));
  });

  it("shows a card per provider in the server's order, each with its status, description and logo", async () => {
    server.use(
      http.get('/api/integrations', () =>
        HttpResponse.json({
          sandbox: false,
          integrations: [
            { ...meta('hubspot', 'HubSpot', 'contact'), status: 'connected', account_id: '24811358' },
            { ...meta('notion', 'Notion', 'page'), status: 'not_connected', account_id: null },
            { ...meta('airtable', 'Airtable', 'base'), status: 'reauth_required', account_id: 'app1' },
          ],
        }),
      ),
    );
    renderApp('/integrations');
    const list = await screen.findByRole('list', { name: 'Available integrations' });
    const cards = within(list).getAllByRole('link');
    expect(cards.map((c) => within(c).getByRole('heading').textContent)).toEqual(['HubSpot', 'Notion', 'Airtable']);
    expect(cards[0]).toHaveTextContent('Connected');
    expect(cards[0]).toHaveTextContent('Account 24811358');
    expect(cards[0]).toHaveAttribute('href', '/integrations/hubspot');
    expect(cards[1]).toHaveTextContent('Not connected');
    expect(cards[1]).toHaveTextContent('Connect →');
    expect(cards[2]).toHaveTextContent('Needs reconnect');
    expect(cards[2]).toHaveTextContent('Reconnect →');
    expect(cards[1]).toHaveTextContent('Notion records.');
    const logo = within(cards[2] as HTMLElement).getByRole('img', { name: 'Airtable logo' });
    expect(logo.getAttribute('src')).toMatch(/^data:image\/svg\+xml;utf8,%3Csvg/);
  });

  it('opens the integration page when a card is clicked', async () => {
    const { user } = renderApp('/integrations');
    await user.click(await screen.findByRole('link', { name: /HubSpot/ }));
    expect(await screen.findByRole('heading', { name: 'HubSpot', level: 1 })).toBeInTheDocument();
    await waitFor(() => expect(locationRef.pathname).toBe('/integrations/hubspot'));
  });

  it('says once, in one banner, which providers are sandboxes: no Sandbox pill on any card', async () => {
    renderApp('/integrations');
    const hubspot = await screen.findByRole('link', { name: /HubSpot/ });
    const banner = await screen.findByRole('note');
    expect(banner).toHaveTextContent('Sandbox');
    expect(banner).toHaveTextContent('HubSpot here is a local sandbox, not the real service.');
    expect(screen.getAllByText('Sandbox')).toHaveLength(1);
    expect(within(hubspot).queryByText('Sandbox')).not.toBeInTheDocument();
    const notion = screen.getByRole('link', { name: /Notion/ });
    expect(within(notion).queryByText('Sandbox')).not.toBeInTheDocument();
  });

  it('hides the Sandbox badge in production mode', async () => {
    server.use(http.get('/api/integrations', () => HttpResponse.json(integrationsResponse('connected', false))));
    renderApp('/integrations');
    await screen.findByRole('list', { name: 'Available integrations' });
    expect(screen.queryByText('Sandbox')).not.toBeInTheDocument();
  });

  it('offers to try again when the list cannot be loaded', async () => {
    let calls = 0;
    server.use(
      http.get('/api/integrations', () => {
        calls += 1;
        return calls === 1
          ? problemResponse(problem(503, 'store_unavailable'))
          : HttpResponse.json(integrationsResponse('not_connected'));
      }),
    );
    const { user } = renderApp('/integrations');
    await user.click(await screen.findByRole('button', { name: 'Retry' }));
    expect(await screen.findByRole('list', { name: 'Available integrations' })).toBeInTheDocument();
  });
});
