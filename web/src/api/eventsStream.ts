/**
 * `GET /api/integrations/{provider}/events`: the changes the provider pushed (webhooks) to the
 * user's connected account. Two readings of one feed:
 *
 * - `Accept: text/event-stream` (a follow): Server-Sent Events, each `id: <offset>`,
 *   `event: <type>`, `data: <the JSON line>`; `: idle` comments every 15 s; the answer ends after
 *   5 minutes and the client reconnects with `since` = the last id. Read with `fetch` and a
 *   ReadableStream (`SseDecoder`), because `EventSource` cannot send our identity headers.
 * - NDJSON (a poll): the events after `since`, then `{"type":"end","offset"}`. Used once, with no
 *   `since` and no wait, to learn where "now" is before following (`currentOffset`), so that a
 *   follow that drops before its first event resumes without losing what came in between.
 *
 * Lines: `{"type":"upsert"|"delete"|"merge"|"association","object_type","id","occurred_at",
 * "offset","property"?,"merged_ids"?,"associated"?}`; a first `{"type":"gap","offset"}` when
 * events were dropped (resync); `{"type":"error","code","detail"}` when the feed broke.
 */
import { apiUrl } from '../config';
import { ApiError } from './client';
import { lineError, openNdjson, readLines } from './exportStream';

export type LiveEventType = 'upsert' | 'delete' | 'merge' | 'association';

/** One change the provider pushed. */
export interface LiveEvent {
  type: LiveEventType;
  /** The record's kind as the provider's `object_type` parameter names it (`contacts`). */
  objectType: string;
  id: string;
  /** When it happened at the provider (ms since the epoch; the arrival time when unreadable). */
  occurredAt: number;
  /** Where the feed resumes after this event. */
  offset: string;
  /** The property that changed, when the provider says (`value` null: cleared). */
  property?: { name: string; value: string | null };
  /** A merge: the ids merged into this one (gone now). */
  mergedIds?: string[];
  /** An association event: the other record. */
  associated?: { objectType: string; id: string; removed: boolean };
}

export type EventLine =
  | { type: 'event'; event: LiveEvent }
  | { type: 'gap'; offset: string }
  | { type: 'end'; offset: string }
  | { type: 'error'; code: string; detail: string }
  /** A line this client does not know (a newer server): skipped. */
  | { type: 'other' };

const EVENT_TYPES: ReadonlySet<string> = new Set(['upsert', 'delete', 'merge', 'association']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function idOf(value: unknown): string | null {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) ? String(value) : null;
}

/** One line of the feed (NDJSON, or an SSE event's data); null when it is not one. */
export function parseEventLine(text: string, now: number = Date.now()): EventLine | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value) || typeof value.type !== 'string') return null;
  const offset = typeof value.offset === 'string' && value.offset !== '' ? value.offset : null;
  switch (value.type) {
    case 'gap':
    case 'end':
      return offset === null ? null : { type: value.type, offset };
    case 'error':
      return {
        type: 'error',
        code: typeof value.code === 'string' ? value.code : 'upstream_error',
        detail: typeof value.detail === 'string' ? value.detail : '',
      };
    case 'idle':
      return { type: 'other' };
    default:
      break;
  }
  if (!EVENT_TYPES.has(value.type)) return { type: 'other' };
  const id = idOf(value.id);
  if (id === null || offset === null || typeof value.object_type !== 'string') return null;
  const at = typeof value.occurred_at === 'string' ? Date.parse(value.occurred_at) : Number.NaN;
  const event: LiveEvent = {
    type: value.type as LiveEventType,
    objectType: value.object_type,
    id,
    occurredAt: Number.isNaN(at) ? now : at,
    offset,
  };
  const property = value.property;
  if (isObject(property) && typeof property.name === 'string') {
    event.property = { name: property.name, value: typeof property.value === 'string' ? property.value : null };
  }
  if (Array.isArray(value.merged_ids)) {
    const merged = value.merged_ids.map(idOf).filter((m): m is string => m !== null);
    if (merged.length > 0) event.mergedIds = merged;
  }
  const associated = value.associated;
  if (isObject(associated) && typeof associated.object_type === 'string' && idOf(associated.id) !== null) {
    event.associated = { objectType: associated.object_type, id: idOf(associated.id) ?? '', removed: associated.removed === true };
  }
  return { type: 'event', event };
}

/** One Server-Sent Event, as the spec dispatches it. */
export interface SseMessage {
  /** The last `id:` seen (it carries over to later events, per the spec); null before any. */
  id: string | null;
  /** `event:`, or `message` when absent. */
  event: string;
  data: string;
}

/**
 * Bytes in, Server-Sent Events out (the HTML spec's parsing rules): UTF-8 decoded across chunk
 * boundaries; lines ended by CRLF, LF or CR (a CR at the end of a chunk waits for a possible LF);
 * `field: value` with one optional space; `:` comments; a blank line dispatches; an event without
 * data is not dispatched. `activity` counts everything received (comments included), for a
 * watchdog; `retry` is the server's reconnection delay, when it sent one.
 */
