/** Wire types of the vs-integrations server API. */

export type IntegrationStatus = 'connected' | 'not_connected' | 'reauth_required';

export interface IntegrationSummary {
  id: string;
  name: string;
  status: IntegrationStatus;
  account_id: string | null;
}

export interface IntegrationsResponse {
  sandbox: boolean;
  integrations: IntegrationSummary[];
}

export interface AuthorizeResponse {
  url: string;
}

export type ConnectionStatus =
  | {
      provider: string;
      connected: true;
      account_id: string;
      scopes?: string[];
      expires_at?: string | null;
    }
  | { provider: string; connected: false };

export interface IntegrationItem {
  id: string;
  title: string;
  item_type: string;
  url: string | null;
  properties: Record<string, string | null | undefined>;
  created_at?: string | null;
  updated_at?: string | null;
}

export interface ItemsPage {
  items: IntegrationItem[];
  next_cursor: string | null;
}

/** Error codes the server puts in the `code` field of its problem+json bodies. */
export type KnownErrorCode =
  | 'invalid_request'
  | 'unknown_provider'
  | 'not_connected'
  | 'reauth_required'
  | 'rate_limited'
  | 'upstream_error'
  | 'store_unavailable'
  | 'invalid_state';

/** Codes made up by the client for failures that never got a problem+json body. */
export type ClientErrorCode = 'network_error' | 'unknown_error';

export type ApiErrorCode = KnownErrorCode | ClientErrorCode;
