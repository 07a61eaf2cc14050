import { useId, useMemo, useState } from 'react';
import type { IntegrationItem } from '../api/models';

function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

/** The name to show: the title, else first + last name; empty when there is none. */
export function contactName(item: IntegrationItem): string {
  const fromParts = [text(item.properties.firstname), text(item.properties.lastname)].filter(Boolean).join(' ');
  return text(item.title) || fromParts;
}

export function contactEmail(item: IntegrationItem): string {
  return text(item.properties.email);
}

/** Up to two letters for the avatar: from the name's words, else the e-mail, else "?". */
export function initials(item: IntegrationItem): string {
  const words = contactName(item)
    .split(/\s+/)
    .map((word) => word.replace(/[^\p{L}\p{N}]/gu, ''))
    .filter(Boolean);
  if (words.length > 0) {
    const first = words[0]?.charAt(0) ?? '';
    const last = words.length > 1 ? (words[words.length - 1]?.charAt(0) ?? '') : '';
    return (first + last).toUpperCase();
  }
  const email = contactEmail(item).replace(/[^\p{L}\p{N}]/gu, '');
  return email ? email.charAt(0).toUpperCase() : '?';
}

/** RFC 4180 CSV of the rows (what is shown: searched and sorted). */
export function contactsCsv(items: readonly IntegrationItem[]): string {
  const cell = (value: string) => {
    // A leading = + - @ would be a formula in a spreadsheet: quote it as text.
    const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const lines = [['id', 'name', 'email', 'url'], ...items.map((item) => [item.id, contactName(item), contactEmail(item), item.url ?? ''])];
  return lines.map((line) => line.map(cell).join(',')).join('\r\n') + '\r\n';
}

function download(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

type SortKey = 'name' | 'email' | 'id';
type SortDir = 'ascending' | 'descending';

const COLLATOR = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

function sortValue(item: IntegrationItem, key: SortKey): string {
  if (key === 'name') return contactName(item);
  if (key === 'email') return contactEmail(item);
  return item.id;
}

/**
 * The contacts: search over the loaded rows, sortable columns (aria-sort), a sticky header
 * inside a bounded scroll area, long values cut with an ellipsis (full value on hover).
 */
export function ContactsTable({
  items,
  onSkipTable,
}: {
  items: IntegrationItem[];
  /** Moves focus past the table (to Load more), so keyboard users need not Tab through every row. */
  onSkipTable?: () => void;
}) {
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<{ key: SortKey; dir: SortDir } | null>(null);
  const searchId = useId();
  const sortId = useId();

  const rows = useMemo(() => {
    const needle = query.trim().toLowerCase();
    const filtered = needle
      ? items.filter((item) =>
          [contactName(item), contactEmail(item), item.id].some((value) => value.toLowerCase().includes(needle)),
        )
      : items;
    if (!sort) return filtered;
    const sign = sort.dir === 'ascending' ? 1 : -1;
    return [...filtered].sort((a, b) => {
      const av = sortValue(a, sort.key);
      const bv = sortValue(b, sort.key);
      // Empty values last, whatever the direction.
      if (!av !== !bv) return av ? -1 : 1;
      return sign * COLLATOR.compare(av, bv);
    });
  }, [items, query, sort]);

  const toggle = (key: SortKey) =>
    setSort((prev) =>
      prev?.key === key ? { key, dir: prev.dir === 'ascending' ? 'descending' : 'ascending' } : { key, dir: 'ascending' },
    );

  const header = (key: SortKey, label: string, className: string) => (
    <th scope="col" className={className} aria-sort={sort?.key === key ? sort.dir : undefined}>
      <button type="button" className="sort-button" onClick={() => toggle(key)}>
        {label}
        <span className="sort-button__icon" aria-hidden="true">
          {sort?.key === key ? (sort.dir === 'ascending' ? '▲' : '▼') : '↕'}
        </span>
      </button>
    </th>
  );

  return (
    <>
      <div className="table-toolbar">
        <label htmlFor={searchId} className="visually-hidden">
          Search contacts
        </label>
        <input
          id={searchId}
          className="input table-toolbar__search"
          type="search"
          placeholder="Search name, email or ID"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
        />
        {onSkipTable && (
          <button type="button" className="btn btn--secondary skip-inline" onClick={onSkipTable}>
            Skip to the end of the table
          </button>
        )}
        {/* Phones hide the column headers; this is their sort control. */}
        <span className="table-toolbar__sort">
          <label htmlFor={sortId}>Sort</label>
          <select
            id={sortId}
            className="input"
            value={sort ? `${sort.key}:${sort.dir}` : ''}
            onChange={(event) => {
              const [key, dir] = event.target.value.split(':') as [SortKey, SortDir];
              setSort(event.target.value ? { key, dir } : null);
            }}
          >
            <option value="">As HubSpot lists them</option>
            <option value="name:ascending">Name A–Z</option>
            <option value="name:descending">Name Z–A</option>
            <option value="email:ascending">Email A–Z</option>
            <option value="email:descending">Email Z–A</option>
            <option value="id:ascending">ID</option>
          </select>
        </span>
        <button
          type="button"
          className="btn btn--secondary table-toolbar__export"
          onClick={() => download('hubspot-contacts.csv', contactsCsv(rows))}
          disabled={rows.length === 0}
        >
          Download CSV
        </button>
        <span className="muted table-toolbar__count" role="status" aria-live="polite">
          {query.trim()
            ? `${rows.length} of ${items.length} loaded contacts match`
            : `${items.length} contact${items.length === 1 ? '' : 's'} loaded`}
        </span>
      </div>
      {rows.length === 0 ? (
        <p className="muted table-empty">No loaded contact matches “{query.trim()}”.</p>
      ) : (
        <div className="table-wrap" role="region" aria-label="Contacts table" tabIndex={0}>
          <table className="table">
            <thead>
              <tr>
                {header('name', 'Name', 'col-name')}
                {header('email', 'Email', 'col-email')}
                {header('id', 'ID', 'col-id')}
                <th scope="col" className="col-link">
                  <span className="visually-hidden">Link</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((item) => {
                const name = contactName(item);
                const email = contactEmail(item);
                return (
                  <tr key={item.id}>
                    <td data-label="Name" className="table__name">
                      <span className="contact-name">
                        <span className="avatar" aria-hidden="true">
                          {initials(item)}
                        </span>
                        <span className="truncate" title={name || undefined}>
                          {name || <span className="muted">No name</span>}
                        </span>
                      </span>
                    </td>
                    <td data-label="Email" className="table__email">
                      {email || <span className="muted">—</span>}
                    </td>
                    <td data-label="ID" className="table__id">
                      <span className="truncate" title={item.id}>
                        {item.id}
                      </span>
                    </td>
                    <td className="table__link">
                      {item.url && (
                        <a href={item.url} target="_blank" rel="noopener noreferrer" className="quiet-link">
                          Open
                          <span className="visually-hidden"> {name || item.id} in HubSpot (opens in a new tab)</span>
                          <span aria-hidden="true"> ↗</span>
                        </a>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
