import type { ApiError } from '../api/client';

/**
 * Words a person can act on, per kind of failure. `provider` is the provider's name from the
 * server's metadata ("The provider" where no one provider is involved).
 */
export function describeError(error: ApiError | null, provider = 'The provider'): string {
  if (!error) return 'Something went wrong. Try again.';
  switch (error.code) {
    case 'network_error':
      return "Can't reach the server. Check your connection, then try again.";
    case 'timeout':
      return 'The server took too long to answer. Try again.';
    case 'store_unavailable':
      return 'The server is briefly unable to reach its storage. Try again in a moment.';
    case 'auth_unavailable':
      return 'The sign-in service is not answering. Try again in a moment.';
    case 'upstream_error':
      return `${provider} failed to answer. This is usually brief — try again in a moment.`;
    case 'upstream_timeout':
      return `${provider} took too long to answer. Try again in a moment.`;
    case 'rate_limited':
      return `${provider} asked us to slow down. Try again in a moment.`;
    case 'insufficient_scope':
      return `The ${provider} connection lacks a permission this needs. Reconnect ${provider} to grant it.`;
    case 'reauth_required':
      return `The ${provider} authorization expired or was revoked. Reconnect ${provider}.`;
    case 'unauthenticated':
      return 'Your sign-in expired. Waiting for the host page to sign you in again.';
    case 'invalid_request':
    case 'changes_unsupported':
    case 'method_not_allowed':
    case 'unexpected_response':
    case 'internal_error':
    case 'unknown_error':
      return 'The server gave an unexpected answer. Try again; if it keeps happening, contact support.';
    default:
      return error.detail ?? 'Something went wrong. Try again.';
  }
}

/** The short title for a failure ("Could not refresh — {provider} failed"). */
export function errorTitle(error: ApiError | null, what: string, provider = 'the provider'): string {
  switch (error?.kind) {
    case 'network':
      return `Could not ${what} — server unreachable`;
    case 'upstream':
      return `Could not ${what} — ${provider} failed`;
    case 'unexpected':
      return `Could not ${what} — unexpected answer`;
    default:
      return `Could not ${what}`;
  }
}

/** An inline failure with its reason, a Retry button and the request id when the server sent one. */
export function ErrorNotice({
  title,
  error,
  onRetry,
  heading: Heading = 'h3',
  retryLabel = 'Retry',
  provider,
}: {
  title: string;
  error: ApiError | null;
  onRetry?: () => void;
  heading?: 'h1' | 'h2' | 'h3';
  retryLabel?: string;
  provider?: string;
}) {
  return (
    <div className="notice notice--error" role="alert">
      <Heading className="notice__title">{title}</Heading>
      <p className="notice__body">{describeError(error, provider)}</p>
      {error?.requestId && (
        <p className="notice__meta">
          Request id: <code>{error.requestId}</code>
        </p>
      )}
      {onRetry && (
        <div className="notice__actions">
          <button type="button" className="btn btn--secondary" onClick={onRetry}>
            {retryLabel}
          </button>
        </div>
      )}
    </div>
  );
}
