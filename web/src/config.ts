/**
 * Base URL of the server API, without a trailing slash. Empty means same origin.
 * Set `REACT_APP_API_BASE_URL` (or `VITE_API_BASE_URL`) at build time to change it.
 */
function readApiBaseUrl(): string {
  const env = import.meta.env;
  const value = env.REACT_APP_API_BASE_URL ?? env.VITE_API_BASE_URL ?? '';
  return value.trim().replace(/\/+$/, '');
}

export const API_BASE_URL = readApiBaseUrl();

/** Absolute or same-origin URL of an API path such as `/api/integrations`. */
export function apiUrl(path: string): string {
  return `${API_BASE_URL}${path}`;
}
