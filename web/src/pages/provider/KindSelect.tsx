import { useEffect, useId, useRef, useState } from 'react';
import type { ObjectType } from '../../api/models';
import { kindLabel, type Kind } from './kinds';

/** Arrow keys through the kinds settle for this long before the chosen one loads. */
export const KIND_SETTLE_MS = 600;

/**
 * Whether a grant of `granted` scopes may read `kind`: any one of its scopes will do; a kind
 * that needs none is not second-guessed (as the server decides), nor one discovery says is
 * granted. A grant that records no scopes goes by discovery, and by nothing without it.
 */
export function kindGranted(kind: Kind, granted: readonly string[] | null | undefined): boolean {
  if (kind.scopes.length === 0) return true;
  if (!granted || granted.length === 0) return kind.granted !== false;
  // The server's own word (discovery) that the grant allows it counts too.
  return kind.scopes.some((scope) => granted.includes(scope)) || kind.granted === true;
}

/**
 * The provider as offered to this connection: without the kinds its account can never be
 * granted (the status's `unavailable_object_types`: the provider left their optional scope out because
 * the portal's plan lacks them), so neither the switcher nor "Enable …" leads to a dead end.
 */
export function offeredKinds<T extends { object_types: readonly ObjectType[] }>(info: T, unavailable: readonly string[] | null | undefined): T {
  if (!unavailable?.length) return info;
  return { ...info, object_types: info.object_types.filter((t) => !unavailable.includes(t.id)) };
}

/** Whether the grant's scopes rule out reading the kind `id` (null: the provider's one unnamed kind, never). */
export function kindRefused(objectTypes: readonly ObjectType[], id: string | null, granted: readonly string[] | null | undefined): boolean {
  const kind = id === null ? undefined : objectTypes.find((t) => t.id === id);
  return kind !== undefined && !kindGranted(kind, granted);
}

/** One option's words: "Companies", "Pets (custom)", "Tickets — not granted". */
function optionText(kind: Kind, grantedScopes: readonly string[] | null): string {
  return `${kindLabel(kind)}${kind.custom ? ' (custom)' : ''}${kindGranted(kind, grantedScopes) ? '' : ' — not granted'}`;
}

/**
 * The "Show" switcher between a provider's object types: the kinds it declares, then (with
 * discovery) the account's other kinds and its custom ones, each in a group of its own. Each
 * option says whether the grant allows reading that kind ("Companies — not granted"), before anyone picks it. A pick with the mouse (or Enter, or
 * leaving the control) loads at once; arrowing through the options on a closed select changes
 * the value on every key press, so those load only once the keys have settled — not one
 * request per kind passed over.
 */
export function KindSelect({
  objectTypes,
  value,
  onChange,
  grantedScopes = null,
}: {
  objectTypes: readonly Kind[];
  value: string | null;
  onChange: (id: string) => void;
  /** The scopes the connection was granted (null: unknown). */
  grantedScopes?: readonly string[] | null;
}) {
  const id = useId();
  const others = objectTypes.filter((t) => t.declared === false && !t.custom);
  const custom = objectTypes.filter((t) => t.declared === false && t.custom);
  const [draft, setDraft] = useState<string | null>(null);
  const keyed = useRef(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const cancelTimer = () => {
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = null;
  };
  const commit = (next: string) => {
    cancelTimer();
    setDraft(null);
    if (next !== value) onChange(next);
  };
  useEffect(() => () => {
    if (timer.current !== null) clearTimeout(timer.current);
  }, []);

  return (
    <span className="object-type">
      <label htmlFor={id}>Show</label>
      <select
        id={id}
        className="input"
        value={draft ?? value ?? ''}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && draft !== null) commit(draft);
          else keyed.current = true;
        }}
        onPointerDown={() => {
          keyed.current = false;
        }}
        onChange={(event) => {
          const next = event.target.value;
          if (!keyed.current) {
            commit(next);
            return;
          }
          keyed.current = false;
          setDraft(next);
          cancelTimer();
          timer.current = setTimeout(() => commit(next), KIND_SETTLE_MS);
        }}
        onBlur={() => {
          if (draft !== null) commit(draft);
        }}
      >
        {objectTypes
          .filter((t) => t.declared !== false)
          .map((t) => (
            <option key={t.id} value={t.id}>
              {optionText(t, grantedScopes)}
            </option>
          ))}
        {others.length > 0 && (
          <optgroup label="More kinds">
            {others.map((t) => (
              <option key={t.id} value={t.id}>
                {optionText(t, grantedScopes)}
              </option>
            ))}
          </optgroup>
        )}
        {custom.length > 0 && (
          <optgroup label="Custom objects">
            {custom.map((t) => (
              <option key={t.id} value={t.id}>
                {optionText(t, grantedScopes)}
              </option>
            ))}
          </optgroup>
        )}
      </select>
    </span>
  );
}
