/**
 * The wire types the UI uses, named. Shapes come from `types.ts`, which is generated from
 * `docs/openapi.json` (`npm run gen:types`); never edit that file by hand. Fields the server
 * is adding (see web/README.md, "Server contract") are optional here so the UI works with an
 * older and a newer server.
 */
import type { components } from './types';

type Schemas = components['schemas'];

export type IntegrationStatus = 'connected' | 'not_connected' | 'reauth_required';

export type IntegrationSummary = Omit<Schemas['ProviderSummary'], 'status'> & {
  /** `connected`, `not_connected` or `reauth_required`; anything newer reads as not connected. */
  status: IntegrationStatus | (string & {});
};

export interface IntegrationsResponse {
  sandbox: boolean;
  integrations: IntegrationSummary[];
}

export type AuthorizeResponse = Schemas['AuthorizeUrl'];

/** `GET /{provider}/status`: the account fields are present only when connected. */
export type ConnectionStatus = Omit<Schemas['ConnectionStatus'], 'scopes'> &
  Partial<Schemas['ConnectionInfo']> & {
    /** The HubSpot portal domain (newer servers). */
    account_name?: string | null;
    /** E-mail of the user who installed the app (newer servers). */
    account_user?: string | null;
  };

export type IntegrationItem = Omit<Schemas['IntegrationItem'], 'properties'> & {
  properties: Record<string, unknown>;
};

export type ItemsPage = Schemas['Page'];

export type Problem = Schemas['Problem'];

/** `GET /api/config` (newer servers; older ones answer 404 and mean dev mode). */
export interface AppConfig {
  auth_mode: 'dev' | 'jwt';
  sandbox: boolean;
  embed_origins: string[];
}

/** Error codes the server puts in the `code` field of its problem+json bodies. */
export type KnownErrorCode =
  | 'invalid_request'
  | 'invalid_state'
  | 'unknown_provider'
  | 'not_found'
  | 'not_connected'
  | 'unauthenticated'
  | 'reauth_required'
  | 'insufficient_scope'
  | 'rate_limited'
  | 'upstream_error'
  | 'upstream_timeout'
  | 'store_unavailable'
  | 'internal_error';

/** Codes made up by the client for failures that never got a problem+json body. */
export type ClientErrorCode = 'network_error' | 'timeout' | 'unexpected_response' | 'unknown_error';

export type ApiErrorCode = KnownErrorCode | ClientErrorCode;
