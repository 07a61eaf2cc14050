/**
 * The whole CRM: the kind picker from discovery (declared kinds first, then the account's
 * others, custom ones marked; an ungranted one names its scope and offers Enable), the column
 * picker from the discovered fields (searchable, grouped, remembered per provider and kind, a
 * reset; it drives the columns and `properties=`), the record drawer (every property, readable,
 * filterable; an accessible dialog), related records as chips (`associations=`), and the CSV of
 * the chosen columns.
 */
import { render, screen, waitFor, within } from '@testing-library/react';
import { delay, http, HttpResponse } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import type { Field, IntegrationItem } from '../api/models';
import { chosenCsv } from '../csv';
import { EMPTY_DATASET, syncMode } from '../dataset/model';
import { datasetKey, saveDataset } from '../dataset/store';
import { formatValue } from '../fieldValue';
import { columnsStorageKey } from '../hooks/useColumns';
import { mergeKinds, singular } from '../pages/provider/kinds';
import { RecordDrawer } from '../components/RecordDrawer';
import { RelatedChips } from '../components/RelatedChips';
import { relatedChips, relatedText, type RelatedChip } from '../related';
import { parseSelection, selectionSignature } from '../selection';
import { getUserId } from '../session';
import { ADA, CONSENT_URL, problem } from '../test/fixtures';
import { renderApp, stubPopup } from '../test/render';
import { problemResponse, server } from '../test/server';
import { end, exportResponse, start } from '../test/stream';

const SCOPES = ['crm.objects.contacts.read', 'oauth', 'crm.objects.companies.read', 'crm.objects.deals.read', 'crm.schemas.custom.read', 'crm.objects.custom.read'];

const OBJECT_TYPES = [
  { id: 'contacts', label: 'Contacts', custom: false, scopes: ['crm.objects.contacts.read'], granted: true },
  { id: 'companies', label: 'Companies', custom: false, scopes: ['crm.objects.companies.read'], granted: true },
  { id: 'deals', label: 'Deals', custom: false, scopes: ['crm.objects.deals.read'], granted: true },
  { id: 'tickets', label: 'Tickets', custom: false, scopes: ['tickets'], granted: false },
  // Discovery's word that the grant allows it counts, whatever the status's scopes say.
  { id: 'line_items', label: 'Line items', custom: false, scopes: ['e-commerce'], granted: true },
  { id: '2-123456', label: 'Pets', custom: true, scopes: ['crm.objects.custom.read'], granted: true },
];

function field(name: string, label: string, extra: Partial<Field> = {}): Field {
  return { name, label, type: 'string', field_type: 'text', group: 'contactinformation', options: [], read_only: false, hidden: false, calculated: false, ...extra };
}

const FIELDS: Field[] = [
  field('firstname', 'First Name'),
  field('lastname', 'Last Name'),
  field('email', 'Email'),
  field('lifecyclestage', 'Lifecycle Stage', {
    type: 'enumeration',
    field_type: 'select',
    options: [
      { value: 'lead', label: 'Lead' },
      { value: 'customer', label: 'Customer' },
    ],
  }),
  field('closedate', 'Close Date', { type: 'date', field_type: 'date' }),
  field('hs_lastmodifieddate', 'Last Modified Date', { type: 'datetime', field_type: 'date', read_only: true }),
  field('phone', 'Phone Number'),
  field('vs_custom_001', 'Favourite Colour', { group: 'vectorshift_custom' }),
  field('vs_custom_002', 'Shoe Size', { group: 'vectorshift_custom', type: 'number', field_type: 'number' }),
];

const RICH: IntegrationItem = {
  ...ADA,
  properties: {
    firstname: 'Ada',
    lastname: 'Lovelace',
    email: 'ada@example.com',
    lifecyclestage: 'lead',
    closedate: '2026-03-15',
    hs_lastmodifieddate: '2026-03-15T10:30:00Z',
    phone: '',
    vs_custom_001: 'Teal',
    vs_custom_002: null,
  },
};

const ACME: IntegrationItem = { id: '9800000123', title: 'Acme Corp', item_type: 'company', properties: {} };

