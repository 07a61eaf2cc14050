/**
 * Enable a kind the first grant left out: picking "Companies — not granted" (or a kind the server
 * refuses with insufficient_scope) offers "Enable Companies", which runs the consent again asking
 * for that kind's scope (`authorize?object_type=companies`); after it, the page shows companies.
 * No Sync is offered for a kind that cannot be read.
 */
import { cleanup, screen, waitFor } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import { browser } from '../browser';
import { ADA, CONSENT_URL } from '../test/fixtures';
import { postOAuthResult, renderApp, stubPopup } from '../test/render';
import { server } from '../test/server';

const ACME = { ...ADA, id: '9001', title: 'Acme Corp', item_type: 'company', properties: { domain: 'acme.example' } };
const CONTACTS_ONLY = ['crm.objects.contacts.read', 'oauth'];
const WITH_COMPANIES = [...CONTACTS_ONLY, 'crm.objects.companies.read'];

/** A connection granted `scopes` (changeable), items by kind, and what was asked of the server. */
function grantedOnly(initial: string[]) {
  const asked = { items: [] as string[], counts: [] as string[], authorize: [] as (string | null)[] };
  const grant = { scopes: initial };
  server.use(
    http.get('/api/integrations/hubspot/status', () =>
      HttpResponse.json({ provider: 'hubspot', connected: true, account_id: '24811358', scopes: grant.scopes }),
    ),
    http.get('/api/integrations/hubspot/items', ({ request }) => {
      const kind = new URL(request.url).searchParams.get('object_type') ?? '';
      asked.items.push(kind);
      return HttpResponse.json({ items: [kind === 'companies' ? ACME : ADA], next_cursor: null });
    }),
    http.get('/api/integrations/hubspot/count', ({ request }) => {
      asked.counts.push(new URL(request.url).searchParams.get('object_type') ?? '');
      return HttpResponse.json({ total: null });
    }),
    http.get('/api/integrations/hubspot/authorize', ({ request }) => {
      asked.authorize.push(new URL(request.url).searchParams.get('object_type'));
      return HttpResponse.json({ url: CONSENT_URL });
    }),
  );
  return { asked, grant };
}

