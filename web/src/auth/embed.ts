/**
 * Identity when the UI runs embedded (AUTH_MODE=jwt): the page that embeds us hands over a
 * JWT, which we keep in memory only (never in storage, never in a URL) and send as
 * `Authorization: Bearer`. Two ways in, documented in web/README.md ("Embedding"):
 *
 * 1. `window.vsIntegrations.setToken(token | null)`, for a host that runs script in our window;
 * 2. `postMessage({type: 'vs-integrations:token', token})` from the parent frame, accepted only
 *    when `event.source === window.parent` and `event.origin` is one of `embed_origins`.
 *
 * We post `{type: 'vs-integrations:ready'}` to the parent when we want a token and
 * `{type: 'vs-integrations:token-expired'}` when the server answered 401 `unauthenticated`.
 */
import { useSyncExternalStore } from 'react';

export const TOKEN_MESSAGE = 'vs-integrations:token';
export const READY_MESSAGE = 'vs-integrations:ready';
export const EXPIRED_MESSAGE = 'vs-integrations:token-expired';

let token: string | null = null;
let allowedOrigins: readonly string[] = [];
const listeners = new Set<() => void>();

export function getToken(): string | null {
  return token;
}

export function setToken(next: string | null): void {
  const value = typeof next === 'string' && next.trim() !== '' ? next.trim() : null;
  if (value === token) return;
  token = value;
  listeners.forEach((listener) => listener());
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useToken(): string | null {
  return useSyncExternalStore(subscribe, getToken, getToken);
}

/** The JWT's `sub`, read without verifying (the server verifies); used only to key caches. */
export function tokenSubject(value: string | null): string | null {
  if (!value) return null;
  try {
    const part = value.split('.')[1] ?? '';
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as { sub?: unknown };
    return typeof claims.sub === 'string' ? claims.sub : value;
  } catch {
    return value;
  }
}

function isEmbedded(): boolean {
  return window.parent !== window;
}

/** Posts to the parent, once per allowed origin (a wrong origin is dropped by the browser; never `*`). */
function postToParent(message: { type: string }): void {
  if (!isEmbedded()) return;
  for (const origin of allowedOrigins) {
    try {
      window.parent.postMessage(message, origin);
    } catch {
      // A malformed origin in the configuration: skip it.
    }
  }
}

function onMessage(event: MessageEvent): void {
  if (!isEmbedded() || event.source !== window.parent) return;
  if (!allowedOrigins.includes(event.origin)) return;
  const data: unknown = event.data;
  if (typeof data !== 'object' || data === null) return;
  const message = data as { type?: unknown; token?: unknown };
  if (message.type !== TOKEN_MESSAGE) return;
  if (typeof message.token === 'string' || message.token === null) setToken(message.token);
}

declare global {
  interface Window {
    vsIntegrations?: { setToken: (token: string | null) => void };
  }
}

/** The global setter; installed at start-up so a host may call it before anything loads. */
export function installGlobalSetter(): void {
  window.vsIntegrations = { ...window.vsIntegrations, setToken };
}

/**
 * Starts accepting tokens from the parent frame (origins from `/api/config`) and asks for one.
 * Returns a function that stops listening.
 */
export function listenForParentToken(origins: readonly string[]): () => void {
  allowedOrigins = origins;
  window.addEventListener('message', onMessage);
  postToParent({ type: READY_MESSAGE });
  return () => {
    window.removeEventListener('message', onMessage);
  };
}

/** The server rejected our token: forget it and ask the host page for a new one. */
export function reportTokenExpired(): void {
  setToken(null);
  postToParent({ type: EXPIRED_MESSAGE });
}

/** For tests. */
export function resetEmbedForTests(): void {
  token = null;
  allowedOrigins = [];
  listeners.clear();
  delete window.vsIntegrations;
}