/** A portal that discovers: its kinds, its contact fields, and what was asked for. */
function discovering({ scopes = SCOPES }: { scopes?: string[] } = {}) {
  const asked = {
    items: [] as URLSearchParams[],
    exports: [] as URLSearchParams[],
    records: [] as URLSearchParams[],
    authorize: [] as (string | null)[],
  };
  server.use(
    http.get('/api/integrations/hubspot/status', () =>
      HttpResponse.json({ provider: 'hubspot', connected: true, account_id: '24811358', scopes }),
    ),
    http.get('/api/integrations/hubspot/object-types', () => HttpResponse.json({ object_types: OBJECT_TYPES })),
    http.get('/api/integrations/hubspot/fields', () => HttpResponse.json({ fields: FIELDS })),
    http.get('/api/integrations/hubspot/items', ({ request }) => {
      const params = new URL(request.url).searchParams;
      asked.items.push(params);
      const kind = params.get('object_type');
      const item =
        kind === '2-123456'
          ? { id: '77', title: 'Rex', item_type: 'pet', properties: {} }
          : params.get('associations')
            ? {
                ...RICH,
                associations: {
                  companies: [{ id: '9800000123', labels: ['Primary'] }, { id: '9800000456', labels: [] }],
                  deals: [],
                },
              }
            : RICH;
      return HttpResponse.json({ items: [item], next_cursor: null });
    }),
    // One record with every field: the row's properties (tests that want more override).
    http.get('/api/integrations/hubspot/items/:id', ({ request, params }) => {
      asked.records.push(new URL(request.url).searchParams);
      return HttpResponse.json({ ...RICH, id: String(params.id) });
    }),
    http.get('/api/integrations/hubspot/export', ({ request }) => {
      asked.exports.push(new URL(request.url).searchParams);
      return exportResponse([start(1), RICH, end(1)]);
    }),
    http.get('/api/integrations/hubspot/authorize', ({ request }) => {
      asked.authorize.push(new URL(request.url).searchParams.get('object_type'));
      return HttpResponse.json({ url: CONSENT_URL });
    }),
  );
  return asked;
}

function lastOf(list: URLSearchParams[]): URLSearchParams {
  return list[list.length - 1] ?? new URLSearchParams();
}

function kindOptions(): string[] {
  return within(screen.getByRole('combobox', { name: 'Show' }))
    .getAllByRole('option')
    .map((o) => o.textContent ?? '');
}

function headers(): string[] {
  return within(screen.getByRole('table'))
    .getAllByRole('columnheader')
    .map((h) => h.textContent?.replace(/[↕▲▼]/g, '').trim() ?? '');
}

