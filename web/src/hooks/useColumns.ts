/**
 * The columns a person chose for one provider's kind, remembered in localStorage: the keys (item
 * fields such as `title`, or property names from discovery) in the order they were picked, and
 * whether related records are shown. Unchosen, the provider's declared columns as before. The
 * choice is also what the server is asked for (`properties=`, `associations=`), so the rows carry
 * exactly what the table shows.
 */
import { useCallback, useMemo, useState } from 'react';
import type { Column, Field } from '../api/models';
import { humanLabel } from '../csv';
import { ITEM_FIELDS } from '../items';
import { DEFAULT_SELECTION, type Selection } from '../selection';

/** The record's own fields offered as columns beside the discovered properties. */
export const RECORD_COLUMNS: readonly Column[] = [
  { key: 'title', label: 'Name' },
  { key: 'id', label: 'ID' },
  { key: 'created_at', label: 'Created' },
  { key: 'updated_at', label: 'Last modified' },
];

interface Choice {
  keys: string[] | null;
  related: boolean;
}

const STORAGE_PREFIX = 'vs.columns.';

export function columnsStorageKey(provider: string, kind: string | null): string {
  return `${STORAGE_PREFIX}${provider}.${kind ?? ''}`;
}

function readChoice(key: string): Choice | null {
  try {
    const raw = window.localStorage.getItem(key);
    if (!raw) return null;
    const value = JSON.parse(raw) as unknown;
    if (typeof value !== 'object' || value === null) return null;
    const { keys, related } = value as Record<string, unknown>;
    return {
      keys: Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : null,
      related: related === true,
    };
  } catch {
    return null;
  }
}

function writeChoice(key: string, choice: Choice | null): void {
  try {
    if (choice === null) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, JSON.stringify(choice));
  } catch {
    // Storage refused (private mode): the choice lasts while the page is open.
  }
}

const NO_KINDS: readonly string[] = [];

export interface ColumnsState {
  /** The table's columns: the chosen ones, else the declared ones. */
  columns: readonly Column[];
  /** The person chose the columns (empty ones are then shown, not hidden). */
  customized: boolean;
  /** Related records are asked for and shown. */
  related: boolean;
  /** The kinds related records are asked for (empty: "Related" is not offered). */
  relatedKinds: readonly string[];
  /** Discovery's fields of the kind (null: the provider cannot discover; no picker then). */
  fields: Field[] | null;
  /** What the server is asked to put on each item. */
  selection: Selection;
  /** Nothing to wait for before asking for items (a remembered choice waits for the fields). */
  settled: boolean;
  setKeys: (keys: readonly string[]) => void;
  setRelated: (on: boolean) => void;
  /** Back to the declared columns, without related records. */
  reset: () => void;
  /** The provider answered `associations_unsupported`: Related is turned off and no longer offered. */
  refuseRelated: () => void;
  /** It did (this page's lifetime). */
  relatedRefused: boolean;
}

export function useColumns({
  provider,
  kind,
  declared,
  fields,
  fieldsLoading,
  relatedKinds: offered,
}: {
  provider: string;
  kind: string | null;
  declared: readonly Column[];
  fields: Field[] | null;
  fieldsLoading: boolean;
  relatedKinds: readonly string[];
}): ColumnsState {
  const storageKey = columnsStorageKey(provider, kind);
  // What this page changed, by key (the rest is read from storage).
  const [changed, setChanged] = useState<Record<string, Choice | null>>({});
  const [relatedRefused, setRelatedRefused] = useState(false);
  const relatedKinds = relatedRefused ? NO_KINDS : offered;
  const choice = storageKey in changed ? (changed[storageKey] ?? null) : readChoice(storageKey);
  const keys = choice?.keys ?? null;
  const wantsRelated = choice?.related === true;

  const columns = useMemo(() => {
    if (keys === null || fields === null) return declared;
    const byName = new Map(fields.map((f) => [f.name, f]));
    const label = (key: string) =>
      declared.find((c) => c.key === key)?.label ??
      RECORD_COLUMNS.find((c) => c.key === key)?.label ??
      byName.get(key)?.label ??
      humanLabel(key);
    // A property the account no longer has (a deleted custom field) is dropped, not asked for.
    return keys
      .filter((key) => ITEM_FIELDS.has(key) || byName.has(key))
      .map((key) => ({ key, label: label(key) }));
  }, [keys, fields, declared]);

  const customized = keys !== null && fields !== null;
  const related = wantsRelated && fields !== null && relatedKinds.length > 0;
  const selection = useMemo<Selection>(() => {
    if (!customized && !related) return DEFAULT_SELECTION;
    return {
      properties: customized ? columns.map((c) => c.key).filter((key) => !ITEM_FIELDS.has(key)) : null,
      associations: related ? [...relatedKinds] : [],
    };
  }, [customized, related, columns, relatedKinds]);

  const save = useCallback(
    (next: Choice | null) => {
      writeChoice(storageKey, next);
      setChanged((prev) => ({ ...prev, [storageKey]: next }));
    },
    [storageKey, setChanged],
  );
  const setKeys = useCallback((next: readonly string[]) => save({ keys: [...next], related: wantsRelated }), [save, wantsRelated]);
  const setRelated = useCallback((on: boolean) => save({ keys, related: on }), [save, keys]);
  const reset = useCallback(() => save(null), [save]);
  const refuseRelated = useCallback(() => {
    setRelatedRefused(true);
    save({ keys, related: false });
  }, [save, keys, setRelatedRefused]);

  return {
    columns,
    customized,
    related,
    relatedKinds,
    fields,
    selection,
    settled: !(choice !== null && fieldsLoading),
    setKeys,
    setRelated,
    reset,
    refuseRelated,
    relatedRefused,
  };
}
