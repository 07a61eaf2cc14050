/**
 * A modal dialog keeps keyboard focus inside itself: Tab from its last focusable element goes
 * to the first, Shift+Tab from the first to the last. One place, so every dialog wraps alike.
 */
import type { KeyboardEvent } from 'react';

/** Wraps a Tab keypress within `container` among the elements `selector` matches. */
export function trapTab(event: KeyboardEvent<HTMLElement>, container: HTMLElement | null, selector: string): void {
  if (event.key !== 'Tab' || !container) return;
  const focusable = container.querySelectorAll<HTMLElement>(selector);
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (!first || !last) return;
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}