describe('the kind picker from discovery', () => {
  it('merges the declared kinds with the discovered ones: declared first, then the others, custom ones last', () => {
    const declared = [
      { id: 'contacts', noun: 'contact', scopes: ['crm.objects.contacts.read'] },
      { id: 'companies', noun: 'company', scopes: ['crm.objects.companies.read'] },
    ];
    const kinds = mergeKinds(declared, ['2-123456', 'tickets', 'companies', 'contacts'].flatMap((id) => OBJECT_TYPES.filter((t) => t.id === id)));
    expect(kinds.map((k) => k.id)).toEqual(['contacts', 'companies', 'tickets', '2-123456']);
    expect(kinds.map((k) => k.noun)).toEqual(['contact', 'company', 'ticket', 'pet']);
    expect(mergeKinds(declared, null).map((k) => k.id)).toEqual(['contacts', 'companies']);
    expect(['Line items', 'Companies', 'Boxes', 'Pets', 'Equipment'].map(singular)).toEqual(['Line item', 'Company', 'Box', 'Pet', 'Equipment']);
  });

  it('offers every discovered kind, grouped, custom ones marked, ungranted ones said', async () => {
    discovering();
    renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await waitFor(() => expect(kindOptions()).toHaveLength(6));
    expect(kindOptions()).toEqual(['Contacts', 'Companies', 'Deals', 'Tickets — not granted', 'Line items', 'Pets (custom)']);
    const select = screen.getByRole('combobox', { name: 'Show' });
    expect(within(select).getByRole('group', { name: 'More kinds' })).toBeInTheDocument();
    expect(within(select).getByRole('group', { name: 'Custom objects' })).toBeInTheDocument();
  });

  it('a custom kind lists its records under its own label', async () => {
    const asked = discovering();
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await waitFor(() => expect(kindOptions()).toHaveLength(6));
    await user.selectOptions(screen.getByRole('combobox', { name: 'Show' }), '2-123456');
    expect(await screen.findByRole('cell', { name: 'Rex' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'Pets', level: 2 })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Sync all pets' })).toBeInTheDocument();
    expect(asked.items.some((p) => p.get('object_type') === '2-123456')).toBe(true);
  });

  it('an ungranted kind names the scope to add and offers Enable (authorize?object_type=)', async () => {
    stubPopup();
    const asked = discovering();
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await waitFor(() => expect(kindOptions()).toHaveLength(6));
    await user.selectOptions(screen.getByRole('combobox', { name: 'Show' }), 'tickets');
    expect(await screen.findByRole('heading', { name: 'HubSpot has not allowed reading tickets' })).toBeInTheDocument();
    expect(screen.getByText('tickets', { selector: 'code' })).toBeInTheDocument();
    expect(asked.items.some((p) => p.get('object_type') === 'tickets')).toBe(false);
    await user.click(screen.getByRole('button', { name: 'Enable Tickets' }));
    await waitFor(() => expect(asked.authorize).toEqual(['tickets']));
  });

  it('a provider that cannot discover keeps its declared kinds and columns, and offers no column picker', async () => {
    server.use(
      http.get('/api/integrations/hubspot/object-types', () =>
        problemResponse({ type: 'about:blank', title: 'x', status: 400, code: 'discovery_unsupported', detail: 'no' }),
      ),
    );
    renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    expect(kindOptions()).toEqual(['Contacts', 'Companies', 'Deals']);
    expect(screen.queryByRole('button', { name: /^Columns/ })).not.toBeInTheDocument();
  });
});

describe('the column picker', () => {
  it('chooses a custom field by search: it becomes a column and the items are asked with properties=', async () => {
    const asked = discovering();
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    const toggle = await screen.findByRole('button', { name: 'Columns (3)' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await user.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    const panel = screen.getByRole('group', { name: 'Choose columns' });
    // Grouped as the provider groups them.
    expect(within(panel).getByRole('group', { name: 'Vectorshift custom' })).toBeInTheDocument();
    expect(within(panel).getByRole('group', { name: 'Record' })).toBeInTheDocument();
    await user.type(within(panel).getByRole('searchbox', { name: 'Search fields' }), 'vs_custom_001');
    await waitFor(() =>
      expect(within(panel).getAllByRole('checkbox').map((c) => c.closest('label')?.textContent?.trim())).toEqual([
        'Related (companies and deals)',
        'Favourite Colourvs_custom_001',
      ]),
    );
    await user.click(within(panel).getByRole('checkbox', { name: 'Favourite Colour' }));

    expect(await screen.findByRole('columnheader', { name: /Favourite Colour/ })).toBeInTheDocument();
    expect(await screen.findByRole('cell', { name: 'Teal' })).toBeInTheDocument();
    const last = lastOf(asked.items);
    expect(last.get('properties')).toBe('email,vs_custom_001');
    expect(JSON.parse(window.localStorage.getItem(columnsStorageKey('hubspot', 'contacts')) ?? 'null')).toEqual({
      keys: ['id', 'title', 'email', 'vs_custom_001'],
      related: false,
    });
    // Escape closes the panel and gives focus back to its button.
    await user.keyboard('{Escape}');
    expect(screen.getByRole('button', { name: 'Columns (4)' })).toHaveFocus();
  });

  it('is remembered per provider and kind, and Reset goes back to the defaults', async () => {
    window.localStorage.setItem(columnsStorageKey('hubspot', 'contacts'), JSON.stringify({ keys: ['title', 'vs_custom_001', 'phone'], related: false }));
    const asked = discovering();
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Teal' });
    // Chosen columns show even when every row is empty in one (Phone Number).
    expect(headers()).toEqual(['Name', 'Favourite Colour', 'Phone Number', 'Link']);
    // The remembered choice waited for the fields: no request with the defaults first.
    expect(asked.items.map((p) => p.get('properties'))).toEqual(['vs_custom_001,phone']);

    await user.click(screen.getByRole('button', { name: 'Columns (3)' }));
    await user.click(screen.getByRole('button', { name: 'Reset to defaults' }));
    await waitFor(() => expect(headers()).toEqual(['ID', 'Name', 'Email', 'Link']));
    expect(window.localStorage.getItem(columnsStorageKey('hubspot', 'contacts'))).toBeNull();
    expect(lastOf(asked.items).get('properties')).toBeNull();
  });

  it('the sync asks for the chosen properties, and the CSV has exactly the chosen columns', async () => {
    window.localStorage.setItem(columnsStorageKey('hubspot', 'contacts'), JSON.stringify({ keys: ['title', 'vs_custom_001', 'lifecyclestage'], related: false }));
    const asked = discovering();
    let blob: Blob | null = null;
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: vi.fn((b: Blob) => ((blob = b), 'blob:csv')), revokeObjectURL: vi.fn() }));
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Teal' });
    await user.click(screen.getByRole('button', { name: 'Sync all contacts' }));
    await screen.findByRole('heading', { name: 'Synced 1 contact' });
    expect(asked.exports[0]?.get('properties')).toBe('vs_custom_001,lifecyclestage');
    await user.click(screen.getByRole('button', { name: 'Export CSV' }));
    await waitFor(() => expect(blob).not.toBeNull());
    const text = await (blob as unknown as Blob).text();
    expect(text.split('\r\n')[0]).toBe('Name,Favourite Colour,Lifecycle Stage,Link');
    expect(text.split('\r\n')[1]).toBe(`Ada Lovelace,Teal,lead,${ADA.url}`);
  });
});

