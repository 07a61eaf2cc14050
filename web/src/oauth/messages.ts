/** The message the OAuth callback page sends back to the window that opened the popup. */

export const OAUTH_MESSAGE_TYPE = 'vs-oauth-result';
/** Second channel, for when the provider's pages cut `window.opener` (COOP). */
export const OAUTH_CHANNEL_NAME = 'vs-oauth';
/** Popups are named so the callback page knows it runs in one even without an opener. */
export const POPUP_NAME_PREFIX = 'vs-oauth-';

export type OAuthErrorCode =
  | 'access_denied'
  | 'invalid_state'
  | 'exchange_failed'
  | 'upstream_error'
  | 'store_unavailable'
  | string;

export interface OAuthResultMessage {
  type: typeof OAUTH_MESSAGE_TYPE;
  provider: string;
  result: 'success' | 'error';
  account_id: string | null;
  error: OAuthErrorCode | null;
  error_description: string | null;
}

export function resultFromSearchParams(provider: string, params: URLSearchParams): OAuthResultMessage {
  const result = params.get('result') === 'success' ? 'success' : 'error';
  return {
    type: OAUTH_MESSAGE_TYPE,
    provider,
    result,
    account_id: params.get('account_id'),
    error: result === 'error' ? (params.get('error') ?? 'unknown_error') : null,
    error_description: params.get('error_description'),
  };
}

export function isOAuthResultMessage(value: unknown): value is OAuthResultMessage {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.type === OAUTH_MESSAGE_TYPE &&
    typeof v.provider === 'string' &&
    (v.result === 'success' || v.result === 'error')
  );
}

/** A sentence for the user explaining why connecting to `provider` (its name) failed. */
export function describeOAuthError(code: string | null, description: string | null, provider: string): string {
  switch (code) {
    case 'access_denied':
      return 'You denied access. Nothing was connected.';
    case 'invalid_state':
      return 'The connection request expired or did not match. Please start again.';
    case 'exchange_failed':
      return `${provider} did not accept the authorization. Please try again.`;
    case 'upstream_error':
      return `${provider} is not responding right now. Please try again in a moment.`;
    case 'store_unavailable':
      return 'We could not save the connection. Please try again in a moment.';
    default:
      return description ?? 'Something went wrong while connecting.';
  }
}
