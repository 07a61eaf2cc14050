/**
 * The events feed: its lines, Server-Sent Events however the bytes are cut, and following it
 * (where it starts, the offset kept, reconnecting with backoff, a gap or a refused offset
 * starting over with a resync, stopping for good, a silent connection dropped, no request after
 * stopping); and events applied to a synced dataset.
 */
import { describe, expect, it, vi } from 'vitest';
import { parseEventLine, SseDecoder, type LiveEvent } from '../api/eventsStream';
import type { IntegrationItem } from '../api/models';
import { applyEvents } from '../dataset/events';
import { EMPTY_DATASET, type Dataset } from '../dataset/model';
import { loadEventOffset, saveEventOffset, deleteDatasets } from '../dataset/store';
import { kindOf } from '../hooks/useLiveEvents';
import { backoffMs, follow, type FollowStatus } from '../live/follow';
import { contact, problem } from '../test/fixtures';
import { eventLine, eventsHandler, sseFeed, sseFrame, type EventsRequest } from '../test/events';
import { problemResponse, server } from '../test/server';
import { split } from '../test/stream';

describe('event lines', () => {
  it('reads upserts with a property, deletes, merges, associations, gaps, ends and errors', () => {
    const upsert = parseEventLine(
      JSON.stringify(eventLine('upsert', '101', 'o1', { property: { name: 'lifecyclestage', value: 'customer' } })),
    );
    expect(upsert).toEqual({
      type: 'event',
      event: {
        type: 'upsert',
        objectType: 'contacts',
        id: '101',
        occurredAt: Date.parse('2026-12-07T09:00:00Z'),
        offset: 'o1',
        property: { name: 'lifecyclestage', value: 'customer' },
      },
    });
    expect(parseEventLine(JSON.stringify(eventLine('upsert', '7', 'o2', { property: { name: 'email', value: null } }))))
      .toMatchObject({ event: { property: { name: 'email', value: null } } });
    expect(parseEventLine(JSON.stringify(eventLine('merge', '3', 'o3', { merged_ids: ['1', 2] })))).toMatchObject({
      event: { type: 'merge', mergedIds: ['1', '2'] },
    });
    expect(
      parseEventLine(JSON.stringify(eventLine('association', '3', 'o4', { associated: { object_type: 'companies', id: '9', removed: true } }))),
    ).toMatchObject({ event: { associated: { objectType: 'companies', id: '9', removed: true } } });
    expect(parseEventLine(JSON.stringify({ ...eventLine('delete', '42', 'o5'), id: 42 }))).toMatchObject({ event: { id: '42' } });
    expect(parseEventLine('{"type":"gap","offset":"g"}')).toEqual({ type: 'gap', offset: 'g' });
    expect(parseEventLine('{"type":"end","offset":"e"}')).toEqual({ type: 'end', offset: 'e' });
    expect(parseEventLine('{"type":"error","code":"store_unavailable","detail":"down"}')).toEqual({
      type: 'error',
      code: 'store_unavailable',
      detail: 'down',
    });
  });

  it('skips what a newer server adds, refuses what is not a line, keeps the arrival time for a bad date', () => {
    expect(parseEventLine('{"type":"idle","offset":"i"}')).toEqual({ type: 'other' });
    expect(parseEventLine('{"type":"restore","id":"1","offset":"x","object_type":"contacts"}')).toEqual({ type: 'other' });
    expect(parseEventLine('not json')).toBeNull();
    expect(parseEventLine('[1]')).toBeNull();
    expect(parseEventLine(JSON.stringify({ ...eventLine('delete', '1', 'o'), offset: undefined }))).toBeNull();
    expect(parseEventLine(JSON.stringify({ ...eventLine('delete', '1', 'o'), id: null }))).toBeNull();
    expect(parseEventLine('{"type":"gap"}')).toBeNull();
    expect(parseEventLine(JSON.stringify({ ...eventLine('delete', '1', 'o'), occurred_at: 'soon' }), 1234)).toMatchObject({
      event: { occurredAt: 1234 },
    });
  });
});