describe('a synced dataset and the chosen columns', () => {
  it('records fetched with other columns are exported again, not patched by changes', () => {
    const chosen = selectionSignature({ properties: ['email', 'vs_custom_001'], associations: [] });
    expect(chosen).toBe('properties=email%2Cvs_custom_001');
    expect(selectionSignature({ properties: null, associations: [] })).toBe('');
    const synced = { ...EMPTY_DATASET, checkpoint: 'cp', syncedAt: 1 };
    expect(syncMode(synced, '')).toBe('changes');
    expect(syncMode(synced, chosen)).toBe('export');
    expect(syncMode({ ...synced, selection: chosen }, chosen)).toBe('changes');
  });

  it('the table says when the synced records lack the chosen columns', async () => {
    await saveDataset(datasetKey(getUserId(), 'hubspot', 'contacts'), { items: [RICH], checkpoint: 'cp', syncedAt: Date.now(), changesUnsupported: false });
    window.localStorage.setItem(columnsStorageKey('hubspot', 'contacts'), JSON.stringify({ keys: ['title', 'vs_custom_001'], related: false }));
    discovering();
    renderApp('/integrations/hubspot');
    expect(
      await screen.findByText('The synced contacts were fetched with other columns: Sync all contacts to fill in the chosen ones.'),
    ).toBeInTheDocument();
  });
});

