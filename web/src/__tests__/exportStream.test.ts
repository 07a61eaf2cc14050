/**
 * The export stream's reader: NDJSON lines however the bytes are cut, the control lines, and
 * every way a stream can end (end line, error line, cut short, cancelled, refused up front).
 */
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import {
  LineDecoder,
  parseExportLine,
  readExport,
  streamExport,
  type ExportHandlers,
  type ExportOutcome,
} from '../api/exportStream';
import type { IntegrationItem } from '../api/models';
import { setToken } from '../auth/embed';
import { setAuthMode } from '../auth/mode';
import { ADA, contact, contacts, problem } from '../test/fixtures';
import { problemResponse, server } from '../test/server';
import { bodyOf, cursor, end, errorLine, exportResponse, feed, ndjson, split, start } from '../test/stream';

const encoder = new TextEncoder();

/** Everything the handlers were told, in order. */
function recorder() {
  const events: string[] = [];
  const items: IntegrationItem[] = [];
  let total: number | null | undefined;
  const handlers: ExportHandlers = {
    onStart: (value) => {
      total = value;
      events.push(`start:${String(value)}`);
    },
    onItems: (batch) => {
      items.push(...batch);
      events.push(`items:${batch.length}`);
    },
    onCursor: (value, count) => events.push(`cursor:${value}:${count}`),
  };
  return { handlers, events, items, total: () => total };
}

async function read(
  chunks: (string | Uint8Array)[],
): Promise<ExportOutcome & { items: IntegrationItem[]; total: number | null | undefined }> {
  const r = recorder();
  const outcome = await readExport(bodyOf(chunks), r.handlers);
  return { ...outcome, items: r.items, total: r.total() };
}

describe('parseExportLine', () => {
  it('tells control lines (a type and no id) from items (an id)', () => {
    expect(parseExportLine('{"type":"start","total":12345}')).toEqual({ type: 'start', total: 12345 });
    expect(parseExportLine('{"type":"start","total":null}')).toEqual({ type: 'start', total: null });
    expect(parseExportLine('{"type":"cursor","cursor":"200","count":200}')).toEqual({
      type: 'cursor',
      cursor: '200',
      count: 200,
    });
    expect(parseExportLine('{"type":"end","count":3,"checkpoint":"abc"}')).toEqual({
      type: 'end',
      count: 3,
      checkpoint: 'abc',
    });
    expect(parseExportLine('{"type":"error","code":"rate_limited","detail":"slow down"}')).toEqual({
      type: 'error',
      code: 'rate_limited',
      detail: 'slow down',
    });
    // A record whose own fields include `type` is still a record: it has an id.
    const odd = { ...ADA, type: 'end' };
    expect(parseExportLine(JSON.stringify(odd))).toEqual({ type: 'item', item: odd });
    // A control line from a newer server is skipped, not an error.
    expect(parseExportLine('{"type":"progress","count":5}')).toEqual({ type: 'other' });
  });

  it('rejects what is not a JSON object', () => {
    expect(() => parseExportLine('{"id":"1",')).toThrow();
    expect(() => parseExportLine('[1,2]')).toThrow();
    expect(() => parseExportLine('<html>')).toThrow();
    expect(() => parseExportLine('{"title":"no id"}')).toThrow();
  });
});

describe('LineDecoder', () => {
  it('joins a line cut across chunks and keeps the last partial line for later', () => {
    const decoder = new LineDecoder();
    expect(decoder.push(encoder.encode('{"a":'))).toEqual([]);
    expect(decoder.push(encoder.encode('1}\n{"b"'))).toEqual(['{"a":1}']);
    expect(decoder.push(encoder.encode(':2}\r\n\n{"c":3}\n'))).toEqual(['{"b":2}', '{"c":3}']);
    expect(decoder.finish()).toBe('');
  });

  it('decodes a multi-byte UTF-8 character split between chunks', () => {
    const text = '{"title":"Zoë 日本 🎉"}\n';
    const bytes = encoder.encode(text);
    const decoder = new LineDecoder();
    const lines: string[] = [];
    // One byte at a time: every character of more than one byte is split.
    for (const byte of bytes) lines.push(...decoder.push(new Uint8Array([byte])));
    expect(lines).toEqual(['{"title":"Zoë 日本 🎉"}']);
  });

  it('gives back what followed the last newline at the end', () => {
    const decoder = new LineDecoder();
    decoder.push(encoder.encode('{"a":1}\n{"type":"end"'));
    expect(decoder.finish()).toBe('{"type":"end"');
  });
});