describe('Server-Sent Events', () => {
  const text = [
    'retry: 2000\n\n',
    ': idle\n\n',
    sseFrame(eventLine('upsert', '101', 'o1', { property: { name: 'firstname', value: 'Adä' } })),
    'id: o2\r\nevent: delete\r\ndata: {"type":"delete",\r\ndata: "id":"5"}\r\n\r\n',
    'event: gap\rdata:{"type":"gap","offset":"o3"}\r\r',
    'event: nothing\n\n',
  ].join('');

  function decodeAll(chunks: readonly Uint8Array[]) {
    const decoder = new SseDecoder();
    const messages = chunks.flatMap((chunk) => decoder.push(chunk));
    return { messages, decoder };
  }

  it('dispatches the same events however the bytes are cut (CRLF, CR, multi-byte characters, comments)', () => {
    const whole = decodeAll(split(text, text.length * 4));
    expect(whole.messages).toEqual([
      { id: 'o1', event: 'upsert', data: JSON.stringify(eventLine('upsert', '101', 'o1', { property: { name: 'firstname', value: 'Adä' } })) },
      { id: 'o2', event: 'delete', data: '{"type":"delete",\n"id":"5"}' },
      // No id of its own: the last id carries over (as EventSource does).
      { id: 'o2', event: 'gap', data: '{"type":"gap","offset":"o3"}' },
    ]);
    expect(whole.decoder.retry).toBe(2000);
    expect(whole.decoder.comments).toBe(1);
    for (const size of [1, 2, 3, 7, 64]) {
      expect(decodeAll(split(text, size)).messages, `chunks of ${size} bytes`).toEqual(whole.messages);
    }
  });

  it('waits for the blank line before dispatching, and for the LF after a CR at the end of a chunk', () => {
    const decoder = new SseDecoder();
    expect(decoder.push('data: {"a":1}\r')).toEqual([]);
    expect(decoder.push('\n')).toEqual([]);
    expect(decoder.push('\r\n')).toEqual([{ id: null, event: 'message', data: '{"a":1}' }]);
    expect(decoder.push('data:  two spaces\n\n')).toEqual([{ id: null, event: 'message', data: ' two spaces' }]);
  });
});

/** A follow run under test: what it said and kept, its waits (instant), stopped by `stop()`. */
function startFollow({
  stored = null as string | null,
  silenceMs = 60_000,
  applied = () => Promise.resolve() as Promise<void>,
} = {}) {
  const controller = new AbortController();
  const statuses: FollowStatus[] = [];
  const events: LiveEvent[][] = [];
  const saved: (string | null)[] = [];
  const waits: number[] = [];
  const onResync = vi.fn();
  let offset = stored;
  const done = follow({
    provider: 'hubspot',
    signal: controller.signal,
    loadOffset: () => Promise.resolve(offset),
    saveOffset: (next) => {
      offset = next;
      saved.push(next);
    },
    onEvents: (batch) => {
      events.push(batch);
      return applied();
    },
    onStatus: (status) => statuses.push(status),
    onResync,
    sleep: (ms, signal) => {
      waits.push(ms);
      return signal.aborted ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, 1));
    },
    random: () => 0.999999,
    silenceMs,
  });
  return { controller, statuses, events, saved, waits, onResync, done, stop: () => controller.abort(), offset: () => offset };
}

