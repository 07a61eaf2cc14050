/**
 * One record, every property it carries, in a side panel: field labels from discovery (else the
 * key made readable), enumeration values by their labels, dates in the reader's words, empty
 * properties apart and de-emphasized, and a filter over labels, names and values. A modal dialog:
 * focus moves in (to Close), stays in (Tab wraps), Escape or Close ends it, and the opener takes
 * focus back (the caller's `onClose`).
 *
 * `item` is what to show: the row it was opened from, then the full record once the caller has
 * read it (`lookup`: a quiet line while it loads; a record gone at the provider, or a failure to
 * read it, said inside the dialog while the row's properties stay).
 */
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { ApiError } from '../api/client';
import type { Field, IntegrationItem } from '../api/models';
import { humanLabel } from '../csv';
import { formatValue, isEmptyValue } from '../fieldValue';
import { itemTitle } from '../items';
import type { RelatedChip } from '../related';
import { ErrorNotice, errorTitle } from './ErrorNotice';
import type { ItemNouns } from './ItemsTable';
import { RelatedChips } from './RelatedChips';
import { trapTab } from './trapTab';

/** Reading the full record: under way, gone at the provider, or failed (with a retry). */
export interface RecordLookup {
  loading: boolean;
  gone: boolean;
  error: ApiError | null;
  retry: () => void;
}

interface Entry {
  key: string;
  label: string;
  value: string;
}

const RECORD_FIELDS: readonly [string, string][] = [
  ['id', 'ID'],
  ['item_type', 'Type'],
  ['created_at', 'Created'],
  ['updated_at', 'Last modified'],
];

const COLLATOR = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

/** The record's entries: its own fields, then each property, labelled and shown as people read them. */
export function recordEntries(item: IntegrationItem, fields: readonly Field[] | null): Entry[] {
  const byName = new Map((fields ?? []).map((f) => [f.name, f]));
  const own = RECORD_FIELDS.map(([key, label]) => ({
    key,
    label,
    value: formatValue((item as unknown as Record<string, unknown>)[key], undefined, key),
  }));
  const properties = Object.entries(item.properties)
    .map(([key, raw]) => {
      const field = byName.get(key);
      return { key, label: field?.label ?? humanLabel(key), value: isEmptyValue(raw) ? '' : formatValue(raw, field, key) };
    })
    .sort((a, b) => COLLATOR.compare(a.label, b.label));
  return [...own, ...properties];
}

/** A kind with more related records than this starts folded in the drawer ("Deals (60)"). */
export const OPEN_CHIPS = 12;

/** The chips kind by kind, in their order. */
function byKind(chips: readonly RelatedChip[]): [string, RelatedChip[]][] {
  const groups = new Map<string, RelatedChip[]>();
  for (const chip of chips) groups.set(chip.kind, [...(groups.get(chip.kind) ?? []), chip]);
  return [...groups.entries()];
}

function matches(entry: Entry, needle: string): boolean {
  return [entry.label, entry.key, entry.value].some((text) => text.toLowerCase().includes(needle));
}

