/**
 * `GET /api/integrations/{provider}/export`: every item of one kind as NDJSON, read as it
 * arrives (axios cannot stream a body in a browser, so this one call uses `fetch`, with the
 * same identity headers as every other). Lines, in order:
 *
 * - `{"type":"start","total":N|null}` first (a server that predates it sends none: total unknown);
 * - one `IntegrationItem` per line;
 * - `{"type":"cursor","cursor":"…","count":N}` after each page but the last (resume point);
 * - `{"type":"end","count":N,"checkpoint":"…"}` last. No end line: the stream was cut short.
 * - `{"type":"error","code":"…","detail":"…"}` as the last line when the provider failed mid-way.
 *
 * A control line has a `type` key and no `id` key; anything with an `id` is an item. Failures
 * before the stream starts are problem+json answers, mapped to `ApiError` like any other call.
 */
import { API_BASE_URL, apiUrl } from '../config';
import { ApiError, identityHeaders, isCrossOrigin, isKnownCode, parseRetryAfter, problemError, reportFailure } from './client';
import type { ApiErrorCode, IntegrationItem } from './models';
import { selectionParams, type Selection } from '../selection';

export type ExportLine =
  | { type: 'start'; total: number | null }
  | { type: 'item'; item: IntegrationItem }
  | { type: 'cursor'; cursor: string; count: number }
  | { type: 'end'; count: number; checkpoint: string | null }
  | { type: 'error'; code: string; detail: string; retryAfter?: number }
  /** A control line this client does not know (a newer server): skipped. */
  | { type: 'other' };

/** A line that is not JSON, or not an object. */
export class ExportLineError extends Error {
  override readonly name = 'ExportLineError';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/** One NDJSON line, checked. Throws `ExportLineError` when it is not a JSON object. */
export function parseExportLine(text: string): ExportLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ExportLineError(`not JSON: ${text.slice(0, 80)}`);
  }
  if (!isObject(value)) throw new ExportLineError(`not an object: ${text.slice(0, 80)}`);
  if ('type' in value && !('id' in value)) {
    switch (value.type) {
      case 'start':
        return {
          type: 'start',
          total:
            typeof value.total === 'number' && Number.isFinite(value.total) && value.total >= 0 ? value.total : null,
        };
      case 'cursor':
        return typeof value.cursor === 'string'
          ? { type: 'cursor', cursor: value.cursor, count: count(value.count) }
          : { type: 'other' };
      case 'end':
        return {
          type: 'end',
          count: count(value.count),
          checkpoint: typeof value.checkpoint === 'string' ? value.checkpoint : null,
        };
      case 'error': {
        // A rate-limited line may say how long to wait, as a 429's Retry-After does.
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
  if (typeof value.id !== 'string' && typeof value.id !== 'number') {
    throw new ExportLineError(`an item without an id: ${text.slice(0, 80)}`);
  }
  const item = {
    ...value,
    id: String(value.id),
    title: typeof value.title === 'string' ? value.title : '',
    properties: isObject(value.properties) ? value.properties : {},
  } as IntegrationItem;
  return { type: 'item', item };
}

/**
 * Bytes in, complete lines out. Decodes UTF-8 across chunk boundaries (a character split
 * between two chunks is kept until its last byte arrives) and keeps a partial last line until
 * its newline does. Blank lines are dropped; a `\r` before the newline is too.
 */
export class LineDecoder {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';

  /** The lines `chunk` completes. */
  push(chunk: Uint8Array): string[] {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    const at = this.buffer.lastIndexOf('\n');
    if (at < 0) return [];
    const lines = this.buffer.slice(0, at).split('\n');
    this.buffer = this.buffer.slice(at + 1);
    return lines.map(trimCr).filter((line) => line.trim() !== '');
  }

  /** At the end of the body: what came after the last newline ('' when nothing did). */
  finish(): string {
    const rest = trimCr(this.buffer + this.decoder.decode());
    this.buffer = '';
    return rest.trim() === '' ? '' : rest;
  }
}

function trimCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

export interface ExportHandlers {
  /** The start line: how many records there are, or null when the provider cannot tell. */
  onStart?: (total: number | null) => void;
  /** Items, in order, as they arrive (a batch per chunk read). */
  onItems: (items: IntegrationItem[]) => void;
  /** Everything before was delivered; `cursor` resumes after it. `count`: items of this stream so far. */
  onCursor?: (cursor: string, count: number) => void;
}

export type ExportOutcome =
  /** Every item arrived. */
  | { kind: 'end'; count: number; checkpoint: string | null }
  /** The server said the provider failed (an error line), or sent a line that is not NDJSON. */
  | { kind: 'error'; error: ApiError }
  /** The stream ended (or broke) without an end line. */
  | { kind: 'truncated' };

export function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The sync was cancelled.', 'AbortError');
}

export function lineError(line: { code: string; detail: string; retryAfter?: number }, status: number): ApiError {
  // A code this client does not know (e.g. `upstream_unavailable`) is the provider failing.
  const code: ApiErrorCode = isKnownCode(line.code) ? line.code : 'upstream_error';
  return reportFailure(new ApiError({ code, status, detail: line.detail || undefined, retryAfter: line.retryAfter }));
}

export function unexpectedLine(status: number, requestId: string | undefined): ApiError {
  return new ApiError({
    code: 'unexpected_response',
    status,
    detail: 'The server sent a line this page does not understand.',
    requestId,
  });
}

/**
 * Reads an export body to its end: calls `handlers` as lines arrive and tells how it ended.
 * Rejects only when `signal` aborts (with its reason); the body is then cancelled.
 */
/**
 * Reads an NDJSON body to its end, handing each run of whole lines to `handle` until it returns
 * how the stream ended. A connection that breaks, or a body that ends without such a line, is
 * `truncated`; an unterminated last line counts only when `isWhole` says it is a whole one.
 * Rejects only when `signal` aborts (with its reason); the body is then cancelled.
 */
export async function readLines<T>(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal | undefined,
  handle: (lines: readonly string[]) => T | null,
  isWhole: (rest: string) => boolean,
): Promise<T | { kind: 'truncated' }> {
  const reader = body.getReader();
  const decoder = new LineDecoder();
  const onAbort = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal?.aborted) throw abortError(signal);
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        // The connection broke mid-way (or we cancelled it).
        if (signal?.aborted) throw abortError(signal);
        return { kind: 'truncated' };
      }
      if (signal?.aborted) throw abortError(signal);
      if (chunk.done) break;
      const outcome = handle(decoder.push(chunk.value));
      if (outcome) return outcome;
    }
    // The body ended: a last line without its newline may still be a whole one.
    const rest = decoder.finish();
    if (rest !== '' && isWhole(rest)) {
      const outcome = handle([rest]);
      if (outcome) return outcome;
    }
    return { kind: 'truncated' };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Stop the download when we stop reading early (end, error line, a bad line).
    reader.cancel().catch(() => undefined);
  }
}

