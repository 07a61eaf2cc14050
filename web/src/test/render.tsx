import { render } from '@testing-library/react';
import { useEffect } from 'react';
import { vi } from 'vitest';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, useLocation } from 'react-router-dom';
import { App } from '../App';
import { createQueryClient } from '../hooks/queries';

export const locationRef: { pathname: string; search: string } = { pathname: '', search: '' };

function LocationSpy() {
  const location = useLocation();
  useEffect(() => {
    locationRef.pathname = location.pathname;
    locationRef.search = location.search;
  }, [location]);
  return null;
}

export function renderApp(path = '/integrations') {
  const user = userEvent.setup();
  const result = render(
    <MemoryRouter initialEntries={[path]}>
      <App queryClient={createQueryClient({ staleTime: 0 })} />
      <LocationSpy />
    </MemoryRouter>,
  );
  return { user, ...result };
}

export interface FakePopup {
  closed: boolean;
  close: () => void;
  location: { href: string };
}

/** Stubs window.open with a fake popup window the test controls. */
export function stubPopup(): { popup: FakePopup; open: ReturnType<typeof vi.fn> } {
  const popup: FakePopup = {
    closed: false,
    close() {
      this.closed = true;
    },
    location: { href: 'about:blank' },
  };
  const open = vi.fn(() => popup as unknown as Window);
  vi.stubGlobal('open', open);
  return { popup, open };
}

/** Delivers an OAuth result the way the callback page in the popup does. */
export function postOAuthResult(data: Record<string, unknown>) {
  window.dispatchEvent(
    new MessageEvent('message', {
      origin: window.location.origin,
      data: { type: 'vs-oauth-result', provider: 'hubspot', account_id: null, error: null, error_description: null, ...data },
    }),
  );
}
