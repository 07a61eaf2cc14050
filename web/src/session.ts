/**
 * Who the UI acts as. This is the only place that knows where the user id comes from:
 * today a value the user types in the header (kept in localStorage), later a real session.
 * Everything else reads it through `getUserId()` / `useUserId()`.
 */
import { useSyncExternalStore } from 'react';

export const USER_ID_STORAGE_KEY = 'vs.userId';
export const DEFAULT_USER_ID = 'test_user';

const USER_ID_PATTERN = /^[A-Za-z0-9._@-]{1,128}$/;

/** The server accepts 1–128 characters of `[A-Za-z0-9._@-]`. */
export function isValidUserId(value: string): boolean {
  return USER_ID_PATTERN.test(value);
}

function readStoredUserId(): string {
  try {
    const stored = window.localStorage.getItem(USER_ID_STORAGE_KEY);
    if (stored !== null && isValidUserId(stored)) return stored;
  } catch {
    // Storage can be unavailable (privacy mode); fall back to the default.
  }
  return DEFAULT_USER_ID;
}

let currentUserId: string | null = null;
const listeners = new Set<() => void>();

export function getUserId(): string {
  currentUserId ??= readStoredUserId();
  return currentUserId;
}

/** Stores a new user id. Returns false (and changes nothing) when it is not valid. */
export function setUserId(value: string): boolean {
  const next = value.trim();
  if (!isValidUserId(next)) return false;
  try {
    window.localStorage.setItem(USER_ID_STORAGE_KEY, next);
  } catch {
    // Keep it in memory for this page load at least.
  }
  if (next !== currentUserId) {
    currentUserId = next;
    listeners.forEach((listener) => listener());
  }
  return true;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (event: StorageEvent) => {
    if (event.key === USER_ID_STORAGE_KEY) {
      currentUserId = readStoredUserId();
      listener();
    }
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

export function useUserId(): string {
  return useSyncExternalStore(subscribe, getUserId, getUserId);
}

/** For tests: forget the cached value so the next read comes from storage again. */
export function resetSessionForTests(): void {
  currentUserId = null;
}
