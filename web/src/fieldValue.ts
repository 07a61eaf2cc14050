/**
 * A property's value as a person reads it, given what discovery says of its field: an
 * enumeration's option labels instead of the stored values, dates in the reader's words, yes/no
 * for booleans. Without a field, dates are recognised by their shape (ISO 8601).
 */
import type { Field } from './api/models';

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
/** A date without a time is a calendar day: shown as that day wherever the reader is. */
const DATE_ONLY = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Empty: nothing, or only white space. */
export function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  return false;
}

function asDate(value: unknown): Date | null {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value);
  if (typeof value !== 'string') return null;
  const text = value.trim();
  // Milliseconds since the epoch, as some providers store dates.
  if (/^\d{10,14}$/.test(text)) return new Date(Number(text));
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

function plain(value: unknown): string {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return '';
  return JSON.stringify(value);
}

/** What to show for `value` of the field `field` (absent: not discovered). */
export function formatValue(value: unknown, field?: Field, key = ''): string {
  if (isEmptyValue(value)) return '';
  const type = field?.type ?? '';
  if (type === 'enumeration' || (field && field.options.length > 0)) {
    const raw = Array.isArray(value) ? value.map(plain) : plain(value).split(';');
    const labels = new Map(field?.options.map((o) => [o.value, o.label]) ?? []);
    return raw
      .map((v) => v.trim())
      .filter(Boolean)
      .map((v) => labels.get(v) ?? v)
      .join(', ');
  }
  if (type === 'bool' || type === 'boolean' || typeof value === 'boolean') {
    const text = plain(value).toLowerCase();
    if (text === 'true') return 'Yes';
    if (text === 'false') return 'No';
  }
  const dateLike =
    type === 'date' ||
    type === 'datetime' ||
    (!field && (key.endsWith('_at') || (typeof value === 'string' && (ISO_DATE_TIME.test(value) || ISO_DATE.test(value)))));
  if (dateLike) {
    const date = asDate(value);
    if (date) {
      const dayOnly = type === 'date' || (typeof value === 'string' && ISO_DATE.test(value.trim()));
      return (dayOnly ? DATE_ONLY : DATE_TIME).format(date);
    }
  }
  return plain(value);
}
