import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useDeferredValue, useId, useMemo, useRef, useState, type MouseEvent, type ReactNode } from 'react';
import type { Column, IntegrationItem } from '../api/models';
import { searchItems } from '../dataset/model';
import { cellValue, itemTitle } from '../items';
import { count, formatNumber } from '../nouns';

export { itemsCsv } from '../csv';
export { cellValue, itemTitle } from '../items';

const isDateKey = (key: string) => key.endsWith('_at');
const isEmailKey = (key: string) => /e-?mail/i.test(key);

const DATE_FORMAT = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** What a cell shows: dates in the reader's words, everything else as it is. */
function display(key: string, value: string): string {
  if (!value || !isDateKey(key)) return value;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : DATE_FORMAT.format(date);
}

type SortDir = 'ascending' | 'descending';

const COLLATOR = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/**
 * Up to this many rows are all in the page (find in page, print, and assistive technology see
 * every row); more are virtualized: only the rows in view (and a few around) exist, so 100,000
 * rows scroll as smoothly as 100.
 */
export const VIRTUALIZE_AFTER = 500;
/** A row's height before it is measured (one line of text: 42 px on a wide screen); real heights are measured. */
const ROW_ESTIMATE_PX = 42;
const estimateRow = () => ROW_ESTIMATE_PX;
/** Rows rendered beyond each edge of the view, so a fast scroll or Tab does not land on a gap. */
const OVERSCAN = 12;

function cellClass(key: string): string {
  if (key === 'title') return 'table__name';
  if (key === 'id') return 'table__id';
  if (isEmailKey(key)) return 'table__email';
  if (isDateKey(key)) return 'table__text table__date';
  return 'table__text';
}

/**
 * The columns worth showing: a column empty in every row (e.g. a "Base" no record has) is left
 * out; when every column is empty, all stay (the rows still need their cells).
 */
