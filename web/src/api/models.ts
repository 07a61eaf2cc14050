/**
 * The wire types the UI uses, named. Shapes come from `types.ts`, which is generated from
 * `docs/openapi.json` (`npm run gen:types`); never edit that file by hand. Fields the server
 * is adding (see web/README.md, "Server contract") are optional here so the UI works with an
 * older and a newer server.
 */
import type { components } from './types';

type Schemas = components['schemas'];

export type IntegrationStatus = 'connected' | 'not_connected' | 'reauth_required';

/** A kind of record a provider lists (`contacts`, `pages`…): its id, its noun and its scopes. */
export type ObjectType = Schemas['ObjectType'];

/** A column of the items table: an `IntegrationItem` field or a `properties` key, and its header. */
export type Column = Schemas['Column'];

/**
 * One provider as `GET /api/integrations` lists it: everything the UI shows about it (name,
 * description, object types, columns, permissions, logo, whether it is its sandbox) declared
 * once by the provider, and the user's connection to it. `listIntegrations` fills defaults for
 * metadata an older server leaves out, so pages can rely on every field.
 */
export type IntegrationSummary = Omit<Schemas['ProviderSummary'], 'status'> & {
  /** `connected`, `not_connected` or `reauth_required`; anything newer reads as not connected. */
  status: IntegrationStatus | (string & {});
};

export interface IntegrationsResponse {
  sandbox: boolean;
  integrations: IntegrationSummary[];
}

export type AuthorizeResponse = Schemas['AuthorizeUrl'];

/**
 * `GET /{provider}/status`. Only `provider` and `connected` are relied on; the rest (account,
 * user, scopes, `status`) arrive when connected and on newer servers, so all are optional.
 */
export type ConnectionStatus = { provider: string; connected: boolean } & {
  [K in Exclude<keyof Schemas['ConnectionStatus'], 'provider' | 'connected'>]?: Schemas['ConnectionStatus'][K] | null;
};

export type IntegrationItem = Omit<Schemas['IntegrationItem'], 'properties'> & {
  properties: Record<string, unknown>;
};

export type ItemsPage = Schemas['Page'];

/** `GET /{provider}/count`: how many items of a kind there are; `total` null when the provider cannot tell. */
export type ItemCount = Required<Schemas['Count']>;

export type Problem = Schemas['Problem'];

/** `GET /api/config` (a server without it answers 404, which means dev mode). */
export type AppConfig = Omit<Schemas['ClientConfig'], 'auth_mode'> & { auth_mode: 'dev' | 'jwt' };

/** Error codes the server puts in the `code` field of its problem+json bodies. */
export type KnownErrorCode = Schemas['ProblemCode'];

/** Codes made up by the client for failures that never got a problem+json body. */
export type ClientErrorCode = 'network_error' | 'timeout' | 'unexpected_response' | 'unknown_error';

export type ApiErrorCode = KnownErrorCode | ClientErrorCode;

/** `GET /{provider}/object-types`: one kind the account holds (standard or custom), its scopes and whether the grant has one. */
export type DiscoveredObjectType = Schemas['ObjectTypeEntry'];

/** `GET /{provider}/fields`: one field of a kind (its label, type, group, enumeration options). */
export type Field = Schemas['FieldEntry'];

/** One related record of an item (`associations=`): its id and the association's labels ("Primary"). */
export interface AssociatedRecord {
  id: string;
  labels: string[];
}