describe('following the events', () => {
  it('starts from "now" (a poll without since), then follows as SSE with the identity headers and keeps each offset', async () => {
    const seen: EventsRequest[] = [];
    const feed = sseFeed();
    server.use(eventsHandler('hubspot', () => feed.response(), { seen }));
    const fetches = vi.spyOn(globalThis, 'fetch');
    const run = startFollow();
    await vi.waitFor(() => expect(run.statuses).toContain('live'));
    expect(seen).toEqual([
      { since: null, wait: '0', sse: false, userId: 'test_user' },
      { since: 'o-now', wait: null, sse: true, userId: 'test_user' },
    ]);
    expect(run.saved).toEqual(['o-now']);
    feed.send(eventLine('upsert', '1', 'o1'), eventLine('delete', '2', 'o2'));
    await vi.waitFor(() => expect(run.offset()).toBe('o2'));
    expect(run.events.flat().map((e) => [e.type, e.id])).toEqual([
      ['upsert', '1'],
      ['delete', '2'],
    ]);
    expect(run.statuses).toEqual(['connecting', 'live']);
    run.stop();
    await run.done;
    // No request left open: every one was made with a signal that is now aborted.
    expect(fetches).toHaveBeenCalledTimes(2);
    for (const [, init] of fetches.mock.calls) expect(init?.signal?.aborted).toBe(true);
    feed.send(eventLine('upsert', '3', 'o3'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(run.events.flat()).toHaveLength(2);
    fetches.mockRestore();
  });

  it('keeps an offset only once its events are applied and stored, in order', async () => {
    const feed = sseFeed();
    server.use(eventsHandler('hubspot', () => feed.response()));
    const pending: (() => void)[] = [];
    const run = startFollow({
      stored: 'o0',
      applied: () => new Promise<void>((resolve) => pending.push(resolve)),
    });
    await vi.waitFor(() => expect(run.statuses).toContain('live'));
    feed.send(eventLine('delete', '1', 'o1'));
    await vi.waitFor(() => expect(pending).toHaveLength(1));
    feed.send(eventLine('delete', '2', 'o2'));
    await vi.waitFor(() => expect(pending).toHaveLength(2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(run.saved).toEqual([]);
    pending[1]?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The second batch is stored, but the first is not: neither offset is kept yet.
    expect(run.saved).toEqual([]);
    pending[0]?.();
    await vi.waitFor(() => expect(run.saved).toEqual(['o1', 'o2']));
    run.stop();
    await run.done;
  });

  it('resumes from the kept offset without asking where "now" is', async () => {
    const seen: EventsRequest[] = [];
    const feed = sseFeed();
    server.use(eventsHandler('hubspot', () => feed.response(), { seen }));
    const run = startFollow({ stored: 'o-kept' });
    await vi.waitFor(() => expect(run.statuses).toContain('live'));
    expect(seen.map((r) => [r.since, r.sse])).toEqual([['o-kept', true]]);
    run.stop();
    await run.done;
  });

  it('reconnects after a failure with growing delays, from the last offset, and says it is reconnecting', async () => {
    const seen: EventsRequest[] = [];
    const feed = sseFeed();
    server.use(
      eventsHandler(
        'hubspot',
        (_request, n) => {
          if (n <= 3) return problemResponse(problem(503, 'store_unavailable'));
          if (n === 4) {
            const first = sseFeed();
            first.send(eventLine('upsert', '1', 'o1'));
            first.close(); // cut short at once: a failure too
            return first.response();
          }
          return feed.response();
        },
        { seen },
      ),
    );
    const run = startFollow({ stored: 'o0' });
    await vi.waitFor(() => expect(seen.length).toBe(5));
    await vi.waitFor(() => expect(run.statuses.at(-1)).toBe('live'));
    expect(run.waits).toEqual([1000, 2000, 4000, 1000]);
    expect(run.statuses).toEqual(['connecting', 'reconnecting', 'live', 'reconnecting', 'live']);
    expect(seen.map((r) => r.since)).toEqual(['o0', 'o0', 'o0', 'o0', 'o1']);
    run.stop();
    await run.done;
  });

  it('waits as long as a 429 says', async () => {
    const feed = sseFeed();
    server.use(
      eventsHandler('hubspot', (_r, n) =>
        n === 1 ? problemResponse(problem(429, 'rate_limited'), { 'Retry-After': '7' }) : feed.response(),
      ),
    );
    const run = startFollow({ stored: 'o0' });
    await vi.waitFor(() => expect(run.statuses.at(-1)).toBe('live'));
    expect(run.waits).toEqual([7000]);
    run.stop();
    await run.done;
  });

  it('a gap line asks for a resync and moves on from its offset', async () => {
    const feed = sseFeed();
    server.use(eventsHandler('hubspot', () => feed.response()));
    const run = startFollow({ stored: 'old' });
    await vi.waitFor(() => expect(run.statuses).toContain('live'));
    feed.send({ type: 'gap', offset: 'g1' }, eventLine('upsert', '1', 'o9'));
    await vi.waitFor(() => expect(run.offset()).toBe('o9'));
    expect(run.onResync).toHaveBeenCalledTimes(1);
    expect(run.events.flat().map((e) => e.offset)).toEqual(['o9']);
    run.stop();
    await run.done;
  });

  it('an offset the server refuses (invalid_request) is forgotten: a resync, and it starts over from "now"', async () => {
    const seen: EventsRequest[] = [];
    const feed = sseFeed();
    server.use(
      eventsHandler('hubspot', (request) => (request.since === 'foreign' ? problemResponse(problem(400, 'invalid_request')) : feed.response()), {
        seen,
      }),
    );
    const run = startFollow({ stored: 'foreign' });
    await vi.waitFor(() => expect(run.statuses).toContain('live'));
    expect(run.onResync).toHaveBeenCalledTimes(1);
    expect(run.saved).toEqual([null, 'o-now']);
    expect(seen.map((r) => [r.since, r.sse])).toEqual([
      ['foreign', true],
      [null, false],
      ['o-now', true],
    ]);
    expect(run.waits).toEqual([]);
    run.stop();
    await run.done;
  });

  it('a provider without events stops at once (unsupported), and so does a lost connection', async () => {
    const seen: EventsRequest[] = [];
    server.use(eventsHandler('hubspot', () => problemResponse(problem(400, 'events_unsupported')), { seen }));
    const run = startFollow({ stored: 'o0' });
    await run.done;
    expect(run.statuses).toEqual(['connecting', 'unsupported']);
    expect(seen).toHaveLength(1);

    server.use(eventsHandler('hubspot', () => problemResponse(problem(404, 'not_connected'))));
    const gone = startFollow({ stored: 'o0' });
    await gone.done;
    expect(gone.statuses).toEqual(['connecting', 'stopped']);
  });

  it('an error line or a silent connection (no keep-alive) reconnects', async () => {
    const seen: EventsRequest[] = [];
    const last = sseFeed();
    server.use(
      eventsHandler(
        'hubspot',
        (_r, n) => {
          if (n === 1) {
            const broken = sseFeed();
            broken.send({ type: 'error', code: 'store_unavailable', detail: 'down' } as { type: string });
            return broken.response();
          }
          if (n === 2) return sseFeed().response(); // says nothing, ever
          return last.response();
        },
        { seen },
      ),
    );
    const run = startFollow({ stored: 'o0', silenceMs: 80 });
    await vi.waitFor(() => expect(seen.length).toBe(3));
    expect(run.statuses.filter((s) => s === 'reconnecting').length).toBeGreaterThanOrEqual(2);
    // The live one is kept alive by its comments.
    for (let i = 0; i < 4; i += 1) {
      last.raw(': idle\n\n');
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    expect(seen.length).toBe(3);
    run.stop();
    await run.done;
  });

  it('stopping during a wait sends nothing more', async () => {
    const seen: EventsRequest[] = [];
    server.use(eventsHandler('hubspot', () => problemResponse(problem(502, 'upstream_error')), { seen }));
    const controller = new AbortController();
    let release: () => void = () => undefined;
    const done = follow({
      provider: 'hubspot',
      signal: controller.signal,
      loadOffset: () => Promise.resolve('o0'),
      saveOffset: () => undefined,
      onEvents: () => undefined,
      onStatus: () => undefined,
      onResync: () => undefined,
      sleep: (_ms, signal) =>
        new Promise((resolve) => {
          release = () => resolve();
          signal.addEventListener('abort', () => resolve(), { once: true });
        }),
    });
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    controller.abort();
    await done;
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toHaveLength(1);
  });

  it('backs off 1 s, 2 s, 4 s… up to 30 s, with jitter of up to half', () => {
    expect([1, 2, 3, 4, 5, 6, 9].map((n) => backoffMs(n, () => 0.999999))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(backoffMs(3, () => 0)).toBe(2000);
    expect(backoffMs(1, () => 0, 12)).toBe(12000);
  });

  it('keeps the offset per user and provider beside the datasets; a disconnect forgets it', async () => {
    await saveEventOffset('test_user', 'hubspot', 'o7');
    await saveEventOffset('someone_else', 'hubspot', 'theirs');
    expect(await loadEventOffset('test_user', 'hubspot')).toBe('o7');
    expect(await loadEventOffset('test_user', 'notion')).toBeNull();
    await deleteDatasets('test_user', 'hubspot');
    expect(await loadEventOffset('test_user', 'hubspot')).toBeNull();
    expect(await loadEventOffset('someone_else', 'hubspot')).toBe('theirs');
  });
});

describe('events applied to a synced dataset', () => {
  const at = (iso: string) => Date.parse(iso);
  const event = (type: LiveEvent['type'], id: string, extra: Partial<LiveEvent> = {}): LiveEvent => ({
    type,
    objectType: 'contacts',
    id,
    occurredAt: at('2026-12-07T09:00:00Z'),
    offset: `o-${type}-${id}`,
    ...extra,
  });
  const dataset = (items: IntegrationItem[]): Dataset => ({ ...EMPTY_DATASET, items, checkpoint: 'cp', syncedAt: 1 });

  it('a property change updates the record in place (its place kept); a delete removes it; a merge removes the merged', () => {
    const two = { ...contact(2), title: 'Contact 2', properties: { ...contact(2).properties, lifecyclestage: 'lead' } };
    const before = dataset([contact(1), two, contact(3), contact(4)]);
    const events = [
      event('upsert', '2', { property: { name: 'lifecyclestage', value: 'customer' } }),
      // A name property: the title made of them follows.
      event('upsert', '2', { property: { name: 'firstname', value: 'Grace' } }),
      event('delete', '3'),
      event('merge', '1', { mergedIds: ['4', 'not-here'] }),
    ];
    const { dataset: after, changed, removed } = applyEvents(before, events);
    expect(after.items.map((i) => i.id)).toEqual(['1', '2']);
    expect(after.items[1]?.properties.lifecyclestage).toBe('customer');
    expect(after.items[1]?.properties.email).toBe('contact2@example.com');
    expect(after.items[1]?.updated_at).toBe('2026-12-07T09:00:00.000Z');
    expect(after.items[1]?.title).toBe('Grace 2');
    expect([...changed].sort()).toEqual(['1', '2']);
    expect([...removed].sort()).toEqual(['3', '4']);
    expect(after.checkpoint).toBe('cp');
    // The dataset given is not changed, and applying the same events again changes nothing more.
    expect(before.items).toHaveLength(4);
    expect(applyEvents(after, events).dataset).toBe(after);
  });

  it('leaves the dataset alone for records it does not hold, properties it does not hold, upserts without a property and older events', () => {
    const before = dataset([contact(1), { ...contact(2), updated_at: '2026-12-07T10:00:00Z' }]);
    const result = applyEvents(before, [
      event('upsert', '99', { property: { name: 'firstname', value: 'New' } }),
      event('upsert', '1'),
      // A property the dataset does not hold: the row changed, the data waits for the changes run.
      event('upsert', '1', { property: { name: 'lifecyclestage', value: 'customer' } }),
      event('association', '1', { associated: { objectType: 'companies', id: '5', removed: false } }),
      // Older than the record we synced: replayed after a reload, it must not undo the sync.
      event('upsert', '2', { property: { name: 'firstname', value: 'Stale' } }),
    ]);
    expect(result.dataset).toBe(before);
    expect([...result.changed]).toEqual(['1']);
  });

  it('events go to the dataset of their kind: by object type with several kinds, the default kind with one', () => {
    const several = [
      { id: 'contacts', noun: 'contact', scopes: [] },
      { id: 'deals', noun: 'deal', scopes: [] },
    ];
    expect(kindOf(several, 'deals')).toBe('deals');
    expect(kindOf(several, '2-3456')).toBeUndefined();
    expect(kindOf([{ id: 'pages', noun: 'page', scopes: [] }], 'pages')).toBeNull();
    expect(kindOf([{ id: 'pages', noun: 'page', scopes: [] }], 'databases')).toBeUndefined();
  });
});

