/**
 * What the UI asks the server to put on each item: `properties=` (the chosen columns; null for
 * the provider's defaults) and `associations=` (the related kinds whose ids each item carries).
 * One value for items, the provider's search, export and changes, and its signature for cache
 * keys and for the synced dataset (which records carry what).
 */
export interface Selection {
  /** Property names; null: the provider's default properties. */
  properties: readonly string[] | null;
  /** Kind ids to list each item's associations with (empty: none). */
  associations: readonly string[];
}

export const DEFAULT_SELECTION: Selection = { properties: null, associations: [] };

/** The query parameters of a selection (none for the defaults). */
export function selectionParams(selection: Selection | null | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  if (!selection) return params;
  if (selection.properties !== null && selection.properties.length > 0) params.properties = selection.properties.join(',');
  if (selection.associations.length > 0) params.associations = selection.associations.join(',');
  return params;
}

/** A stable string for the selection: empty for the defaults. */
export function selectionSignature(selection: Selection | null | undefined): string {
  return new URLSearchParams(selectionParams(selection)).toString();
}

/**
 * The selection a signature stands for (the inverse of `selectionSignature`): what a synced
 * dataset's records carry, so a later run can ask for the same (`Dataset.selection`).
 */
export function parseSelection(signature: string | null | undefined): Selection {
  if (!signature) return DEFAULT_SELECTION;
  const params = new URLSearchParams(signature);
  const list = (name: string) => (params.get(name) ?? '').split(',').filter((v) => v !== '');
  const properties = list('properties');
  return { properties: properties.length > 0 ? properties : null, associations: list('associations') };
}