function Entries({ entries, empty = false }: { entries: readonly Entry[]; empty?: boolean }) {
  return (
    <dl className={empty ? 'record__list record__list--empty' : 'record__list'}>
      {entries.map((e) => (
        <div key={e.key} className="record__entry">
          <dt title={e.key}>{e.label}</dt>
          <dd>{empty ? <span className="muted">No value</span> : e.value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function RecordDrawer({
  item,
  fields,
  nouns,
  providerName,
  title = '',
  chips = null,
  kindName = humanLabel,
  lookup = null,
  onClose,
}: {
  item: IntegrationItem;
  fields: readonly Field[] | null;
  nouns: ItemNouns;
  providerName: string;
  /**
   * The dialog's name, kept while the full record arrives (the row's title: what was clicked,
   * which a full record may word otherwise); empty: the record's own title.
   */
  title?: string;
  /** Related records (null: not asked for). */
  chips?: readonly RelatedChip[] | null;
  /** What the records of a related kind are called ("Companies"). */
  kindName?: (kind: string) => string;
  /** Reading the full record (null: not read; the row is all there is). */
  lookup?: RecordLookup | null;
  onClose: () => void;
}) {
  const titleId = useId();
  const filterId = useId();
  const relatedId = useId();
  const dialogRef = useRef<HTMLDivElement>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  const [filter, setFilter] = useState('');
  const name = title || itemTitle(item) || `${nouns.one} ${item.id}`;

  useEffect(() => {
    closeRef.current?.focus();
  }, []);

  const entries = useMemo(() => recordEntries(item, fields), [item, fields]);
  const needle = filter.trim().toLowerCase();
  const shown = needle ? entries.filter((e) => matches(e, needle)) : entries;
  const filled = shown.filter((e) => e.value !== '');
  const empty = shown.filter((e) => e.value === '');

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      onClose();
      return;
    }
    trapTab(event, dialogRef.current, 'button:not([disabled]), input, a[href], summary, [tabindex="0"]');
  };

  return (
    <div className="drawer-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div ref={dialogRef} className="drawer" role="dialog" aria-modal="true" aria-labelledby={titleId} onKeyDown={onKeyDown}>
        <div className="drawer__head">
          <h2 id={titleId} className="drawer__title">
            {name}
          </h2>
          <button ref={closeRef} type="button" className="btn btn--secondary" onClick={onClose}>
            Close
          </button>
        </div>
        {item.url && (
          <p className="drawer__link">
            <a href={item.url} target="_blank" rel="noopener noreferrer">
              {`Open in ${providerName}`}
              <span className="visually-hidden"> (opens in a new tab)</span>
              <span aria-hidden="true"> ↗</span>
            </a>
          </p>
        )}
        {lookup?.gone && (
          <div className="notice notice--warning drawer__notice" role="alert">
            <h3 className="notice__title">{`This record no longer exists at ${providerName}`}</h3>
            <p className="notice__body">{`It may have been deleted or archived. What is shown is what was listed here before.`}</p>
          </div>
        )}
        {lookup?.error && (
          <div className="drawer__notice">
            <ErrorNotice
              title={errorTitle(lookup.error, 'load every property', providerName)}
              error={lookup.error}
              provider={providerName}
              onRetry={lookup.retry}
            />
          </div>
        )}
        <label htmlFor={filterId} className="drawer__filter-label">
          Filter properties
        </label>
        <input
          id={filterId}
          className="input drawer__filter"
          type="search"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
          placeholder="Label, name or value"
        />
        <p className="muted drawer__count" role="status" aria-live="polite">
          {needle
            ? `${shown.length} of ${entries.length} properties match`
            : `${filled.length} properties with a value, ${empty.length} empty`}
          {lookup?.loading && !needle ? ` · Loading every property from ${providerName}…` : ''}
        </p>
        <div className="drawer__body" role="region" aria-label="Record details" tabIndex={0}>
          {chips && (
            <section className="drawer__related" aria-labelledby={relatedId}>
              <h3 id={relatedId} className="drawer__subtitle drawer__subtitle--first">
                {`Related (${chips.length})`}
              </h3>
              {chips.length === 0 ? (
                <RelatedChips chips={chips} />
              ) : (
                byKind(chips).map(([kind, of]) => (
                  <details key={kind} className="drawer__kind" open={of.length <= OPEN_CHIPS}>
                    <summary>{`${kindName(kind)} (${of.length})`}</summary>
                    <RelatedChips chips={of} />
                  </details>
                ))
              )}
            </section>
          )}
          {filled.length > 0 && (
            <>
              {chips && <h3 className="drawer__subtitle">Properties</h3>}
              <Entries entries={filled} />
            </>
          )}
          {empty.length > 0 && (
            <>
              <h3 className="drawer__subtitle muted">{`Empty (${empty.length})`}</h3>
              <Entries entries={empty} empty />
            </>
          )}
          {shown.length === 0 && <p className="muted">{`No property matches “${filter.trim()}”.`}</p>}
        </div>
      </div>
    </div>
  );
}