describe('the record drawer', () => {
  it('shows every property readably, filters them, and is an accessible dialog (focus in, Esc, focus back)', async () => {
    discovering();
    const { user } = renderApp('/integrations/hubspot');
    const cell = await screen.findByRole('cell', { name: 'Ada Lovelace' });
    const opener = within(cell).getByRole('button', { name: 'Ada Lovelace' });
    await waitFor(() => expect(screen.getByRole('button', { name: /^Columns/ })).toBeInTheDocument());
    await user.click(opener);

    const dialog = screen.getByRole('dialog', { name: 'Ada Lovelace' });
    expect(within(dialog).getByRole('button', { name: 'Close' })).toHaveFocus();
    const entry = (label: string) => within(dialog).getByText(label, { selector: 'dt' }).nextElementSibling?.textContent;
    // Labels from discovery, enumerations by their option label, dates formatted.
    expect(entry('Lifecycle Stage')).toBe('Lead');
    expect(entry('Favourite Colour')).toBe('Teal');
    expect(entry('Close Date')).toBe(new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date('2026-03-15')));
    expect(entry('Last Modified Date')).not.toContain('T10:30');
    // Empty ones apart, de-emphasized.
    expect(within(dialog).getByRole('heading', { name: 'Empty (2)' })).toBeInTheDocument();
    expect(entry('Phone Number')).toBe('No value');

    await user.type(within(dialog).getByRole('searchbox', { name: 'Filter properties' }), 'colour');
    expect(within(dialog).getByText('1 of 13 properties match')).toBeInTheDocument();
    expect(within(dialog).queryByText('Email', { selector: 'dt' })).not.toBeInTheDocument();

    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(opener).toHaveFocus();
  });

  it('opens from a click anywhere on the row too, and Tab stays inside', async () => {
    discovering();
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await user.click(screen.getByRole('cell', { name: 'ada@example.com' }));
    const dialog = screen.getByRole('dialog', { name: 'Ada Lovelace' });
    await user.tab({ shift: true });
    expect(dialog).toContainElement(document.activeElement as HTMLElement);
    await user.click(within(dialog).getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });
});

