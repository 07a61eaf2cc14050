// What the suite runs against, from the environment (scripts/browser-tests.sh sets it all).

import { fileURLToPath } from 'node:url';

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/** The dev-mode server under test, in sandbox mode, serving web/dist. */
export const BASE_URL = trimSlash(process.env.E2E_BASE_URL ?? 'http://127.0.0.1:8080');
export const SANDBOX = `${BASE_URL}/_sandbox/hubspot`;

/** The second server (AUTH_MODE=jwt), its HS256 key, and the port of the host page it trusts. */
export const JWT_BASE_URL = trimSlash(process.env.E2E_JWT_BASE_URL ?? '');
export const JWT_SECRET = process.env.E2E_JWT_SECRET ?? '';
export const HOST_PORT = Number(process.env.E2E_HOST_PORT ?? 0);
export const HAS_JWT_SERVER = Boolean(JWT_BASE_URL && JWT_SECRET && HOST_PORT);

/** Per-action timeout (clicks, waits) of every page the suite opens. */
export const TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_MS ?? 15_000);
/** Contacts the HubSpot sandbox seeds. */
export const EXPECTED_CONTACTS = Number(process.env.E2E_EXPECTED_CONTACTS ?? 250);
/** Contacts in the made-up export that checks the table stays light (a routed answer, not the sandbox). */
export const BIG_EXPORT = Number(process.env.E2E_BIG_EXPORT ?? 100_000);

export const SHOTS_DIR = fileURLToPath(new URL('../screenshots/', import.meta.url));
export const DOCS_SHOTS_DIR = process.env.E2E_DOCS_SHOTS ? fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url)) : null;

export const DESKTOP = { width: 1280, height: 860 };
export const MOBILE = { width: 360, height: 780 };

/** Fresh user ids for every worker (a retry starts a new worker, hence new users). */
const RUN_ID = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
export function userIdFor(label: string): string {
  return `e2e-${RUN_ID}-${label}`;
}