export function filledColumns(items: readonly IntegrationItem[], columns: readonly Column[]): readonly Column[] {
  const filled = columns.filter((c) => items.some((item) => cellValue(item, c.key) !== ''));
  return filled.length > 0 ? filled : columns;
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

/** What the count above the table says: "100 of 12,345 contacts", or "100 contacts loaded" without a total. */
export function tableCaption(loaded: number, total: number | null, nouns: ItemNouns): string {
  if (total === null) return `${count(loaded, nouns.one)} loaded`;
  return `${formatNumber(loaded)} of ${formatNumber(total)} ${total === 1 ? nouns.one : nouns.many}`;
}

/** Filtered by the search, sorted by the chosen column (empty values last, whatever the direction). */
function visibleRows(
  items: IntegrationItem[],
  columns: readonly Column[],
  query: string,
  sort: { key: string; dir: SortDir } | null,
): readonly IntegrationItem[] {
  const filtered = searchItems(items, columns, query);
  if (!sort) return filtered;
  const sign = sort.dir === 'ascending' ? 1 : -1;
  // Each value read once, not once per comparison: that matters at 100,000 rows.
  const keyed = filtered.map((item) => ({ item, value: cellValue(item, sort.key) }));
  keyed.sort((a, b) => {
    if (!a.value !== !b.value) return a.value ? -1 : 1;
    return sign * COLLATOR.compare(a.value, b.value);
  });
  return keyed.map((k) => k.item);
}

interface RowProps {
  item: IntegrationItem;
  columns: readonly Column[];
  nouns: ItemNouns;
  providerName: string;
  hasTitle: boolean;
  /** Virtualized: the row's place in the whole table (the header row is 1). */
  rowIndex?: number;
  /** Virtualized: the list position, and the ref that measures the row's real height. */
  index?: number;
  measure?: (element: HTMLTableRowElement | null) => void;
  /** Changed a moment ago (a live event): a number that differs for each new change, so the highlight restarts. */
  changed?: number;
  /** Opens the record's details (its first cell is then a button). */
  onOpen?: (item: IntegrationItem, trigger: HTMLElement) => void;
  /** The Related cell's content, when related records are shown. */
  related?: (item: IntegrationItem) => ReactNode;
}

/** A click anywhere on a row (not on its link or a selection of its text) opens it, as its first cell's button does. */
function openFromRow(event: MouseEvent<HTMLTableRowElement>) {
  const target = event.target as HTMLElement;
  if (target.closest('a, button, input, select, textarea')) return;
  if (window.getSelection()?.toString()) return;
  event.currentTarget.querySelector<HTMLButtonElement>('button.row-open')?.click();
}

/** One row; memoized, so scrolling a virtualized table renders only the rows that come into view. */
const ItemRow = memo(function ItemRow({
  item,
  columns,
  nouns,
  providerName,
  hasTitle,
  rowIndex,
  index,
  measure,
  changed,
  onOpen,
  related,
}: RowProps) {
  const name = itemTitle(item);
  // Two animation names, alternating, so a second change of the same row highlights it again.
  // The record opens from its name (else from its first cell).
  const openAt = Math.max(0, columns.findIndex((c) => c.key === 'title'));
  const highlight = changed === undefined ? undefined : `row--changed row--changed-${changed % 2}`;
  return (
    <tr
      ref={measure}
      data-index={index}
      aria-rowindex={rowIndex}
      className={[highlight, onOpen ? 'row--openable' : undefined].filter(Boolean).join(' ') || undefined}
      data-changed={changed === undefined ? undefined : 'true'}
      onClick={onOpen ? openFromRow : undefined}
    >
      {columns.map((c, at) => {
        const value = cellValue(item, c.key);
        // The name's cell (else the first) opens the record's details.
        const opener = (content: ReactNode) =>
          onOpen && at === openAt ? (
            <button
              type="button"
              className="row-open"
              aria-haspopup="dialog"
              data-record-id={item.id}
              onClick={(event) => onOpen(item, event.currentTarget)}
            >
              {content}
            </button>
          ) : (
            content
          );
        if (c.key === 'title') {
          return (
            <td key={c.key} data-label={c.label} className="table__name">
              {opener(
                <span className="truncate" title={name || undefined}>
                  {name || <span className="muted">No name</span>}
                </span>,
              )}
            </td>
          );
        }
        const shown = display(c.key, value);
        if (onOpen && at === openAt) {
          return (
            <td key={c.key} data-label={c.label} className={cellClass(c.key)}>
              {opener(<span className="truncate">{shown || `${nouns.one} ${item.id}`}</span>)}
            </td>
          );
        }
        return (
          <td key={c.key} data-label={c.label} className={cellClass(c.key)}>
            {!shown ? (
              <span className="muted">—</span>
            ) : isDateKey(c.key) ? (
              // Dates are short: shown whole (never cut), the stored value on hover.
              <span className="date" title={value}>
                {shown}
              </span>
            ) : (
              // One line, cut with an ellipsis; the whole value (a long e-mail too) on hover.
              <span className="truncate" title={value}>
                {shown}
              </span>
            )}
          </td>
        );
      })}
      {related && (
        <td data-label="Related" className="table__related">
          {related(item)}
        </td>
      )}
      <td className="table__link">
        {changed !== undefined && <span className="visually-hidden">Changed just now. </span>}
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
});

/** Stands in for the rows above or below the rendered ones, so the scroll bar covers every row. */
function Spacer({ height, span }: { height: number; span: number }) {
  if (height <= 0) return null;
  return (
    <tr className="table__spacer" aria-hidden="true">
      <td colSpan={span} style={{ height }} />
    </tr>
  );
}

/**
 * What the table holds: `dataset` — every synced record; `all` — a first page that is all there
 * is; `preview` — the first page of more (before the first sync).
 */
export type TableScope = 'dataset' | 'all' | 'preview';

/** The words over the table: how many rows, or how many match the search. */
export function tableCount(scope: TableScope, shown: number, matching: number | null, total: number | null, nouns: ItemNouns): string {
  if (matching === null) return scope === 'dataset' ? count(shown, nouns.one) : tableCaption(shown, total, nouns);
  if (scope === 'preview') return `${formatNumber(matching)} of the first ${formatNumber(shown)} ${nouns.many} match`;
  return `${formatNumber(matching)} of ${count(shown, nouns.one)} match`;
}

/**
 * A provider's items with the columns it declares: search over every row it holds, sortable
 * columns (aria-sort; a Sort menu on phones), Export CSV of what is shown, a sticky header inside a
 * bounded scroll area, long values cut with an ellipsis (full value on hover). Past
 * `VIRTUALIZE_AFTER` rows only those in view are rendered; the table then says how many rows it
 * has and where each rendered one is (`aria-rowcount`, `aria-rowindex`), and the scroll area
 * scrolls by keyboard as before (arrows, Page Up/Down, Home/End once it has focus).
 *
 * The search may be held by the section (`query`, `onQueryChange`), which can send it to the
 * provider: the rows are then the provider's matches (`serverMatched`), shown as they come —
 * the provider matches fields the table may not show, so they are not filtered again here.
 */
export function ItemsTable({
  items,
  columns: declared,
  nouns,
  providerName,
  scope = 'all',
  total = null,
  onExport,
  onSkipTable,
  highlighted,
  query: heldQuery,
  onQueryChange,
  caption,
  serverMatched = null,
  keepEmptyColumns = false,
  onOpen,
  related,
  tools,
}: {
  items: IntegrationItem[];
  columns: readonly Column[];
  nouns: ItemNouns;
  providerName: string;
  scope?: TableScope;
  /** How many the provider has in all, when it can tell: the count reads "100 of 12,345 contacts". */
  total?: number | null;
  /** Export CSV of the rows as shown (searched and sorted); no button without it. */
  onExport?: (rows: readonly IntegrationItem[]) => void;
  /** Moves focus past the table (to Load more), so keyboard users need not Tab through every row. */
  onSkipTable?: () => void;
  /** Rows changed a moment ago (live events), by id, with their change stamp: highlighted while listed. */
  highlighted?: ReadonlyMap<string, number>;
  /** The search, held by the section (absent: the table holds it). */
  query?: string;
  onQueryChange?: (query: string) => void;
  /** Words for the count over the table instead of its own ("Searching all contacts in {Name}…"). */
  caption?: string;
  /** The rows are the provider's matches for the search: not filtered again; `empty` says there are none. */
  serverMatched?: { empty: string } | null;
  /** The columns were chosen: show them even when every row is empty in one. */
  keepEmptyColumns?: boolean;
  /** Opens a record's details: its first cell becomes a button, and a click on its row opens it too. */
  onOpen?: (item: IntegrationItem, trigger: HTMLElement) => void;
  /** A Related column (before the link) with this content per row. */
  related?: (item: IntegrationItem) => ReactNode;
  /** More controls in the toolbar (the column picker). */
  tools?: ReactNode;
}) {
  const [ownQuery, setOwnQuery] = useState('');
  const query = heldQuery ?? ownQuery;
  const setQuery = onQueryChange ?? setOwnQuery;
  const columns = useMemo(
    () => (keepEmptyColumns ? declared : filledColumns(items, declared)),
    [items, declared, keepEmptyColumns],
  );
  const [sort, setSort] = useState<{ key: string; dir: SortDir } | null>(null);
  const searchId = useId();
  const sortId = useId();
  const hasTitle = columns.some((c) => c.key === 'title');
  const scrollRef = useRef<HTMLDivElement>(null);

  // Typing stays responsive while a large table is filtered behind it.
  const deferredQuery = useDeferredValue(query);
  const filterBy = serverMatched ? '' : deferredQuery;
  const rows = useMemo(() => visibleRows(items, columns, filterBy, sort), [items, columns, filterBy, sort]);

  const virtualize = rows.length > VIRTUALIZE_AFTER;
  const rowKey = useCallback((index: number) => rows[index]?.id ?? index, [rows]);
  // The React Compiler (not used here) would skip this component: the virtualizer's answers
  // change every render on purpose. The one thing handed to a memoized child, measureElement,
  // is a stable method of the instance.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: virtualize ? rows.length : 0,
    enabled: virtualize,
    getScrollElement: () => scrollRef.current,
    estimateSize: estimateRow,
    getItemKey: rowKey,
    overscan: OVERSCAN,
    useFlushSync: false,
  });
  const virtualRows = virtualize ? virtualizer.getVirtualItems() : null;
  const firstRow = virtualRows?.[0];
  const lastRow = virtualRows?.[virtualRows.length - 1];
  const padTop = firstRow ? firstRow.start : 0;
  const padBottom = virtualRows ? virtualizer.getTotalSize() - (lastRow ? lastRow.end : 0) : 0;

  const toggle = (key: string) =>
    setSort((prev) =>
      prev?.key === key ? { key, dir: prev.dir === 'ascending' ? 'descending' : 'ascending' } : { key, dir: 'ascending' },
    );

  const searchHint = columns.map((c) => c.label).join(', ');
  const span = columns.length + (related ? 2 : 1);
  const rowProps = { columns, nouns, providerName, hasTitle, onOpen, related };

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
        {onExport && (
          <button
            type="button"
            className="btn btn--secondary table-toolbar__export"
            onClick={() => onExport(rows)}
            disabled={rows.length === 0}
          >
            Export CSV
          </button>
        )}
        {tools}
        <span className="muted table-toolbar__count" role="status" aria-live="polite">
          {caption ?? tableCount(scope, items.length, deferredQuery.trim() ? rows.length : null, total, nouns)}
        </span>
      </div>
      {rows.length === 0 ? (
        <p className="muted table-empty">
          {serverMatched
            ? serverMatched.empty
            : scope === 'preview'
            ? `None of the first ${formatNumber(items.length)} ${nouns.many} matches “${deferredQuery.trim()}”. Sync all ${nouns.many} to search every one.`
            : `No ${nouns.one} matches “${deferredQuery.trim()}”.`}
        </p>
      ) : (
        <div
          ref={scrollRef}
          className="table-wrap"
          role="region"
          aria-label={`${providerName} ${nouns.many} table`}
          tabIndex={0}
        >
          <table className={keepEmptyColumns || related ? 'table table--chosen' : 'table'} aria-rowcount={virtualize ? rows.length + 1 : undefined}>
            <thead>
              <tr aria-rowindex={virtualize ? 1 : undefined}>
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
                {related && (
                  <th scope="col" className="col-related">
                    Related
                  </th>
                )}
                <th scope="col" className="col-link">
                  <span className="visually-hidden">Link</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {virtualRows ? (
                <>
                  <Spacer height={padTop} span={span} />
                  {virtualRows.map((v) => {
                    const item = rows[v.index];
                    if (!item) return null;
                    return (
                      <ItemRow
                        key={v.key}
                        item={item}
                        {...rowProps}
                        rowIndex={v.index + 2}
                        index={v.index}
                        measure={virtualizer.measureElement}
                        changed={highlighted?.get(item.id)}
                      />
                    );
                  })}
                  <Spacer height={padBottom} span={span} />
                </>
              ) : (
                rows.map((item) => <ItemRow key={item.id} item={item} {...rowProps} changed={highlighted?.get(item.id)} />)
              )}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
