import { http, HttpResponse } from 'msw';

const encoder = new TextEncoder();

/** An event line as the server writes it (NDJSON line, or an SSE event's data). */
export function eventLine(
  type: 'upsert' | 'delete' | 'merge' | 'association',
  id: string,
  offset: string,
  extra: Record<string, unknown> = {},
) {
  return { type, object_type: 'contacts', id, occurred_at: '2026-12-07T09:00:00Z', offset, ...extra };
}

/** One SSE frame of a feed line: `id` (its offset), `event` (its type), `data` (the JSON). */
export function sseFrame(line: { type: string; offset?: string }): string {
  return `${line.offset ? `id: ${line.offset}\n` : ''}event: ${line.type}\ndata: ${JSON.stringify(line)}\n\n`;
}

/** A follow answer the test feeds frame by frame (and sees cancelled). */
export function sseFeed() {
  let controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      c.enqueue(encoder.encode('retry: 2000\n\n'));
    },
    cancel() {
      cancelled = true;
    },
  });
  return {
    response: () => new HttpResponse(body, { headers: { 'Content-Type': 'text/event-stream' } }),
    send: (...lines: { type: string; offset?: string }[]) => controller?.enqueue(encoder.encode(lines.map(sseFrame).join(''))),
    raw: (text: string) => controller?.enqueue(encoder.encode(text)),
    close: () => controller?.close(),
    get cancelled() {
      return cancelled;
    },
  };
}

/** The requests an events handler saw: their `since`, `wait` and `Accept`. */
export interface EventsRequest {
  since: string | null;
  wait: string | null;
  sse: boolean;
  userId: string | null;
}

/**
 * `/events` for `provider`: a poll (no `Accept: text/event-stream`) answers `end` with `now`;
 * a follow is answered by `follow` (called with the request, in order).
 */
export function eventsHandler(
  provider: string,
  follow: (request: EventsRequest, n: number) => Response | Promise<Response>,
  { now = 'o-now', seen = [] as EventsRequest[] } = {},
) {
  let follows = 0;
  return http.get(`/api/integrations/${provider}/events`, ({ request }) => {
    const url = new URL(request.url);
    const seenRequest: EventsRequest = {
      since: url.searchParams.get('since'),
      wait: url.searchParams.get('wait'),
      sse: (request.headers.get('accept') ?? '').includes('text/event-stream'),
      userId: request.headers.get('x-user-id'),
    };
    seen.push(seenRequest);
    if (!seenRequest.sse) {
      return new HttpResponse(`${JSON.stringify({ type: 'end', offset: now })}\n`, { headers: { 'Content-Type': 'application/x-ndjson' } });
    }
    follows += 1;
    return follow(seenRequest, follows);
  });
}