describe('readExport', () => {
  const items = [contact(1), { ...contact(2), title: 'Zoë Ångström — 日本語 🎉' }, contact(3)];
  const body = ndjson([start(3), items[0], items[1], cursor('2', 2), items[2], end(3)]);

  it.each([1, 2, 3, 7, 64, 100_000])('reads every line in order with chunks of %i bytes', async (size) => {
    const r = recorder();
    const outcome = await readExport(bodyOf(split(body, size)), r.handlers);
    expect(outcome).toEqual({ kind: 'end', count: 3, checkpoint: 'eyJ2IjoxfQ' });
    expect(r.items).toEqual(items);
    expect(r.total()).toBe(3);
    // Items are handed over before the cursor that follows them.
    expect(r.events.filter((e) => !e.startsWith('items')).join(' ')).toBe('start:3 cursor:2:2');
    const cursorAt = r.events.indexOf('cursor:2:2');
    const before = r.events.slice(0, cursorAt).filter((e) => e.startsWith('items'));
    expect(before.reduce((n, e) => n + Number(e.split(':')[1]), 0)).toBe(2);
  });

  it('a total the provider cannot tell is null', async () => {
    const result = await read([ndjson([start(null), contact(1), end(1)])]);
    expect(result.kind).toBe('end');
    expect(result.total).toBeNull();
  });

  it('a server that sends no start line: total unknown, items still read', async () => {
    const result = await read([ndjson([contact(1), end(1)])]);
    expect(result.kind).toBe('end');
    expect(result.total).toBeUndefined();
    expect(result.items).toHaveLength(1);
  });

  it('no end line means the stream was cut short', async () => {
    const result = await read([ndjson([start(5), contact(1), contact(2), cursor('2', 2)])]);
    expect(result.kind).toBe('truncated');
    expect(result.items).toHaveLength(2);
  });

  it('half a line at the end is a cut, not an item', async () => {
    const result = await read([ndjson([start(5), contact(1)]), '{"id":"2","title":"Con']);
    expect(result.kind).toBe('truncated');
    expect(result.items).toHaveLength(1);
  });

  it('an end line without its final newline still ends the stream', async () => {
    const result = await read([ndjson([start(1), contact(1)]), JSON.stringify(end(1))]);
    expect(result.kind).toBe('end');
  });

  it('a connection that breaks mid-way is a cut', async () => {
    let sent = false;
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) {
          controller.error(new TypeError('network error'));
          return;
        }
        sent = true;
        controller.enqueue(encoder.encode(ndjson([start(9), contact(1)])));
      },
    });
    const r = recorder();
    expect(await readExport(broken, r.handlers)).toEqual({ kind: 'truncated' });
    expect(r.items).toHaveLength(1);
  });

  it('an error line ends the stream with the server’s code and detail', async () => {
    const result = await read([ndjson([start(5), contact(1), errorLine('rate_limited', 'Slow down')])]);
    expect(result.kind).toBe('error');
    if (result.kind !== 'error') return;
    expect(result.error).toBeInstanceOf(ApiError);
    expect(result.error.code).toBe('rate_limited');
    expect(result.error.detail).toBe('Slow down');
    expect(result.items).toHaveLength(1);
  });

  it('an error code this client does not know reads as the provider failing', async () => {
    const result = await read([ndjson([start(5), errorLine('upstream_unavailable', 'HubSpot is down')])]);
    expect(result.kind === 'error' && result.error.code).toBe('upstream_error');
    expect(result.kind === 'error' && result.error.kind).toBe('upstream');
  });

  it('a line that is not JSON is an unexpected answer', async () => {
    const result = await read([ndjson([start(5), contact(1), '<html>oops</html>', contact(2), end(2)])]);
    expect(result.kind === 'error' && result.error.code).toBe('unexpected_response');
    expect(result.items).toHaveLength(1);
  });

  it('cancelling stops the download and rejects', async () => {
    const source = feed();
    const controller = new AbortController();
    const r = recorder();
    const body = source.response().body;
    if (!body) throw new Error('no body');
    const reading = readExport(body, r.handlers, { signal: controller.signal });
    source.send(start(10), contact(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    await expect(reading).rejects.toBeDefined();
    await source.cancelled;
    expect(r.items).toHaveLength(1);
  });
});

describe('streamExport', () => {
  it('asks for the kind with the user’s identity, and streams the answer', async () => {
    let url = '';
    let userId: string | null = null;
    server.use(
      http.get('/api/integrations/hubspot/export', ({ request }) => {
        url = request.url;
        userId = request.headers.get('X-User-Id');
        return exportResponse([start(2), ...contacts(1, 2), end(2)]);
      }),
    );
    const r = recorder();
    const outcome = await streamExport('hubspot', 'contacts', r.handlers);
    expect(outcome.kind).toBe('end');
    expect(r.items.map((i) => i.id)).toEqual(['1', '2']);
    expect(new URL(url).searchParams.get('object_type')).toBe('contacts');
    expect(new URL(url).searchParams.has('cursor')).toBe(false);
    expect(userId).toBe('test_user');
  });

  it('in jwt mode sends the Bearer token and no user id, and resumes from a cursor', async () => {
    setAuthMode('jwt');
    setToken('header.payload.sig');
    let headers = new Headers();
    let url = '';
    server.use(
      http.get('/api/integrations/hubspot/export', ({ request }) => {
        headers = request.headers;
        url = request.url;
        return exportResponse([start(1), contact(1), end(1)]);
      }),
    );
    await streamExport('hubspot', null, recorder().handlers, { cursor: '200' });
    expect(headers.get('Authorization')).toBe('Bearer header.payload.sig');
    expect(headers.get('X-User-Id')).toBeNull();
    expect(new URL(url).searchParams.get('cursor')).toBe('200');
    expect(new URL(url).searchParams.has('object_type')).toBe(false);
  });

  it('a refusal before the stream is a problem+json ApiError, like any other call', async () => {
    server.use(
      http.get('/api/integrations/hubspot/export', () =>
        problemResponse(problem(403, 'insufficient_scope'), { 'X-Request-Id': 'req-7' }),
      ),
    );
    const error = await streamExport('hubspot', 'deals', recorder().handlers).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('insufficient_scope');
    expect((error as ApiError).needsReauth).toBe(true);
    expect((error as ApiError).requestId).toBe('req-7');
  });

  it('no server is a network error; an HTML page is an unexpected answer', async () => {
    server.use(http.get('/api/integrations/hubspot/export', () => HttpResponse.error()));
    const offline = await streamExport('hubspot', null, recorder().handlers).catch((e: unknown) => e);
    expect((offline as ApiError).code).toBe('network_error');
    server.use(http.get('/api/integrations/hubspot/export', () => HttpResponse.html('<html>proxy</html>')));
    const html = await streamExport('hubspot', null, recorder().handlers).catch((e: unknown) => e);
    expect((html as ApiError).code).toBe('unexpected_response');
  });
});
