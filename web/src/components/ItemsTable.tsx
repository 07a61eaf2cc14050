import { useId, useMemo, useState } from 'react';
import type { Column, IntegrationItem } from '../api/models';

function text(value: unknown): string {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

/** The name to show: the title, else first + last name properties; empty when there is none. */
export function itemTitle(item: IntegrationItem): string {
  const fromParts = [text(item.properties.firstname), text(item.properties.lastname)].filter(Boolean).join(' ');
  return text(item.title) || fromParts;
}

const ITEM_FIELDS = new Set(['id', 'title', 'item_type', 'parent_id', 'url', 'created_at', 'updated_at']);

/** A column's raw value: an `IntegrationItem` field, else the `properties` entry of that name. */
export function cellValue(item: IntegrationItem, key: string): string {
  if (key === 'title') return itemTitle(item);
  if (ITEM_FIELDS.has(key)) return text((item as unknown as Record<string, unknown>)[key]);
  return text(item.properties[key]);
}

const isDateKey = (key: string) => key.endsWith('_at');
const isEmailKey = (key: string) => /e-?mail/i.test(key);

const DATE_FORMAT = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** What a cell shows: dates in the reader's words, everything else as it is. */
function display(key: string, value: string): string {
  if (!value || !isDateKey(key)) return value;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : DATE_FORMAT.format(date);
}

/** Up to two letters for the avatar: from the title's words, else an e-mail, else "?". */
export function initials(item: IntegrationItem): string {
  const words = itemTitle(item)
    .split(/\s+/)
    .map((word) => word.replace(/[^\p{L}\p{N}]/gu, ''))
    .filter(Boolean);
  if (words.length > 0) {
    const first = words[0]?.charAt(0) ?? '';
    const last = words.length > 1 ? (words[words.length - 1]?.charAt(0) ?? '') : '';
    return (first + last).toUpperCase();
  }
  const email = text(item.properties.email).replace(/[^\p{L}\p{N}]/gu, '');
  return email ? email.charAt(0).toUpperCase() : '?';
}

/** RFC 4180 CSV of the rows (what is shown: searched and sorted), one column per declared column, then the link. */
export function itemsCsv(items: readonly IntegrationItem[], columns: readonly Column[]): string {
  const cell = (value: string) => {
    // A leading = + - @ would be a formula in a spreadsheet: quote it as text.
    const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const lines = [
    [...columns.map((c) => c.key), 'url'],
    ...items.map((item) => [...columns.map((c) => cellValue(item, c.key)), item.url ?? '']),
  ];
  return lines.map((line) => line.map(cell).join(',')).join('\r\n') + '\r\n';
}

function download(filename: string, body: string): void {
  const url = URL.createObjectURL(new Blob([body], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

type SortDir = 'ascending' | 'descending';

const COLLATOR = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

function cellClass(key: string): string {
  if (key === 'title') return 'table__name';
  if (key === 'id') return 'table__id';
  if (isEmailKey(key)) return 'table__email';
  return 'table__text';
}

function colClass(key: string): string {
  if (key === 'title') return 'col-name';
  if (key === 'id') return 'col-id';
  if (isEmailKey(key)) return 'col-email';
  return 'col-text';
}

export interface ItemNouns {
  /** "contact" */
  one: string;
  /** "contacts" */
  many: string;
}

/**
 * A provider's items with the columns it declares: search over the loaded rows, sortable
 * columns (aria-sort; a Sort menu on phones), CSV of what is shown, a sticky header inside a
 * bounded scroll area, long values cut with an ellipsis (full value on hover).
 */
export function ItemsTable({
  items,
  columns,
  nouns,
  providerName,
  filePrefix,
  onSkipTable,
}: {
  items: IntegrationItem[];
  columns: readonly Column[];
  nouns: ItemNouns;
  providerName: string;
  /** Start of the CSV file's name (`{provider}-{nouns}`). */
  filePrefix: string;
  /** Moves focus past the table (to Load more), so keyboard users need not Tab through every row. */
  onSkipTable?: () => void;
}) {
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<{ key: string; dir: SortDir } | null>(null);
  const searchId = useId();
  const sortId = useId();
  const hasTitle = columns.some((c) => c.key === 'title');

  const rows = useMemo(() => {
    const needle = query.trim().toLowerCase();
    const filtered = needle
      ? items.filter((item) => columns.some((c) => cellValue(item, c.key).toLowerCase().includes(needle)))
      : items;
    if (!sort) return filtered;
    const sign = sort.dir === 'ascending' ? 1 : -1;
    return [...filtered].sort((a, b) => {
      const av = cellValue(a, sort.key);
      const bv = cellValue(b, sort.key);
      // Empty values last, whatever the direction.
      if (!av !== !bv) return av ? -1 : 1;
      return sign * COLLATOR.compare(av, bv);
    });
  }, [items, columns, query, sort]);

  const toggle = (key: string) =>
    setSort((prev) =>
      prev?.key === key ? { key, dir: prev.dir === 'ascending' ? 'descending' : 'ascending' } : { key, dir: 'ascending' },
    );

  const searchHint = columns.map((c) => c.label).join(', ');
  const count = (n: number) => `${n} ${n === 1 ? nouns.one : nouns.many}`;

  return (
    <>
      <div className="table-toolbar">
        <label htmlFor={searchId} className="visually-hidden">
          {`Search ${nouns.many}`}
        </label>
        <input
          id={searchId}
          className="input table-toolbar__search"
          type="search"
          placeholder={`Search ${searchHint}`}
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
            value={sort ? `${sort.dir}:${sort.key}` : ''}
            onChange={(event) => {
              const value = event.target.value;
              const at = value.indexOf(':');
              setSort(value ? { dir: value.slice(0, at) as SortDir, key: value.slice(at + 1) } : null);
            }}
          >
            <option value="">{`As ${providerName} lists them`}</option>
            {columns.flatMap((c) => [
              <option key={`a-${c.key}`} value={`ascending:${c.key}`}>
                {isDateKey(c.key) ? `${c.label}, oldest first` : `${c.label} A–Z`}
              </option>,
              <option key={`d-${c.key}`} value={`descending:${c.key}`}>
                {isDateKey(c.key) ? `${c.label}, newest first` : `${c.label} Z–A`}
              </option>,
            ])}
          </select>
        </span>
        <button
          type="button"
          className="btn btn--secondary table-toolbar__export"
          onClick={() => download(`${filePrefix}.csv`, itemsCsv(rows, columns))}
          disabled={rows.length === 0}
        >
          Download CSV
        </button>
        <span className="muted table-toolbar__count" role="status" aria-live="polite">
          {query.trim() ? `${rows.length} of ${items.length} loaded ${nouns.many} match` : `${count(items.length)} loaded`}
        </span>
      </div>
      {rows.length === 0 ? (
        <p className="muted table-empty">{`No loaded ${nouns.one} matches “${query.trim()}”.`}</p>
      ) : (
        <div className="table-wrap" role="region" aria-label={`${providerName} ${nouns.many} table`} tabIndex={0}>
          <table className="table">
            <thead>
              <tr>
                {columns.map((c) => (
                  <th
                    key={c.key}
                    scope="col"
                    className={colClass(c.key)}
                    aria-sort={sort?.key === c.key ? sort.dir : undefined}
                  >
                    <button type="button" className="sort-button" onClick={() => toggle(c.key)}>
                      {c.label}
                      <span className="sort-button__icon" aria-hidden="true">
                        {sort?.key === c.key ? (sort.dir === 'ascending' ? '▲' : '▼') : '↕'}
                      </span>
                    </button>
                  </th>
                ))}
                <th scope="col" className="col-link">
                  <span className="visually-hidden">Link</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((item) => {
                const name = itemTitle(item);
                return (
                  <tr key={item.id}>
                    {columns.map((c) => {
                      const value = cellValue(item, c.key);
                      if (c.key === 'title') {
                        return (
                          <td key={c.key} data-label={c.label} className="table__name">
                            <span className="contact-name">
                              <span className="avatar" aria-hidden="true">
                                {initials(item)}
                              </span>
                              <span className="truncate" title={name || undefined}>
                                {name || <span className="muted">No name</span>}
                              </span>
                            </span>
                          </td>
                        );
                      }
                      const shown = display(c.key, value);
                      return (
                        <td key={c.key} data-label={c.label} className={cellClass(c.key)}>
                          {!shown ? (
                            <span className="muted">—</span>
                          ) : isEmailKey(c.key) ? (
                            shown
                          ) : (
                            <span className="truncate" title={value}>
                              {shown}
                            </span>
                          )}
                        </td>
                      );
                    })}
                    <td className="table__link">
                      {item.url && (
                        <a href={item.url} target="_blank" rel="noopener noreferrer" className="quiet-link">
                          Open
                          <span className="visually-hidden">
                            {` ${name || (hasTitle ? item.id : `${nouns.one} ${item.id}`)} in ${providerName} (opens in a new tab)`}
                          </span>
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
