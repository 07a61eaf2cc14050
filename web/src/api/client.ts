/**
 * The one axios instance the UI talks to the server with. It adds `X-User-Id` to every
 * request and turns every failure into an `ApiError`, so callers route on `code`.
 */
import axios, { AxiosError, type AxiosResponse } from 'axios';
import { API_BASE_URL } from '../config';
import { getUserId } from '../session';
import type { ApiErrorCode, KnownErrorCode } from './types';

const KNOWN_CODES: readonly KnownErrorCode[] = [
  'invalid_request',
  'unknown_provider',
  'not_connected',
  'reauth_required',
  'rate_limited',
  'upstream_error',
  'store_unavailable',
  'invalid_state',
];

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  /** HTTP status, or 0 when no response arrived. */
  readonly status: number;
  readonly detail: string | undefined;
  /** Seconds to wait before retrying (rate limiting), when the server said. */
  readonly retryAfter: number | undefined;

  constructor(init: { code: ApiErrorCode; status: number; detail?: string; retryAfter?: number; title?: string }) {
    super(init.detail ?? init.title ?? init.code);
    this.name = 'ApiError';
    this.code = init.code;
    this.status = init.status;
    this.detail = init.detail;
    this.retryAfter = init.retryAfter;
  }

  /** The stored authorization no longer works; the user must connect again. */
  get needsReauth(): boolean {
    return this.code === 'reauth_required' || (this.status === 401 && this.code !== 'invalid_state');
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

function isKnownCode(value: unknown): value is KnownErrorCode {
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
    case 429:
      return 'rate_limited';
    case 502:
    case 504:
      return 'upstream_error';
    case 503:
      return 'store_unavailable';
    default:
      return 'unknown_error';
  }
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (!(error instanceof AxiosError)) {
    return new ApiError({ code: 'unknown_error', status: 0, detail: String(error) });
  }
  const response: AxiosResponse | undefined = error.response;
  if (!response) {
    return new ApiError({ code: 'network_error', status: 0, detail: error.message });
  }
  const body: unknown = response.data;
  const problem = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const code = isKnownCode(problem.code) ? problem.code : codeFromStatus(response.status);
  const retryAfter =
    parseRetryAfter(problem.retry_after) ?? parseRetryAfter(response.headers['retry-after'] as unknown);
  return new ApiError({
    code,
    status: response.status,
    detail: typeof problem.detail === 'string' ? problem.detail : undefined,
    title: typeof problem.title === 'string' ? problem.title : undefined,
    retryAfter,
  });
}

export const apiClient = axios.create({
  baseURL: API_BASE_URL,
  timeout: 30_000,
  headers: { Accept: 'application/json' },
});

apiClient.interceptors.request.use((config) => {
  config.headers.set('X-User-Id', getUserId());
  return config;
});

apiClient.interceptors.response.use(
  (response) => response,
  (error: unknown) => Promise.reject(toApiError(error)),
);
