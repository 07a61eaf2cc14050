/**
 * How this server names the user: `dev` (a typed user id, `X-User-Id`) or `jwt` (a bearer
 * token from the embedding page). Read once from `GET /api/config` before anything else.
 */
export type AuthMode = 'dev' | 'jwt';

let mode: AuthMode = 'dev';

export function getAuthMode(): AuthMode {
  return mode;
}

export function setAuthMode(next: AuthMode): void {
  mode = next;
}
