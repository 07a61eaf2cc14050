/**
 * CSV files of items (RFC 4180: comma-separated, CRLF line ends, fields with a comma, quote or
 * line break quoted, quotes doubled), made safe to open in a spreadsheet, and their download.
 */
import type { Column, IntegrationItem } from './api/models';
import { cellValue, text } from './items';

/**
 * One field. A value starting with = + - @ (or a tab or carriage return) would be run as a
 * formula by a spreadsheet ("CSV injection"): a leading single quote makes it text.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Lines of fields as CSV text, every line ended by CRLF. */
export function csvText(lines: readonly (readonly string[])[]): string {
  return lines.map((line) => line.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** The header of the link column. */
export const LINK_LABEL = 'Link';

const ACRONYMS = new Set(['id', 'url', 'api', 'crm', 'ip', 'utm']);

/**
 * A raw property key as a header a person reads: "hs_object_id" → "Hs object ID",
 * "lastModifiedDate" → "Last modified date". Used for keys no declared column labels.
 */
export function humanLabel(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_\-.]+/)
    .filter(Boolean)
    .map((word) => word.toLowerCase())
    .map((word) => (ACRONYMS.has(word) ? word.toUpperCase() : word));
  const first = words[0] ?? key;
  return [first.charAt(0).toUpperCase() + first.slice(1), ...words.slice(1)].join(' ');
}

/** The rows as shown (searched and sorted): one column per declared column (its label), then the link. */
export function itemsCsv(items: readonly IntegrationItem[], columns: readonly Column[]): string {
  return csvText([
    [...columns.map((c) => c.label), LINK_LABEL],
    ...items.map((item) => [...columns.map((c) => cellValue(item, c.key)), item.url ?? '']),
  ]);
}

/** The header of the related records' column. */
export const RELATED_LABEL = 'Related';

/**
 * The rows with the columns a person chose (no others), then their related records when shown
 * (`related`: one cell's text per item), then the link.
 */
export function chosenCsv(
  items: readonly IntegrationItem[],
  columns: readonly Column[],
  related?: (item: IntegrationItem) => string,
): string {
  return csvText([
    [...columns.map((c) => c.label), ...(related ? [RELATED_LABEL] : []), LINK_LABEL],
    ...items.map((item) => [...columns.map((c) => cellValue(item, c.key)), ...(related ? [related(item)] : []), item.url ?? '']),
  ]);
}

function isSimple(value: unknown): boolean {
  return value === null || value === undefined || ['string', 'number', 'boolean'].includes(typeof value);
}

/**
 * The `properties` keys worth a column of their own: those whose values are all simple (text,
 * numbers, true/false, empty) and which no declared column already shows, in first-seen order.
 * A key holding a list or an object anywhere is left out (it has no one-cell form).
 */
export function propertyColumns(items: readonly IntegrationItem[], taken: ReadonlySet<string>): string[] {
  const keys = new Map<string, boolean>();
  for (const item of items) {
    for (const [key, value] of Object.entries(item.properties)) {
      if (taken.has(key)) continue;
      const simple = isSimple(value);
      const known = keys.get(key);
      if (known === undefined) keys.set(key, simple);
      else if (known && !simple) keys.set(key, false);
    }
  }
  return [...keys].filter(([, simple]) => simple).map(([key]) => key);
}

/**
 * Every synced item: the provider's declared columns, then each simple `properties` entry as a
 * column of its own, then the link. Headers are words: the declared labels, the other keys made
 * readable (`humanLabel`).
 */
export function syncCsv(items: readonly IntegrationItem[], columns: readonly Column[]): string {
  const declared = columns.map((c) => c.key);
  const extra = propertyColumns(items, new Set([...declared, 'url']));
  const lines: string[][] = [[...columns.map((c) => c.label), ...extra.map(humanLabel), LINK_LABEL]];
  for (const item of items) {
    lines.push([
      ...declared.map((key) => cellValue(item, key)),
      ...extra.map((key) => text(item.properties[key])),
      item.url ?? '',
    ]);
  }
  return csvText(lines);
}

/** `{provider}-{nouns}-YYYY-MM-DD.csv`, the date in the reader's time zone. */
export function csvFileName(provider: string, nouns: string, date: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${provider}-${nouns}-${day}.csv`.replace(/[^A-Za-z0-9._-]+/g, '-');
}

/** How long the file's object URL lives: a download may start after the click returns. */
const REVOKE_AFTER_MS = 30_000;

/** Saves `body` as a file named `filename` (a Blob behind an object URL, clicked as a download link). */
export function downloadCsv(filename: string, body: string): void {
  const url = URL.createObjectURL(new Blob([body], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}
