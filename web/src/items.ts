/** Reading an item's fields the way the table and the CSV show them. */
import type { IntegrationItem } from './api/models';

/** A value as text: strings trimmed, numbers and booleans as written, anything else empty. */
export function text(value: unknown): string {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

/** The name to show: the title, else first + last name properties; empty when there is none. */
export function itemTitle(item: IntegrationItem): string {
  const fromParts = [text(item.properties.firstname), text(item.properties.lastname)].filter(Boolean).join(' ');
  return text(item.title) || fromParts;
}

/** The fields of an `IntegrationItem` itself; any other column key names a `properties` entry. */
export const ITEM_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'title',
  'item_type',
  'parent_id',
  'url',
  'created_at',
  'updated_at',
]);

/** A column's raw value: an `IntegrationItem` field, else the `properties` entry of that name. */
export function cellValue(item: IntegrationItem, key: string): string {
  if (key === 'title') return itemTitle(item);
  if (ITEM_FIELDS.has(key)) return text((item as unknown as Record<string, unknown>)[key]);
  return text(item.properties[key]);
}
