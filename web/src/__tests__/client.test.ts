import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { ApiError, apiClient, parseRetryAfter } from '../api/client';
import { setUserId } from '../session';
import { problem } from '../test/fixtures';
import { problemResponse, server } from '../test/server';

async function failureOf(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected the request to fail');
}

describe('api client', () => {
  it('sends the current user id as X-User-Id on every request', async () => {
    const seen: (string | null)[] = [];
    server.use(
      http.get('/api/ping', ({ request }) => {
        seen.push(request.headers.get('X-User-Id'));
        return HttpResponse.json({});
      }),
    );
    await apiClient.get('/api/ping');
    setUserId('ada@example.com');
    await apiClient.get('/api/ping');
    expect(seen).toEqual(['test_user', 'ada@example.com']);
  });

  it('maps a problem+json body to an ApiError routed by code, not status', async () => {
    server.use(http.get('/api/x', () => problemResponse(problem(409, 'not_connected'))));
    const error = await failureOf(apiClient.get('/api/x'));
    expect(error.code).toBe('not_connected');
    expect(error.status).toBe(409);
    expect(error.detail).toBe('Problem: not_connected');
    expect(error.needsReauth).toBe(false);
  });

  it('reads retry_after from the body, or else the Retry-After header', async () => {
    server.use(
      http.get('/api/body', () => problemResponse(problem(429, 'rate_limited', { retry_after: 7 }), { 'Retry-After': '3' })),
      http.get('/api/header', () => problemResponse(problem(429, 'rate_limited'), { 'Retry-After': '4' })),
    );
    expect((await failureOf(apiClient.get('/api/body'))).retryAfter).toBe(7);
    const fromHeader = await failureOf(apiClient.get('/api/header'));
    expect(fromHeader.code).toBe('rate_limited');
    expect(fromHeader.retryAfter).toBe(4);
  });

  it('treats a bare 401 as needing reauthorization', async () => {
    server.use(http.get('/api/y', () => new HttpResponse('nope', { status: 401 })));
    const error = await failureOf(apiClient.get('/api/y'));
    expect(error.code).toBe('reauth_required');
    expect(error.needsReauth).toBe(true);
  });

  it('reports a network failure as network_error', async () => {
    server.use(http.get('/api/z', () => HttpResponse.error()));
    const error = await failureOf(apiClient.get('/api/z'));
    expect(error.code).toBe('network_error');
    expect(error.status).toBe(0);
  });

  it('keeps the X-Request-Id and sorts failures into kinds a person can act on', async () => {
    server.use(
      http.get('/api/a', () => problemResponse(problem(502, 'upstream_error'), { 'X-Request-Id': 'r-1' })),
      http.get('/api/b', () => new HttpResponse('gateway', { status: 504 })),
      http.get('/api/c', () => new HttpResponse('forbidden', { status: 403 })),
      http.get('/api/d', () => problemResponse(problem(500, 'internal_error'))),
    );
    const a = await failureOf(apiClient.get('/api/a'));
    expect([a.requestId, a.kind]).toEqual(['r-1', 'upstream']);
    const b = await failureOf(apiClient.get('/api/b'));
    expect([b.code, b.kind, b.requestId]).toEqual(['upstream_timeout', 'upstream', undefined]);
    const c = await failureOf(apiClient.get('/api/c'));
    expect([c.code, c.needsReauth]).toEqual(['insufficient_scope', true]);
    expect((await failureOf(apiClient.get('/api/d'))).kind).toBe('unexpected');
  });

  it('an unauthenticated 401 is not a provider reauth', async () => {
    server.use(http.get('/api/u', () => problemResponse(problem(401, 'unauthenticated'))));
    const error = await failureOf(apiClient.get('/api/u'));
    expect(error.code).toBe('unauthenticated');
    expect(error.needsReauth).toBe(false);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('12')).toBe(12);
    expect(parseRetryAfter(2.2)).toBe(3);
    expect(parseRetryAfter('Wed, 25 Nov 2026 10:00:30 GMT', Date.parse('2026-11-25T10:00:00Z'))).toBe(30);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
