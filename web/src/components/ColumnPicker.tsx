/**
 * "Columns": which fields the table shows, from every field discovery found — searchable,
 * grouped as the provider groups them, the record's own fields first. A disclosure (the button
 * says whether it is open); Escape closes it and gives focus back to the button. Each change
 * applies at once and is remembered for this provider and kind; "Reset to defaults" goes back to
 * the provider's columns. "Related" adds each record's related records as chips.
 */
import { useDeferredValue, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { Column, Field } from '../api/models';
import { humanLabel } from '../csv';
import { RECORD_COLUMNS, type ColumnsState } from '../hooks/useColumns';
import { formatNumber } from '../nouns';

interface Choice {
  key: string;
  label: string;
}

interface Group {
  name: string;
  choices: Choice[];
}

/** The fields to choose from, in groups: the record's own fields (and declared columns discovery lacks) first. */
export function columnGroups(fields: readonly Field[], declared: readonly Column[]): Group[] {
  const names = new Set(fields.map((f) => f.name));
  const record: Choice[] = [...RECORD_COLUMNS, ...declared.filter((c) => !names.has(c.key) && !RECORD_COLUMNS.some((r) => r.key === c.key))];
  const groups = new Map<string, Choice[]>();
  for (const f of fields) {
    const group = f.group ?? '';
    const list = groups.get(group) ?? [];
    list.push({ key: f.name, label: f.label });
    groups.set(group, list);
  }
  return [
    { name: 'Record', choices: record },
    ...[...groups].map(([name, choices]) => ({ name: name ? humanLabel(name) : 'Other', choices })),
  ];
}

export function ColumnPicker({
  state,
  declared,
  relatedLabel,
}: {
  state: ColumnsState;
  /** The provider's own columns: the defaults. */
  declared: readonly Column[];
  /** The related kinds in words ("companies and deals"). */
  relatedLabel: string;
}) {
  const panelId = useId();
  const headingId = useId();
  const searchId = useId();
  const buttonRef = useRef<HTMLButtonElement>(null);
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query);
  const { fields, columns, related, relatedKinds, setKeys, setRelated, reset } = state;
  const groups = useMemo(() => (fields ? columnGroups(fields, declared) : []), [fields, declared]);
  if (!fields) return null;

  const chosen = new Set(columns.map((c) => c.key));
  const needle = deferred.trim().toLowerCase();
  const shown = groups
    .map((g) => ({
      ...g,
      choices: needle
        ? g.choices.filter((c) => c.label.toLowerCase().includes(needle) || c.key.toLowerCase().includes(needle))
        : g.choices,
    }))
    .filter((g) => g.choices.length > 0);
  const matching = shown.reduce((n, g) => n + g.choices.length, 0);

  const toggle = (key: string, on: boolean) => {
    const keys = columns.map((c) => c.key);
    setKeys(on ? [...keys.filter((k) => k !== key), key] : keys.filter((k) => k !== key));
  };
  const close = () => {
    setOpen(false);
    buttonRef.current?.focus();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      close();
    }
  };

  return (
    <div className="column-picker">
      <button
        ref={buttonRef}
        type="button"
        className="btn btn--secondary"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((o) => !o)}
      >
        {`Columns (${columns.length})`}
      </button>
      <div id={panelId} className="column-picker__panel" role="group" aria-labelledby={headingId} hidden={!open} onKeyDown={onKeyDown}>
        {open && (
          <>
            <div className="column-picker__head">
              <h3 id={headingId} className="column-picker__title">
                Choose columns
              </h3>
              <button type="button" className="btn btn--secondary" onClick={reset}>
                Reset to defaults
              </button>
              <button type="button" className="btn btn--secondary" onClick={close}>
                Done
              </button>
            </div>
            {relatedKinds.length > 0 && (
              <label className="column-picker__related">
                <input type="checkbox" checked={related} onChange={(event) => setRelated(event.target.checked)} />
                {` Related (${relatedLabel})`}
              </label>
            )}
            <label htmlFor={searchId} className="column-picker__search-label">
              Search fields
            </label>
            <input
              id={searchId}
              className="input"
              type="search"
              value={query}
              onChange={(event) => setQuery(event.target.value)}
              placeholder="Label or name"
            />
            <p className="muted column-picker__count" role="status" aria-live="polite">
              {needle
                ? matching === 1
                  ? '1 field matches'
                  : `${formatNumber(matching)} fields match`
                : `${formatNumber(columns.length)} chosen of ${formatNumber(matching)} fields`}
            </p>
            <div className="column-picker__groups">
              {shown.map((g) => (
                <fieldset key={g.name} className="column-picker__group">
                  <legend>{g.name}</legend>
                  {g.choices.map((c) => (
                    <label key={c.key} className="column-picker__choice">
                      <input type="checkbox" checked={chosen.has(c.key)} onChange={(event) => toggle(c.key, event.target.checked)} />
                      {` ${c.label}`}
                      {c.label !== c.key && (
                        <span className="column-picker__name" aria-hidden="true">
                          {c.key}
                        </span>
                      )}
                    </label>
                  ))}
                </fieldset>
              ))}
              {shown.length === 0 && <p className="muted">{`No field matches “${deferred.trim()}”.`}</p>}
            </div>
          </>
        )}
      </div>
    </div>
  );
}