describe('related records as chips', () => {
  it('Related asks for associations= of the other declared kinds and shows chips, named from the synced dataset when there is one', async () => {
    await saveDataset(datasetKey(getUserId(), 'hubspot', 'companies'), {
      items: [ACME],
      checkpoint: null,
      syncedAt: Date.now(),
      changesUnsupported: false,
    });
    const asked = discovering();
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await user.click(await screen.findByRole('button', { name: /^Columns/ }));
    await user.click(screen.getByRole('checkbox', { name: 'Related (companies and deals)' }));

    const chips = await screen.findByRole('list', { name: 'Related records' });
    await waitFor(() => expect(within(chips).getAllByRole('listitem').map((c) => c.textContent)).toEqual(['Acme Corp · , Primary', 'Company 9800000456']));
    expect(lastOf(asked.items).get('associations')).toBe('companies,deals');
    expect(screen.getByRole('columnheader', { name: 'Related' })).toBeInTheDocument();
  });

  it('a provider that cannot list related records (associations_unsupported): Related goes, the rows stay', async () => {
    discovering();
    server.use(
      http.get('/api/integrations/hubspot/items', ({ request }) =>
        new URL(request.url).searchParams.get('associations')
          ? problemResponse({ type: 'about:blank', title: 'x', status: 400, code: 'associations_unsupported', detail: 'no' })
          : HttpResponse.json({ items: [RICH], next_cursor: null }),
      ),
    );
    const { user } = renderApp('/integrations/hubspot');
    await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await user.click(await screen.findByRole('button', { name: /^Columns/ }));
    await user.click(screen.getByRole('checkbox', { name: 'Related (companies and deals)' }));
    expect(await screen.findByText('HubSpot cannot list related records.')).toBeInTheDocument();
    expect(await screen.findByRole('cell', { name: 'Ada Lovelace' })).toBeInTheDocument();
    expect(screen.queryByRole('checkbox', { name: /^Related/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('columnheader', { name: 'Related' })).not.toBeInTheDocument();
  });

  it('chips and their CSV text: labels kept, unknown records by kind and id', () => {
    const item = { ...ADA, associations: { companies: [{ id: '1', labels: ['Primary'] }], deals: [{ id: '5', labels: [] }] } } as IntegrationItem;
    const chips = relatedChips(item, ['companies', 'deals'], (kind, id) => (kind === 'companies' && id === '1' ? 'Acme' : null), (kind) => (kind === 'companies' ? 'company' : 'deal'));
    expect(chips.map((c) => c.name)).toEqual(['Acme', 'Deal 5']);
    expect(relatedText(chips)).toBe('Acme (Primary); Deal 5');
    expect(chosenCsv([item], [{ key: 'title', label: 'Name' }], () => relatedText(chips))).toBe(
      `Name,Related,Link\r\nAda Lovelace,Acme (Primary); Deal 5,${ADA.url}\r\n`,
    );
  });
});

describe('values as people read them', () => {
  it('enumerations by label (several too), booleans, dates, and empties', () => {
    const enumField = FIELDS.find((f) => f.name === 'lifecyclestage');
    expect(formatValue('lead;customer', enumField)).toBe('Lead, Customer');
    expect(formatValue('true', field('x', 'X', { type: 'bool' }))).toBe('Yes');
    expect(formatValue('', enumField)).toBe('');
    expect(formatValue(null)).toBe('');
    expect(formatValue('2026-03-15', field('d', 'D', { type: 'date' }))).not.toBe('2026-03-15');
    expect(formatValue('1773570600000', field('d', 'D', { type: 'datetime' }))).not.toBe('1773570600000');
    expect(formatValue('plain text')).toBe('plain text');
    expect(formatValue({ a: 1 })).toBe('{"a":1}');
  });
});

/** The full record: the row's properties and more (a custom field no column shows, an empty one), with its related records. */
const FULL: IntegrationItem = {
  ...RICH,
  properties: { ...RICH.properties, vs_custom_600: 'Rare orchid', hs_analytics_source: 'ORGANIC_SEARCH', jobtitle: null },
  associations: { companies: [{ id: '9800000123', labels: ['Primary'] }], deals: [{ id: '5', labels: [] }] },
} as IntegrationItem;

const MORE_FIELDS: Field[] = [...FIELDS, field('vs_custom_600', 'Orchid Variety', { group: 'vectorshift_custom' }), field('jobtitle', 'Job Title')];

describe('the record drawer reads the whole record', () => {
  it('shows the row at once with a quiet loading line, then every property of items/{id}?properties=*', async () => {
    const asked = discovering();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.use(
      http.get('/api/integrations/hubspot/fields', () => HttpResponse.json({ fields: MORE_FIELDS })),
      http.get('/api/integrations/hubspot/items/:id', async ({ request }) => {
        asked.records.push(new URL(request.url).searchParams);
        await gate;
        // The full record may word its title otherwise: the dialog keeps the name of the row clicked.
        return HttpResponse.json({ ...FULL, title: 'Augusta Ada King' });
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    const cell = await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await waitFor(() => expect(screen.getByRole('button', { name: /^Columns/ })).toBeInTheDocument());
    await user.click(within(cell).getByRole('button', { name: 'Ada Lovelace' }));

    const dialog = screen.getByRole('dialog', { name: 'Ada Lovelace' });
    // What the row carries, at once, and a quiet line while the rest comes.
    expect(within(dialog).getByText('Favourite Colour', { selector: 'dt' })).toBeInTheDocument();
    expect(within(dialog).getByRole('status')).toHaveTextContent('Loading every property from HubSpot…');
    expect(within(dialog).queryByText('Orchid Variety', { selector: 'dt' })).not.toBeInTheDocument();
    await waitFor(() => expect(asked.records).toHaveLength(1));
    const params = lastOf(asked.records);
    expect(params.get('properties')).toBe('*');
    expect(params.get('object_type')).toBe('contacts');
    // Related is off: no associations asked for.
    expect(params.get('associations')).toBeNull();

    release();
    const entry = await within(dialog).findByText('Orchid Variety', { selector: 'dt' });
    expect(dialog).toHaveAccessibleName('Ada Lovelace');
    expect(entry.nextElementSibling).toHaveTextContent('Rare orchid');
    expect(within(dialog).getByText('Job Title', { selector: 'dt' }).nextElementSibling).toHaveTextContent('No value');
    expect(within(dialog).getByRole('status')).not.toHaveTextContent('Loading');
    expect(within(dialog).getByRole('status')).toHaveTextContent('13 properties with a value, 3 empty');
    // Still a dialog with its filter, focus kept where it was.
    expect(within(dialog).getByRole('button', { name: 'Close' })).toHaveFocus();
    await user.type(within(dialog).getByRole('searchbox', { name: 'Filter properties' }), 'orchid');
    expect(within(dialog).getByText('1 of 16 properties match')).toBeInTheDocument();
    // The scrolling list can be reached by keyboard (and Tab still stays inside).
    expect(within(dialog).getByRole('region', { name: 'Record details' })).toHaveAttribute('tabindex', '0');
  });

  it('with Related on, asks for the related kinds too and shows the full record’s related records', async () => {
    const asked = discovering();
    server.use(
      http.get('/api/integrations/hubspot/items/:id', ({ request }) => {
        asked.records.push(new URL(request.url).searchParams);
        return HttpResponse.json(FULL);
      }),
    );
    window.localStorage.setItem(columnsStorageKey('hubspot', 'contacts'), JSON.stringify({ keys: null, related: true }));
    const { user } = renderApp('/integrations/hubspot');
    const cell = await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await screen.findByRole('columnheader', { name: 'Related' });
    await user.click(within(cell).getByRole('button', { name: 'Ada Lovelace' }));
    const dialog = screen.getByRole('dialog', { name: 'Ada Lovelace' });
    await waitFor(() => expect(lastOf(asked.records).get('associations')).toBe('companies,deals'));
    // The full record's related records (the row had two companies; now it is one company and a deal).
    await waitFor(() =>
      expect(
        within(dialog)
          .getAllByRole('list', { name: 'Related records' })
          .flatMap((list) => within(list).getAllByRole('listitem').map((c) => c.textContent)),
      ).toEqual(['Company 9800000123 · , Primary', 'Deal 5']),
    );
    expect(within(dialog).getByRole('heading', { name: 'Related (2)' })).toBeInTheDocument();
    // Kind by kind, each under its own name.
    expect(within(dialog).getByText('Companies (1)', { selector: 'summary' })).toBeInTheDocument();
    expect(within(dialog).getByText('Deals (1)', { selector: 'summary' })).toBeInTheDocument();
  });

  it('a record gone at the provider (record_not_found): said in the drawer, the row’s properties stay', async () => {
    discovering();
    server.use(
      http.get('/api/integrations/hubspot/items/:id', () => problemResponse(problem(404, 'record_not_found'))),
    );
    const { user } = renderApp('/integrations/hubspot');
    const cell = await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await waitFor(() => expect(screen.getByRole('button', { name: /^Columns/ })).toBeInTheDocument());
    await user.click(within(cell).getByRole('button', { name: 'Ada Lovelace' }));
    const dialog = screen.getByRole('dialog', { name: 'Ada Lovelace' });
    const alert = await within(dialog).findByRole('alert');
    expect(within(alert).getByRole('heading', { name: 'This record no longer exists at HubSpot' })).toBeInTheDocument();
    expect(within(dialog).getByText('Favourite Colour', { selector: 'dt' })).toBeInTheDocument();
    expect(within(dialog).getByRole('status')).not.toHaveTextContent('Loading');
  });

  it('a provider that cannot read one record (lookup_unsupported): the row’s properties, nothing said', async () => {
    const asked = discovering();
    server.use(
      http.get('/api/integrations/hubspot/items/:id', ({ request }) => {
        asked.records.push(new URL(request.url).searchParams);
        return problemResponse(problem(400, 'lookup_unsupported'));
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    const cell = await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await waitFor(() => expect(screen.getByRole('button', { name: /^Columns/ })).toBeInTheDocument());
    await user.click(within(cell).getByRole('button', { name: 'Ada Lovelace' }));
    const dialog = screen.getByRole('dialog', { name: 'Ada Lovelace' });
    await waitFor(() => expect(asked.records).toHaveLength(1));
    await waitFor(() => expect(within(dialog).getByRole('status')).not.toHaveTextContent('Loading'));
    expect(within(dialog).queryByRole('alert')).not.toBeInTheDocument();
    expect(within(dialog).getByText('Favourite Colour', { selector: 'dt' })).toBeInTheDocument();
  });

  it('another failure is said in the drawer with Retry, which reads the record again', async () => {
    const asked = discovering();
    let calls = 0;
    server.use(
      http.get('/api/integrations/hubspot/fields', () => HttpResponse.json({ fields: MORE_FIELDS })),
      http.get('/api/integrations/hubspot/items/:id', async ({ request }) => {
        asked.records.push(new URL(request.url).searchParams);
        calls += 1;
        if (calls === 1) return problemResponse(problem(502, 'upstream_error'));
        await delay(10);
        return HttpResponse.json(FULL);
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    const cell = await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await waitFor(() => expect(screen.getByRole('button', { name: /^Columns/ })).toBeInTheDocument());
    await user.click(within(cell).getByRole('button', { name: 'Ada Lovelace' }));
    const dialog = screen.getByRole('dialog', { name: 'Ada Lovelace' });
    const alert = await within(dialog).findByRole('alert');
    expect(within(alert).getByRole('heading', { name: 'Could not load every property — HubSpot failed' })).toBeInTheDocument();
    await user.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(await within(dialog).findByText('Orchid Variety', { selector: 'dt' })).toBeInTheDocument();
    expect(within(dialog).queryByRole('alert')).not.toBeInTheDocument();
    expect(calls).toBe(2);
  });

  it('a provider that cannot discover: the drawer shows the row and asks for nothing more', async () => {
    const records: string[] = [];
    server.use(
      http.get('/api/integrations/hubspot/items/:id', ({ request }) => {
        records.push(request.url);
        return HttpResponse.json(FULL);
      }),
    );
    const { user } = renderApp('/integrations/hubspot');
    const cell = await screen.findByRole('cell', { name: 'Ada Lovelace' });
    await user.click(within(cell).getByRole('button', { name: 'Ada Lovelace' }));
    const dialog = screen.getByRole('dialog', { name: 'Ada Lovelace' });
    expect(within(dialog).getByText('ada@example.com')).toBeInTheDocument();
    expect(within(dialog).getByRole('status')).not.toHaveTextContent('Loading');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(records).toEqual([]);
  });
});

describe('related chips in a table cell', () => {
  const chip = (id: string, labels: string[] = []): RelatedChip => ({ kind: 'deals', id, name: `Deal ${id}`, unnamed: true, labels });

  it('shows a few, the labelled ones first, then how many more', () => {
    const chips = [chip('1'), chip('2'), chip('3', ['Primary']), chip('4'), chip('5')];
    render(<RelatedChips chips={chips} limit={3} />);
    const list = screen.getByRole('list', { name: 'Related records (5)' });
    expect(within(list).getAllByRole('listitem').map((c) => c.textContent)).toEqual(['Deal 3 · , Primary', 'Deal 1', 'Deal 2', '+ 2 more']);
  });

  it('in the drawer, kind by kind; a kind with many starts folded', () => {
    const many = Array.from({ length: 13 }, (_, n) => chip(String(n + 1)));
    const company: RelatedChip = { kind: 'companies', id: '9', name: 'Acme Corp', unnamed: false, labels: ['Primary'] };
    render(
      <RecordDrawer
        item={ADA}
        fields={null}
        nouns={{ one: 'contact', many: 'contacts' }}
        providerName="HubSpot"
        chips={[company, ...many]}
        kindName={(kind) => (kind === 'deals' ? 'Deals' : 'Companies')}
        onClose={() => undefined}
      />,
    );
    const dialog = screen.getByRole('dialog', { name: 'Ada Lovelace' });
    expect(within(dialog).getByRole('heading', { name: 'Related (14)' })).toBeInTheDocument();
    expect(within(dialog).getByText('Companies (1)', { selector: 'summary' }).closest('details')).toHaveAttribute('open');
    expect(within(dialog).getByText('Deals (13)', { selector: 'summary' }).closest('details')).not.toHaveAttribute('open');
  });

  it('shows every one when they fit', () => {
    render(<RelatedChips chips={[chip('1'), chip('2')]} limit={3} />);
    expect(within(screen.getByRole('list', { name: 'Related records' })).getAllByRole('listitem')).toHaveLength(2);
  });
});

describe('selection signatures', () => {
  it('read back as the selection they stand for (what a live refresh asks for again)', () => {
    const selection = { properties: ['firstname', 'vs_custom_001'], associations: ['companies', 'deals'] };
    expect(parseSelection(selectionSignature(selection))).toEqual(selection);
    expect(parseSelection('')).toEqual({ properties: null, associations: [] });
    expect(parseSelection(undefined)).toEqual({ properties: null, associations: [] });
    expect(parseSelection(selectionSignature({ properties: null, associations: ['companies'] }))).toEqual({ properties: null, associations: ['companies'] });
  });
});