export async function readExport(
  body: ReadableStream<Uint8Array>,
  handlers: ExportHandlers,
  { signal, status = 200, requestId }: { signal?: AbortSignal; status?: number; requestId?: string } = {},
): Promise<ExportOutcome> {
  /** Handles complete lines; returns an outcome when one of them ends the stream. */
  const handle = (lines: readonly string[]): ExportOutcome | null => {
    let batch: IntegrationItem[] = [];
    const flush = () => {
      if (batch.length > 0) handlers.onItems(batch);
      batch = [];
    };
    for (const text of lines) {
      let line: ExportLine;
      try {
        line = parseExportLine(text);
      } catch {
        flush();
        return { kind: 'error', error: unexpectedLine(status, requestId) };
      }
      switch (line.type) {
        case 'item':
          batch.push(line.item);
          break;
        case 'start':
          flush();
          handlers.onStart?.(line.total);
          break;
        case 'cursor':
          flush();
          handlers.onCursor?.(line.cursor, line.count);
          break;
        case 'end':
          flush();
          return { kind: 'end', count: line.count, checkpoint: line.checkpoint };
        case 'error':
          flush();
          return { kind: 'error', error: lineError(line, status) };
        case 'other':
          break;
      }
    }
    flush();
    return null;
  };

  return readLines(body, signal, handle, (rest) => {
    try {
      parseExportLine(rest);
      return true;
    } catch {
      // Half a line: the stream was cut in it.
      return false;
    }
  });
}

/** The URL of the export of `provider`'s items (`objectType` null: the default kind), from `cursor` when resuming. */
export function exportUrl(
  provider: string,
  objectType: string | null,
  cursor: string | null = null,
  selection?: Selection,
): string {
  const params = new URLSearchParams(selectionParams(selection));
  if (objectType !== null) params.set('object_type', objectType);
  if (cursor !== null) params.set('cursor', cursor);
  // The total (a provider call) is asked for once, on the first request of a sync.
  else params.set('total', 'true');
  const query = params.toString();
  return apiUrl(`/api/integrations/${encodeURIComponent(provider)}/export${query ? `?${query}` : ''}`);
}

/** An NDJSON answer's body, once the server agreed to stream (2xx, not an HTML page). */
export interface NdjsonBody {
  body: ReadableStream<Uint8Array>;
  status: number;
  requestId: string | undefined;
}

/**
 * GETs `url` for NDJSON (or what `accept` asks for: the events feed's Server-Sent Events) with the identity headers. Rejects with an `ApiError` when the server
 * refuses before streaming (problem+json, as the items endpoint does) or cannot be reached, and
 * with the abort reason when `signal` aborts.
 */
export async function openNdjson(
  url: string,
  signal?: AbortSignal,
  accept = 'application/x-ndjson, application/problem+json',
): Promise<NdjsonBody> {
  let response: Response;
  try {
    response = await fetch(new URL(url, window.location.href), {
      headers: { Accept: accept, ...identityHeaders() },
      credentials: isCrossOrigin(API_BASE_URL) ? 'include' : 'same-origin',
      cache: 'no-store',
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw abortError(signal);
    throw new ApiError({
      code: 'network_error',
      status: 0,
      detail: error instanceof Error ? error.message : String(error),
    });
  }
  const headerOf = (name: string) => response.headers.get(name) || undefined;
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      // Not problem+json (a proxy's page): the status decides.
    }
    throw reportFailure(problemError(response.status, body, headerOf));
  }
  const type = response.headers.get('content-type') ?? '';
  if (!response.body || /html/i.test(type)) {
    void response.body?.cancel().catch(() => undefined);
    throw new ApiError({
      code: 'unexpected_response',
      status: response.status,
      detail: 'The server answered in a shape this page does not understand.',
      requestId: headerOf('x-request-id'),
    });
  }
  return { body: response.body, status: response.status, requestId: headerOf('x-request-id') };
}

/**
 * Streams `provider`'s items. Rejects with an `ApiError` when the server refuses before
 * streaming (problem+json, as the items endpoint does) or cannot be reached, and with the
 * abort reason when `signal` aborts; otherwise resolves with how the stream ended.
 */
export async function streamExport(
  provider: string,
  objectType: string | null,
  handlers: ExportHandlers,
  { cursor = null, signal, selection }: { cursor?: string | null; signal?: AbortSignal; selection?: Selection } = {},
): Promise<ExportOutcome> {
  const { body, status, requestId } = await openNdjson(exportUrl(provider, objectType, cursor, selection), signal);
  return readExport(body, handlers, { signal, status, requestId });
}
