/** An item's related records (`associations=`) as chips: a name to read, and the association's labels. */
import type { IntegrationItem } from './api/models';
import { itemAssociations } from './api/discovery';
import { capitalize } from './nouns';

export interface RelatedChip {
  kind: string;
  id: string;
  /** The related record's name from its synced dataset, else "Company 9800000123". */
  name: string;
  /** The dataset had no name for it. */
  unnamed: boolean;
  labels: string[];
}

/**
 * The chips of one item, kind by kind (`kinds` first, in their order, then any other kind the
 * item carries). `nameOf` looks a record up in the synced dataset of its kind; `nounOf` says
 * what one record of a kind is called ("company").
 */
export function relatedChips(
  item: IntegrationItem,
  kinds: readonly string[],
  nameOf: (kind: string, id: string) => string | null,
  nounOf: (kind: string) => string,
): RelatedChip[] {
  const associations = itemAssociations(item);
  const order = [...kinds, ...Object.keys(associations).filter((k) => !kinds.includes(k))];
  return order.flatMap((kind) =>
    (associations[kind] ?? []).map((a) => {
      const name = nameOf(kind, a.id);
      return { kind, id: a.id, name: name ?? `${capitalize(nounOf(kind))} ${a.id}`, unnamed: name === null, labels: a.labels };
    }),
  );
}

/** The chips as one CSV cell: "Acme Corp (Primary); Deal 5". */
export function relatedText(chips: readonly RelatedChip[]): string {
  return chips.map((c) => (c.labels.length > 0 ? `${c.name} (${c.labels.join(', ')})` : c.name)).join('; ');
}
