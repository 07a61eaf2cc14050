import { screen, waitFor } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isCrossOrigin } from '../api/client';
import { EXPIRED_MESSAGE, READY_MESSAGE, TOKEN_MESSAGE, installGlobalSetter } from '../auth/embed';
import { browser } from '../browser';
import { CONSENT_URL, integrationsResponse, problem } from '../test/fixtures';
import { renderApp } from '../test/render';
import { notConnectedHandlers, problemResponse, server } from '../test/server';

const HOST = 'https://host.example';
/** A JWT-shaped token for sub "ada" (the UI never verifies it; the server does). */
const TOKEN = `e30.${btoa(JSON.stringify({ sub: 'ada' })).replace(/=+$/, '')}.sig`;

let parent: { postMessage: ReturnType<typeof vi.fn> };

function jwtConfig(origins = [HOST]) {
  return http.get('/api/config', () => HttpResponse.json({ auth_mode: 'jwt', sandbox: true, embed_origins: origins }));
}

function fromParent(data: unknown, { origin = HOST, source }: { origin?: string; source?: unknown } = {}) {
  window.dispatchEvent(new MessageEvent('message', { data, origin, source: (source ?? parent) as Window }));
}

describe('embedded (AUTH_MODE=jwt)', () => {
  beforeEach(() => {
    parent = { postMessage: vi.fn() };
    vi.stubGlobal('parent', parent);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('waits calmly for a token, asks the parent for one, and never shows the user-id field', async () => {
    const calls: string[] = [];
    server.use(
      jwtConfig(),
      http.get('/api/integrations', () => {
        calls.push('integrations');
        return HttpResponse.json(integrationsResponse('connected'));
      }),
    );
    renderApp('/integrations');
    expect(await screen.findByRole('heading', { name: 'Waiting for sign-in from the host page' })).toBeInTheDocument();
    expect(screen.queryByLabelText('Signed in as')).not.toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    await waitFor(() => expect(parent.postMessage).toHaveBeenCalledWith({ type: READY_MESSAGE }, HOST));
    expect(calls).toEqual([]);
  });

  it('takes a token from the parent (allowed origin) and sends it as a Bearer header, not X-User-Id', async () => {
    const seen: { auth: string | null; user: string | null }[] = [];
    server.use(
      jwtConfig(),
      http.get('/api/integrations', ({ request }) => {
        seen.push({ auth: request.headers.get('Authorization'), user: request.headers.get('X-User-Id') });
        return HttpResponse.json(integrationsResponse('connected'));
      }),
    );
    renderApp('/integrations');
    await screen.findByRole('heading', { name: 'Waiting for sign-in from the host page' });
    await waitFor(() => expect(parent.postMessage).toHaveBeenCalled());
    fromParent({ type: TOKEN_MESSAGE, token: TOKEN });
    expect(await screen.findByRole('list', { name: 'Available integrations' })).toBeInTheDocument();
    expect(seen[0]).toEqual({ auth: `Bearer ${TOKEN}`, user: null });
    expect(screen.queryByLabelText('Signed in as')).not.toBeInTheDocument();
    // Memory only.
    expect(JSON.stringify({ ...window.localStorage })).not.toContain(TOKEN);
    expect(JSON.stringify({ ...window.sessionStorage })).not.toContain(TOKEN);
  });

  it('ignores tokens from an origin not in embed_origins, or from a window that is not the parent', async () => {
    server.use(jwtConfig());
    renderApp('/integrations');
    await screen.findByRole('heading', { name: 'Waiting for sign-in from the host page' });
    await waitFor(() => expect(parent.postMessage).toHaveBeenCalled());
    fromParent({ type: TOKEN_MESSAGE, token: TOKEN }, { origin: 'https://evil.example' });
    fromParent({ type: TOKEN_MESSAGE, token: TOKEN }, { source: { postMessage: vi.fn() } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.getByRole('heading', { name: 'Waiting for sign-in from the host page' })).toBeInTheDocument();
  });

  it('accepts a token from window.vsIntegrations.setToken', async () => {
    installGlobalSetter();
    server.use(jwtConfig());
    renderApp('/integrations');
    await screen.findByRole('heading', { name: 'Waiting for sign-in from the host page' });
    window.vsIntegrations?.setToken(TOKEN);
    expect(await screen.findByRole('list', { name: 'Available integrations' })).toBeInTheDocument();
  });

  it('on 401 unauthenticated: forgets the token, tells the parent, and waits again', async () => {
    server.use(
      jwtConfig(),
      http.get('/api/integrations', () =>
        problemResponse(problem(401, 'unauthenticated'), { 'WWW-Authenticate': 'Bearer error="invalid_token"' }),
      ),
    );
    renderApp('/integrations');
    await screen.findByRole('heading', { name: 'Waiting for sign-in from the host page' });
    await waitFor(() => expect(parent.postMessage).toHaveBeenCalled());
    fromParent({ type: TOKEN_MESSAGE, token: TOKEN });
    await waitFor(() => expect(parent.postMessage).toHaveBeenCalledWith({ type: EXPIRED_MESSAGE }, HOST));
    expect(await screen.findByRole('heading', { name: 'Waiting for sign-in from the host page' })).toBeInTheDocument();
  });

  it('connecting asks for the consent URL with the Bearer token; no token or user id ever goes into a URL', async () => {
    const urls: string[] = [];
    const authHeaders: (string | null)[] = [];
    server.events.on('request:start', ({ request }) => {
      urls.push(request.url);
    });
    server.use(
      jwtConfig(),
      ...notConnectedHandlers,
      http.get('/api/integrations/hubspot/authorize', ({ request }) => {
        authHeaders.push(request.headers.get('Authorization'));
        return HttpResponse.json({ url: CONSENT_URL });
      }),
    );
    vi.stubGlobal('open', vi.fn(() => null)); // popups blocked: the tab itself goes to the consent page
    const assign = vi.spyOn(browser, 'assign').mockImplementation(() => undefined);
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('heading', { name: 'Waiting for sign-in from the host page' });
    await waitFor(() => expect(parent.postMessage).toHaveBeenCalled());
    fromParent({ type: TOKEN_MESSAGE, token: TOKEN });
    await user.click(await screen.findByRole('button', { name: 'Connect HubSpot' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith(CONSENT_URL));
    expect(authHeaders).toEqual([`Bearer ${TOKEN}`]);
    server.events.removeAllListeners();
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) {
      expect(url).not.toContain(TOKEN);
      expect(url).not.toContain('user_id');
    }
  });

  it('sends cookies (the OAuth binding cookie) only when the API is on another origin', () => {
    expect(isCrossOrigin('')).toBe(false);
    expect(isCrossOrigin(window.location.origin)).toBe(false);
    expect(isCrossOrigin('https://api.example.com')).toBe(true);
  });

  it('in dev mode the user-id field is there and no token is asked for', async () => {
    renderApp('/integrations');
    expect(await screen.findByLabelText('Signed in as')).toBeInTheDocument();
    expect(parent.postMessage).not.toHaveBeenCalled();
  });
});