describe('enabling a kind the grant left out', () => {
  it('picking a kind marked not granted offers "Enable Companies" at once: nothing asked of it, no Sync', async () => {
    const { asked } = grantedOnly(CONTACTS_ONLY);
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    expect(screen.getByRole('button', { name: 'Sync all contacts' })).toBeInTheDocument();

    await user.selectOptions(screen.getByRole('combobox', { name: 'Show' }), 'companies');
    expect(await screen.findByRole('button', { name: 'Enable Companies' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'HubSpot has not allowed reading companies' })).toBeInTheDocument();
    // Neither Sync nor Export nor a table for a kind that cannot be read, and no pointless 403 asked for.
    expect(screen.queryByRole('button', { name: /^Sync all/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Export CSV' })).not.toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Reconnect HubSpot' })).not.toBeInTheDocument();
    expect(asked.items).not.toContain('companies');
    expect(asked.counts).not.toContain('companies');
    // The switcher still leads back.
    await user.selectOptions(screen.getByRole('combobox', { name: 'Show' }), 'contacts');
    expect(await screen.findByRole('cell', { name: 'Ada Lovelace' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Enable Companies' })).not.toBeInTheDocument();
  });

  it('Enable Companies asks the consent for companies (object_type=companies); after it the page shows companies', async () => {
    const { popup } = stubPopup();
    const { asked, grant } = grantedOnly(CONTACTS_ONLY);
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await user.selectOptions(screen.getByRole('combobox', { name: 'Show' }), 'companies');
    await user.click(await screen.findByRole('button', { name: 'Enable Companies' }));

    await waitFor(() => expect(popup.location.href).toBe(CONSENT_URL));
    expect(asked.authorize).toEqual(['companies']);
    expect(screen.getByRole('button', { name: 'Connecting…' })).toHaveAttribute('aria-disabled', 'true');

    // The consent granted companies too.
    grant.scopes = WITH_COMPANIES;
    postOAuthResult({ result: 'success', account_id: '24811358' });
    expect(await screen.findByRole('cell', { name: 'Acme Corp' })).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Show' })).toHaveValue('companies');
    expect(screen.getByRole('heading', { name: 'Companies', level: 2 })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Sync all companies' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Enable Companies' })).not.toBeInTheDocument();
  });

  it('a plain Connect still asks for the usual scopes (no object_type)', async () => {
    stubPopup();
    const { asked } = grantedOnly(CONTACTS_ONLY);
    server.use(http.get('/api/integrations/hubspot/status', () => HttpResponse.json({ provider: 'hubspot', connected: false })));
    const { user } = renderApp('/integrations/hubspot');
    await user.click(await screen.findByRole('button', { name: 'Connect HubSpot' }));
    await waitFor(() => expect(asked.authorize).toEqual([null]));
  });

  it('a kind the server refuses (insufficient_scope) offers Enable Deals, which asks for deals', async () => {
    const { popup } = stubPopup();
    const { asked } = grantedOnly(WITH_COMPANIES.concat('crm.objects.deals.read'));
    server.use(
      http.get('/api/integrations/hubspot/items', ({ request }) =>
        new URL(request.url).searchParams.get('object_type') === 'deals'
          ? HttpResponse.json(
              { type: 'about:blank', title: 'Forbidden', status: 403, code: 'insufficient_scope', detail: 'Missing scope.' },
              { status: 403, headers: { 'Content-Type': 'application/problem+json' } },
            )
          : HttpResponse.json({ items: [ADA], next_cursor: null }),
      ),
    );
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await user.selectOptions(screen.getByRole('combobox', { name: 'Show' }), 'deals');
    await user.click(await screen.findByRole('button', { name: 'Enable Deals' }));
    await waitFor(() => expect(popup.location.href).toBe(CONSENT_URL));
    expect(asked.authorize).toEqual(['deals']);
    expect(screen.queryByRole('button', { name: /^Sync all/ })).not.toBeInTheDocument();
  });

  it('popups blocked: the full-page consent for companies comes back to companies', async () => {
    vi.stubGlobal('open', vi.fn(() => null));
    const assign = vi.spyOn(browser, 'assign').mockImplementation(() => undefined);
    const { asked, grant } = grantedOnly(CONTACTS_ONLY);
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await user.selectOptions(screen.getByRole('combobox', { name: 'Show' }), 'companies');
    await user.click(await screen.findByRole('button', { name: 'Enable Companies' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith(CONSENT_URL));
    expect(asked.authorize).toEqual(['companies']);

    // The consent page sends the browser back to the callback, which reloads the app.
    cleanup();
    grant.scopes = WITH_COMPANIES;
    renderApp('/integrations/hubspot/callback?result=success&account_id=24811358');
    expect(await screen.findByRole('cell', { name: 'Acme Corp' })).toBeInTheDocument();
    expect(screen.getByRole('combobox', { name: 'Show' })).toHaveValue('companies');
  });

  it('a kind the account can never be granted (unavailable_object_types) is not offered at all', async () => {
    grantedOnly(WITH_COMPANIES);
    server.use(
      http.get('/api/integrations/hubspot/status', () =>
        HttpResponse.json({
          provider: 'hubspot',
          connected: true,
          account_id: '24811358',
          scopes: WITH_COMPANIES,
          unavailable_object_types: ['deals'],
        }),
      ),
    );
    renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    const options = Array.from(screen.getByRole('combobox', { name: 'Show' }).querySelectorAll('option')).map((o) => o.value);
    expect(options).toEqual(['contacts', 'companies']);
    expect(screen.queryByRole('button', { name: 'Enable Deals' })).not.toBeInTheDocument();
  });
});
