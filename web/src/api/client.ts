/**
 * The one axios instance the UI talks to the server with. It names the user (`X-User-Id` in
 * dev mode, `Authorization: Bearer` in jwt mode) and turns every failure into an `ApiError`,
 * so callers route on `code` (and `kind` for the words shown to people).
 */
import axios, { AxiosError, type AxiosResponse } from 'axios';
import { getToken, reportTokenExpired } from '../auth/embed';
import { getAuthMode } from '../auth/mode';
import { API_BASE_URL } from '../config';
import { getUserId } from '../session';
import type { ApiErrorCode, KnownErrorCode } from './models';

/** Every code of the generated `ProblemCode`: a new one fails the type check until it is handled here. */
const KNOWN: Record<KnownErrorCode, true> = {
  invalid_request: true,
  changes_unsupported: true,
  events_unsupported: true,
  search_unsupported: true,
  discovery_unsupported: true,
  associations_unsupported: true,
  lookup_unsupported: true,
  invalid_webhook: true,
  invalid_state: true,
  unauthenticated: true,
  reauth_required: true,
  invalid_signature: true,
  insufficient_scope: true,
  unknown_provider: true,
  not_found: true,
  record_not_found: true,
  not_connected: true,
  method_not_allowed: true,
  payload_too_large: true,
  rate_limited: true,
  internal_error: true,
  upstream_error: true,
  store_unavailable: true,
  auth_unavailable: true,
  upstream_timeout: true,
};
const KNOWN_CODES = Object.keys(KNOWN) as readonly KnownErrorCode[];

/**
 * What kind of failure, for the words a person reads: we could not reach our server; the
 * provider failed; or an answer we did not expect (a bug, a bad request).
 */
export type FailureKind = 'network' | 'upstream' | 'unexpected' | 'other';

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  /** HTTP status, or 0 when no response arrived. */
  readonly status: number;
  readonly detail: string | undefined;
  /** Seconds to wait before retrying (rate limiting), when the server said. */
  readonly retryAfter: number | undefined;
  /** The server's `X-Request-Id`, to quote to support. */
  readonly requestId: string | undefined;

  constructor(init: {
    code: ApiErrorCode;
    status: number;
    detail?: string;
    retryAfter?: number;
    title?: string;
    requestId?: string;
  }) {
    super(init.detail ?? init.title ?? init.code);
    this.name = 'ApiError';
    this.code = init.code;
    this.status = init.status;
    this.detail = init.detail;
    this.retryAfter = init.retryAfter;
    this.requestId = init.requestId;
  }

  /** The stored provider authorization no longer works; the user must connect again. */
  get needsReauth(): boolean {
    return (
      this.code === 'reauth_required' ||
      this.code === 'insufficient_scope' ||
      (this.status === 401 && this.code !== 'invalid_state' && this.code !== 'unauthenticated')
    );
  }

  get kind(): FailureKind {
    switch (this.code) {
      case 'network_error':
      case 'timeout':
      case 'store_unavailable':
      case 'auth_unavailable':
        return 'network';
      case 'upstream_error':
      case 'upstream_timeout':
        return 'upstream';
      case 'unexpected_response':
      case 'unknown_error':
      case 'internal_error':
      case 'invalid_request':
      case 'changes_unsupported':
      case 'events_unsupported':
      case 'search_unsupported':
      case 'discovery_unsupported':
      case 'associations_unsupported':
      case 'lookup_unsupported':
      case 'method_not_allowed':
        return 'unexpected';
      default:
        return 'other';
    }
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

/** Anything a call rejected with, as an `ApiError` (the one place that wraps the unexpected). */
export function asApiError(error: unknown): ApiError {
  return isApiError(error) ? error : new ApiError({ code: 'unknown_error', status: 0, detail: String(error) });
}

export function isKnownCode(value: unknown): value is KnownErrorCode {
  return typeof value === 'string' && (KNOWN_CODES as readonly string[]).includes(value);
}

/** `Retry-After` is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: unknown, now: number = Date.now()): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.ceil(value);
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed));
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

function codeFromStatus(status: number): ApiErrorCode {
  switch (status) {
    case 400:
      return 'invalid_request';
    case 401:
      return 'reauth_required';
    case 403:
      return 'insufficient_scope';
    case 429:
      return 'rate_limited';
    case 502:
      return 'upstream_error';
    case 504:
      return 'upstream_timeout';
    case 503:
      return 'store_unavailable';
    default:
      return status >= 500 ? 'internal_error' : 'unknown_error';
  }
}

function header(response: AxiosResponse | undefined, name: string): string | undefined {
  const value: unknown = response?.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A 2xx whose body is not what the endpoint promises. */
export function unexpectedResponse(response: AxiosResponse): ApiError {
  return new ApiError({
    code: 'unexpected_response',
    status: response.status,
    detail: 'The server answered in a shape this page does not understand.',
    requestId: header(response, 'x-request-id'),
  });
}

/**
 * A failed answer (status >= 400) as an `ApiError`: the problem+json `code` when the body has a
 * known one, else one from the status. `headerOf` reads a response header (lower-case name).
 */
export function problemError(status: number, body: unknown, headerOf: (name: string) => string | undefined): ApiError {
  const problem = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const code = isKnownCode(problem.code) ? problem.code : codeFromStatus(status);
  const retryAfter = parseRetryAfter(problem.retry_after) ?? parseRetryAfter(headerOf('retry-after'));
  return new ApiError({
    code,
    status,
    detail: typeof problem.detail === 'string' ? problem.detail : undefined,
    title: typeof problem.title === 'string' ? problem.title : undefined,
    retryAfter,
    requestId: headerOf('x-request-id'),
  });
}

function toApiError(error: unknown): ApiError {
  if (!(error instanceof AxiosError)) return asApiError(error);
  const response: AxiosResponse | undefined = error.response;
  if (!response) {
    const timedOut = error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT';
    return new ApiError({ code: timedOut ? 'timeout' : 'network_error', status: 0, detail: error.message });
  }
  return problemError(response.status, response.data, (name) => header(response, name));
}

/** Cookies (the OAuth flow's binding cookie) must go along when the API is on another origin. */
export function isCrossOrigin(base: string): boolean {
  if (base === '') return false;
  try {
    return new URL(base, window.location.href).origin !== window.location.origin;
  } catch {
    return false;
  }
}

export const apiClient = axios.create({
  baseURL: API_BASE_URL,
  timeout: 30_000,
  headers: { Accept: 'application/json' },
  withCredentials: isCrossOrigin(API_BASE_URL),
});

/**
 * Who is asking, as request headers: `Authorization: Bearer` in jwt mode (none while no token
 * has arrived), `X-User-Id` in dev mode. Every call sends these, through axios or `fetch`.
 */
export function identityHeaders(): Record<string, string> {
  if (getAuthMode() === 'jwt') {
    const token = getToken();
    return token ? { Authorization: `Bearer ${token}` } : {};
  }
  return { 'X-User-Id': getUserId() };
}

/** What every failure goes through: in jwt mode an `unauthenticated` answer asks the host for a new token. */
export function reportFailure(error: ApiError): ApiError {
  if (error.code === 'unauthenticated' && getAuthMode() === 'jwt') reportTokenExpired();
  return error;
}

apiClient.interceptors.request.use((config) => {
  for (const [name, value] of Object.entries(identityHeaders())) config.headers.set(name, value);
  return config;
});

apiClient.interceptors.response.use(
  (response) => response,
  (error: unknown) => Promise.reject(reportFailure(toApiError(error))),
);