export class SseDecoder {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private lastId: string | null = null;
  retry: number | null = null;
  comments = 0;

  push(chunk: Uint8Array | string): SseMessage[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: SseMessage[] = [];
    for (;;) {
      const at = this.buffer.search(/[\r\n]/);
      if (at < 0) break;
      // A CR last in the buffer may be the first half of a CRLF: wait for the next chunk.
      if (this.buffer[at] === '\r' && at === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, at);
      const skip = this.buffer[at] === '\r' && this.buffer[at + 1] === '\n' ? 2 : 1;
      this.buffer = this.buffer.slice(at + skip);
      const message = this.line(line);
      if (message) out.push(message);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === '') {
      const data = this.data;
      const event = this.event;
      this.data = [];
      this.event = '';
      if (data.length === 0) return null;
      return { id: this.lastId, event: event || 'message', data: data.join('\n') };
    }
    if (line.startsWith(':')) {
      this.comments += 1;
      return null;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
      default:
        break;
    }
    return null;
  }
}

/** The URL of the feed: after `since` (omitted: from now on), long-polling `wait` seconds. */
export function eventsUrl(provider: string, { since = null, wait = null }: { since?: string | null; wait?: number | null } = {}): string {
  const params = new URLSearchParams();
  if (since !== null) params.set('since', since);
  if (wait !== null) params.set('wait', String(wait));
  const query = params.toString();
  return apiUrl(`/api/integrations/${encodeURIComponent(provider)}/events${query ? `?${query}` : ''}`);
}

/**
 * Where the feed is now: a poll without `since` and without waiting answers only its `end` line.
 * Rejects with an `ApiError` (a refusal, a broken answer) or the abort reason.
 */
export async function currentOffset(provider: string, signal?: AbortSignal): Promise<string> {
  const { body, status, requestId } = await openNdjson(eventsUrl(provider, { wait: 0 }), signal);
  let offset: string | null = null;
  const outcome = await readLines(
    body,
    signal,
    (lines): { kind: 'end' } | { kind: 'error'; error: ApiError } | null => {
      for (const text of lines) {
        const line = parseEventLine(text);
        if (line === null) continue;
        if (line.type === 'event' || line.type === 'gap' || line.type === 'end') offset = line.type === 'event' ? line.event.offset : line.offset;
        if (line.type === 'end') return { kind: 'end' };
        if (line.type === 'error') return { kind: 'error', error: lineError(line, status) };
      }
      return null;
    },
    (rest) => parseEventLine(rest) !== null,
  );
  if (outcome.kind === 'error') throw outcome.error;
  if (offset === null) {
    throw new ApiError({ code: 'unexpected_response', status, detail: 'The events answer ended without an offset.', requestId });
  }
  return offset;
}

/** What a follow hands over as it reads. */
export interface FollowHandlers {
  /** The server agreed to stream (2xx, headers in). */
  onOpen?: () => void;
  /** Parsed lines of one read, in order, with each one's SSE id (the offset). */
  onLines: (lines: EventLine[]) => void;
  /** Anything arrived (an event, a keep-alive comment): the connection is alive. */
  onActivity?: () => void;
}

/** How a follow ended: the server closed it (after its 5 minutes), or an error line said why. */
export type FollowEnd = { kind: 'closed' } | { kind: 'error'; error: ApiError };

/**
 * Follows the feed as Server-Sent Events from `since` until the server closes the answer, an
 * error line arrives, or `signal` aborts (then it rejects with the abort reason). Rejects with an
 * `ApiError` when the server refuses before streaming (problem+json) or cannot be reached.
 */
export async function followEvents(
  provider: string,
  since: string | null,
  handlers: FollowHandlers,
  signal: AbortSignal,
): Promise<FollowEnd> {
  const { body, status } = await openNdjson(eventsUrl(provider, { since }), signal, 'text/event-stream, application/problem+json');
  handlers.onOpen?.();
  const decoder = new SseDecoder();
  const reader = body.getReader();
  const onAbort = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        if (signal.aborted) throw signal.reason ?? new DOMException('Stopped.', 'AbortError');
        return { kind: 'closed' };
      }
      if (signal.aborted) throw signal.reason ?? new DOMException('Stopped.', 'AbortError');
      if (chunk.done) return { kind: 'closed' };
      handlers.onActivity?.();
      const lines: EventLine[] = [];
      for (const message of decoder.push(chunk.value)) {
        const line = parseEventLine(message.data);
        if (line === null) continue;
        if (line.type === 'error') {
          if (lines.length > 0) handlers.onLines(lines);
          return { kind: 'error', error: lineError(line, status) };
        }
        lines.push(line);
      }
      if (lines.length > 0) handlers.onLines(lines);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    reader.cancel().catch(() => undefined);
  }
}
