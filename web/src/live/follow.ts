/**
 * Following a provider's events for as long as a page wants them: where to start (the stored
 * offset, or "now"), reconnecting after the server's 5-minute answers at once and after
 * failures with a growing, jittered delay (a 429's Retry-After honoured), a watchdog that drops
 * a connection that went silent (the server sends a keep-alive every 15 s), and the offset kept
 * after every batch so a reload resumes where this left off. A gap (events dropped) or an offset
 * the server refuses starts over from "now" and asks for a resync. Nothing runs after `signal`
 * aborts: no request, no timer.
 */
import { asApiError, type ApiError } from '../api/client';
import { currentOffset, followEvents, type EventLine, type FollowEnd, type LiveEvent } from '../api/eventsStream';

/**
 * `connecting`: asking (the first time, or again after the tab was hidden); `live`: the feed is
 * open; `reconnecting`: it dropped and the next try is scheduled; `unsupported`: the provider
 * sends no events; `stopped`: the connection is gone (not connected, needs reconnecting).
 */
export type FollowStatus = 'connecting' | 'live' | 'reconnecting' | 'unsupported' | 'stopped';

export interface FollowOptions {
  provider: string;
  signal: AbortSignal;
  /** The offset kept from an earlier visit (null: none). */
  loadOffset: () => Promise<string | null>;
  /** Keeps the offset to resume from (null: forget it). */
  saveOffset: (offset: string | null) => Promise<void> | void;
  /**
   * Events, oldest first. Their offset is kept (for a reload) only once what this returns has
   * settled — the events applied and stored — so a reload never resumes past an event it lost.
   */
  onEvents: (events: LiveEvent[]) => void | Promise<void>;
  onStatus: (status: FollowStatus, error?: ApiError) => void;
  /** Events were missed (a gap, or a refused offset): bring the datasets up to date another way. */
  onResync: () => void;
  /** Waits `ms` (tests pass a fake); resolves early, without error, when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** 0 ≤ x < 1, for the jitter. */
  random?: () => number;
  /** No byte for this long (keep-alives included): the connection is dead, reconnect. */
  silenceMs?: number;
}

export const SILENCE_MS = 45_000;
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_MAX_MS = 30_000;
/** A follow answer that ends sooner than this was not a normal 5-minute one: back off. */
export const SHORT_ANSWER_MS = 5_000;

/** The delay before try number `failures` (1 = the first retry): 1 s, 2 s, 4 s… up to 30 s, ±50 %. */
export function backoffMs(failures: number, random: () => number = Math.random, retryAfter?: number): number {
  if (retryAfter !== undefined) return Math.max(retryAfter * 1000, BACKOFF_BASE_MS);
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Failures after which following stops for good (until the page asks again). */
function stopsFollowing(error: ApiError): FollowStatus | null {
  if (error.code === 'events_unsupported') return 'unsupported';
  if (['not_connected', 'reauth_required', 'insufficient_scope', 'unknown_provider'].includes(error.code)) return 'stopped';
  // A 401 other than `unauthenticated` (jwt: the host hands a new token; try again) is a lost grant.
  if (error.status === 401 && error.code !== 'unauthenticated') return 'stopped';
  return null;
}

/** Follows until `signal` aborts or the feed says it cannot go on; resolves then (never rejects). */
export async function follow(options: FollowOptions): Promise<void> {
  const { provider, signal, onStatus } = options;
  const wait = options.sleep ?? sleep;
  const random = options.random ?? Math.random;
  const silenceMs = options.silenceMs ?? SILENCE_MS;
  let offset: string | null = null;
  try {
    offset = await options.loadOffset();
  } catch {
    offset = null;
  }
  let failures = 0;
  let refusedOffsets = 0;
  let status: FollowStatus | null = null;
  const setStatus = (next: FollowStatus, error?: ApiError) => {
    if (signal.aborted || (next === status && error === undefined)) return;
    status = next;
    onStatus(next, error);
  };
  setStatus('connecting');

  // The offset in memory moves at once (a reconnect asks from there); the stored one moves in
  // order, each after what came before it was applied and stored.
  let stored: Promise<void> = Promise.resolve();
  const keep = (next: string | null, after?: void | Promise<void>): Promise<void> => {
    offset = next;
    stored = stored
      .then(() => after)
      .catch(() => undefined)
      .then(() => options.saveOffset(next))
      .catch(() => {
        // Only a reload would miss it: the next one resumes from an older offset (harmless).
      });
    return stored;
  };

  while (!signal.aborted) {
    // One attempt: its own controller, so the watchdog can drop it without stopping the follow.
    const attempt = new AbortController();
    const stopAttempt = () => attempt.abort(signal.reason);
    signal.addEventListener('abort', stopAttempt, { once: true });
    let watchdog: ReturnType<typeof setTimeout> | null = null;
    let silent = false;
    const arm = () => {
      if (watchdog !== null) clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        silent = true;
        attempt.abort(new DOMException('No keep-alive from the events feed.', 'TimeoutError'));
      }, silenceMs);
    };
    const openedAt = { at: 0 };
    let delivered = false;
    let outcome: FollowEnd | { kind: 'failed'; error: ApiError } | { kind: 'silent' };
    try {
      if (offset === null) {
        await keep(await currentOffset(provider, attempt.signal));
      }
      arm();
      outcome = await followEvents(
        provider,
        offset,
        {
          onOpen: () => {
            openedAt.at = Date.now();
            setStatus('live');
          },
          onActivity: arm,
          onLines: (lines: EventLine[]) => {
            const events: LiveEvent[] = [];
            let next = offset;
            let gap = false;
            for (const line of lines) {
              if (line.type === 'event') {
                events.push(line.event);
                next = line.event.offset;
              } else if (line.type === 'gap' || line.type === 'end') {
                next = line.offset;
                if (line.type === 'gap') gap = true;
              }
            }
            if (gap) options.onResync();
            let applied: void | Promise<void> = undefined;
            if (events.length > 0) {
              delivered = true;
              applied = options.onEvents(events);
            }
            if (next !== offset) void keep(next, applied);
          },
        },
        attempt.signal,
      );
    } catch (error) {
      if (signal.aborted) break;
      outcome = silent ? { kind: 'silent' } : { kind: 'failed', error: asApiError(error) };
    } finally {
      if (watchdog !== null) clearTimeout(watchdog);
      signal.removeEventListener('abort', stopAttempt);
    }
    if (signal.aborted) break;

    // An answer that brought events, or stayed open a while, worked: the delays start over.
    const worked = delivered || (openedAt.at > 0 && Date.now() - openedAt.at >= SHORT_ANSWER_MS);
    if (worked) {
      failures = 0;
      refusedOffsets = 0;
    }
    let retryAfter: number | undefined;
    if (outcome.kind === 'closed') {
      // The server's answer ran its course (5 minutes): reconnect at once. A short one backs off.
      if (worked && Date.now() - openedAt.at >= SHORT_ANSWER_MS) continue;
    } else if (outcome.kind === 'failed' || outcome.kind === 'error') {
      const error = outcome.error;
      const final = stopsFollowing(error);
      if (final) {
        setStatus(final, error);
        return;
      }
      if (error.code === 'invalid_request' && offset !== null && refusedOffsets < 3) {
        // An offset the server does not take (malformed, another account's): start from now.
        refusedOffsets += 1;
        await keep(null);
        options.onResync();
        continue;
      }
      retryAfter = error.code === 'rate_limited' ? error.retryAfter : undefined;
    }
    failures += 1;
    setStatus('reconnecting');
    await wait(backoffMs(failures, random, retryAfter), signal);
  }
}
