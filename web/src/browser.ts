/**
 * Thin wrappers over browser navigation, so tests can observe a full-page redirect
 * (jsdom's `window.location` cannot be stubbed).
 */
export const browser = {
  assign(url: string): void {
    window.location.assign(url);
  },
};
