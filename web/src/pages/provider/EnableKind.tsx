/**
 * A kind the connection may not read ("Companies — not granted", or the server's 403
 * `insufficient_scope`): one way forward, "Enable Companies", which runs the consent again asking
 * for that kind's scope too (`authorize?object_type=`). A plain "Reconnect" would ask for the same
 * scopes as before and land on the same refusal, so it is not offered for a named kind.
 *
 * A popup flow keeps this page (and the kind picked) as it is. A full-page redirect reloads it,
 * so the kind asked for is remembered for this tab until the page comes back with the result.
 */
import type { ObjectType } from '../../api/models';
import { ButtonBusy } from '../../components/ButtonBusy';
import type { ItemNouns } from '../../components/ItemsTable';
import { capitalize } from '../../nouns';

const STORAGE_PREFIX = 'vs.enableKind.';

/** Before a consent that may leave this page: the kind to show when it comes back (null: the default). */
export function rememberKind(provider: string, objectType: string | null): void {
  try {
    const key = `${STORAGE_PREFIX}${provider}`;
    if (objectType === null) window.sessionStorage.removeItem(key);
    else window.sessionStorage.setItem(key, objectType);
  } catch {
    // Storage refused (private mode): the page comes back on the default kind.
  }
}

/** The kind remembered for `provider` (once: it is forgotten as it is read). */
export function takeRememberedKind(provider: string): string | null {
  try {
    const key = `${STORAGE_PREFIX}${provider}`;
    const kind = window.sessionStorage.getItem(key);
    window.sessionStorage.removeItem(key);
    return kind;
  } catch {
    return null;
  }
}

/** The kind a page opens on: the one remembered when it comes back from a consent, else the default. */
export function initialKind(provider: string, objectTypes: readonly ObjectType[], backFromConsent: boolean): string | null {
  const remembered = backFromConsent ? takeRememberedKind(provider) : null;
  // A kind discovery found (not declared) is picked again too.
  return remembered ?? objectTypes[0]?.id ?? null;
}

/** "Enable Companies": the button's words for a kind. */
export function enableLabel(nouns: ItemNouns): string {
  return `Enable ${capitalize(nouns.many)}`;
}

export function EnableKind({
  name,
  nouns,
  onEnable,
  connecting,
  scopes = [],
}: {
  name: string;
  nouns: ItemNouns;
  /** The scopes that allow reading the kind (any one will do). */
  scopes?: readonly string[];
  /** Starts the consent for this kind; absent for a provider with one unnamed kind (then Reconnect). */
  onEnable: () => void;
  connecting: boolean;
}) {
  return (
    <div className="notice notice--warning" role="status">
      <h3 className="notice__title">{`${name} has not allowed reading ${nouns.many}`}</h3>
      <p className="notice__body">
        {`The ${name} connection was granted without access to ${nouns.many}. ${enableLabel(nouns)} to ask ${name} for that permission too — what is already allowed stays. Or pick another kind.`}
      </p>
      {scopes.length > 0 && (
        <p className="notice__body">
          {scopes.length === 1 ? 'The scope to add: ' : 'The scope to add (any one): '}
          {scopes.map((scope, at) => (
            <span key={scope}>
              {at > 0 && ' or '}
              <code>{scope}</code>
            </span>
          ))}
        </p>
      )}
      <div className="notice__actions">
        <button
          type="button"
          className="btn btn--primary"
          onClick={() => {
            if (!connecting) onEnable();
          }}
          aria-disabled={connecting || undefined}
        >
          {connecting ? <ButtonBusy label="Connecting…" /> : enableLabel(nouns)}
        </button>
      </div>
    </div>
  );
}
