/**
 * The kinds a page offers: the ones the provider declares (in its order, with its nouns), then
 * every other kind discovery found in the account (standard ones, then custom ones), each with
 * the scopes it needs and whether the grant has one. Without discovery, the declared kinds alone.
 */
import type { DiscoveredObjectType, ObjectType } from '../../api/models';
import type { ItemNouns } from '../../components/ItemsTable';
import { capitalize, plural } from '../../nouns';

export type Kind = ObjectType & {
  /** Discovery's plural label ("Line items", "Pets"). */
  label?: string;
  /** The account defined it. */
  custom?: boolean;
  /** Discovery says the grant holds one of its scopes. */
  granted?: boolean;
  /** The provider declares it (its own noun, its Enable path). */
  declared?: boolean;
};

/** "Line items" → "line item", "Companies" → "company", "Pets" → "pet" (best effort, English). */
export function singular(words: string): string {
  if (/[^aeiou]ies$/i.test(words)) return `${words.slice(0, -3)}y`;
  if (/(s|x|z|ch|sh)es$/i.test(words)) return words.slice(0, -2);
  if (/[^s]s$/i.test(words)) return words.slice(0, -1);
  return words;
}

/** A label as words in a sentence: "Line items" → "line items"; an acronym ("VIP clients") stays. */
function inSentence(label: string): string {
  return /^[A-Z][A-Z]/.test(label) ? label : label.charAt(0).toLowerCase() + label.slice(1);
}

export function mergeKinds(declared: readonly ObjectType[], discovered: readonly DiscoveredObjectType[] | null): Kind[] {
  if (!discovered) return declared.map((t) => ({ ...t, declared: true }));
  const found = new Map(discovered.map((d) => [d.id, d]));
  const own: Kind[] = declared.map((t) => {
    const d = found.get(t.id);
    return d
      ? { ...t, scopes: t.scopes.length > 0 ? t.scopes : d.scopes, label: d.label, custom: d.custom, granted: d.granted, declared: true }
      : { ...t, declared: true };
  });
  const ids = new Set(declared.map((t) => t.id));
  const rest = discovered
    .filter((d) => !ids.has(d.id))
    .map((d): Kind => ({
      id: d.id,
      noun: singular(inSentence(d.label)),
      scopes: d.scopes,
      label: d.label,
      custom: d.custom,
      granted: d.granted,
      declared: false,
    }));
  return [...own, ...rest.filter((k) => !k.custom), ...rest.filter((k) => k.custom)];
}

/** "Contacts" for a declared kind, discovery's own label ("Line items", "Pets") for the others. */
export function kindLabel(kind: Kind): string {
  return !kind.declared && kind.label ? kind.label : capitalize(plural(kind.noun));
}

/** The words for one kind's records: "contact"/"contacts", "pet"/"pets"; "item"/"items" when unknown. */
export function kindNouns(kind: Kind | undefined): ItemNouns {
  if (!kind) return { one: 'item', many: 'items' };
  return { one: kind.noun, many: !kind.declared && kind.label ? inSentence(kind.label) : plural(kind.noun) };
}

/**
 * The `object_type` to ask the server with: null for a provider of one declared kind showing it
 * (it is asked for unnamed), else the kind's id (a discovered other kind is always named).
 */
export function requestKind(kinds: readonly Kind[], objectType: string | null): string | null {
  const declared = kinds.filter((k) => k.declared !== false);
  return declared.length > 1 || (objectType !== null && objectType !== declared[0]?.id) ? objectType : null;
}
