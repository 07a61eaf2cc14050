/**
 * `GET /api/integrations/{provider}/changes?since={checkpoint}`: what changed since a sync, as
 * NDJSON, read as it arrives (like the export, with `fetch`). Lines, in order:
 *
 * - `{"type":"upsert","item":{…}}`: a record created or modified;
 * - `{"type":"delete","id":"…","archived_at":"…"}`: a record deleted (archived);
 * - `{"type":"cursor","cursor":"…","count":N}` after each page but the last (`?cursor=` resumes);
 * - `{"type":"end","upserts":N,"deletes":N,"checkpoint":"…"}` last; none: the run was cut short;
 * - `{"type":"error","code":"…","detail":"…"}` when the provider failed mid-way.
 *
 * A provider without incremental sync answers 400 `changes_unsupported` before streaming.
 */
import { apiUrl } from '../config';
import type { ApiError } from './client';
import { parseRetryAfter } from './client';
import { lineError, openNdjson, readLines, unexpectedLine, type ExportOutcome } from './exportStream';
import type { IntegrationItem } from './models';
import type { Change } from '../dataset/model';
import { selectionParams, type Selection } from '../selection';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

function toItem(value: unknown): IntegrationItem | null {
  if (!isObject(value) || (typeof value.id !== 'string' && typeof value.id !== 'number')) return null;
  return {
    ...value,
    id: String(value.id),
    title: typeof value.title === 'string' ? value.title : '',
    properties: isObject(value.properties) ? value.properties : {},
  } as IntegrationItem;
}

export type ChangesLine =
  | { type: 'change'; change: Change }
  | { type: 'cursor'; cursor: string; count: number }
  | { type: 'end'; upserts: number; deletes: number; checkpoint: string | null }
  | { type: 'error'; code: string; detail: string; retryAfter?: number }
  | { type: 'other' };

/** One line of a changes stream; null when it is not one (not JSON, an upsert without an item). */
export function parseChangesLine(text: string): ChangesLine | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value)) return null;
  switch (value.type) {
    case 'upsert': {
      const item = toItem(value.item);
      return item ? { type: 'change', change: { type: 'upsert', item } } : null;
    }
    case 'delete':
      return typeof value.id === 'string' || typeof value.id === 'number'
        ? { type: 'change', change: { type: 'delete', id: String(value.id) } }
        : null;
    case 'cursor':
      return typeof value.cursor === 'string' ? { type: 'cursor', cursor: value.cursor, count: count(value.count) } : { type: 'other' };
    case 'end':
      return {
        type: 'end',
        upserts: count(value.upserts),
        deletes: count(value.deletes),
        checkpoint: typeof value.checkpoint === 'string' ? value.checkpoint : null,
      };
    case 'error': {
      const retryAfter = parseRetryAfter(value.retry_after);
      return {
        type: 'error',
        code: typeof value.code === 'string' ? value.code : 'upstream_error',
        detail: typeof value.detail === 'string' ? value.detail : '',
        ...(retryAfter === undefined ? {} : { retryAfter }),
      };
    }
    default:
      return { type: 'other' };
  }
}

export interface ChangesHandlers {
  /** Changes, in order, as they arrive. */
  onChanges: (changes: Change[]) => void;
  /** Everything before was delivered; `cursor` resumes after it. */
  onCursor?: (cursor: string, count: number) => void;
}

export type ChangesOutcome =
  | { kind: 'end'; upserts: number; deletes: number; checkpoint: string | null }
  | Exclude<ExportOutcome, { kind: 'end' }>;

/** The URL of a changes run: from `since`, or resuming from `cursor` (which wins). */
export function changesUrl(
  provider: string,
  objectType: string | null,
  { since = null, cursor = null, selection }: { since?: string | null; cursor?: string | null; selection?: Selection },
): string {
  const params = new URLSearchParams();
  if (cursor !== null) params.set('cursor', cursor);
  else if (since !== null) params.set('since', since);
  if (objectType !== null) params.set('object_type', objectType);
  for (const [name, value] of Object.entries(selectionParams(selection))) params.set(name, value);
  return apiUrl(`/api/integrations/${encodeURIComponent(provider)}/changes?${params.toString()}`);
}

/** Reads a changes body to its end. Rejects only when `signal` aborts. */
export async function readChanges(
  body: ReadableStream<Uint8Array>,
  handlers: ChangesHandlers,
  { signal, status = 200, requestId }: { signal?: AbortSignal; status?: number; requestId?: string } = {},
): Promise<ChangesOutcome> {
  const handle = (lines: readonly string[]): ChangesOutcome | null => {
    let batch: Change[] = [];
    const flush = () => {
      if (batch.length > 0) handlers.onChanges(batch);
      batch = [];
    };
    for (const text of lines) {
      const line = parseChangesLine(text);
      if (line === null) {
        flush();
        return { kind: 'error', error: unexpectedLine(status, requestId) };
      }
      if (line.type === 'change') {
        batch.push(line.change);
        continue;
      }
      flush();
      if (line.type === 'cursor') handlers.onCursor?.(line.cursor, line.count);
      else if (line.type === 'end') return { kind: 'end', upserts: line.upserts, deletes: line.deletes, checkpoint: line.checkpoint };
      else if (line.type === 'error') return { kind: 'error', error: lineError(line, status) as ApiError };
    }
    flush();
    return null;
  };
  return readLines(body, signal, handle, (rest) => parseChangesLine(rest) !== null);
}

/** Streams what changed at `provider` since `since` (or from `cursor`). Rejects like `streamExport`. */
export async function streamChanges(
  provider: string,
  objectType: string | null,
  handlers: ChangesHandlers,
  {
    since = null,
    cursor = null,
    signal,
    selection,
  }: { since?: string | null; cursor?: string | null; signal?: AbortSignal; selection?: Selection },
): Promise<ChangesOutcome> {
  const { body, status, requestId } = await openNdjson(changesUrl(provider, objectType, { since, cursor, selection }), signal);
  return readChanges(body, handlers, { signal, status, requestId });
}
