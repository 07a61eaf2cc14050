import { useEffect, useRef, type ReactNode } from 'react';
import { Link, Outlet, useLocation, useNavigationType } from 'react-router-dom';
import type { AuthMode } from '../auth/mode';
import { useIntegrations } from '../hooks/queries';
import { UserIdField } from './UserIdField';

/**
 * On a route change the person made (a link, Back/Forward; not the first load and not a
 * redirect such as / → /integrations), move focus to the new page's heading.
 */
function useFocusOnRouteChange(mainRef: React.RefObject<HTMLElement | null>) {
  const { pathname } = useLocation();
  const navigationType = useNavigationType();
  const first = useRef(true);
  useEffect(() => {
    if (first.current || navigationType === 'REPLACE') {
      first.current = false;
      return;
    }
    const main = mainRef.current;
    if (!main) return;
    const heading = main.querySelector<HTMLElement>('h1');
    const target = heading ?? main;
    if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
    target.focus({ preventScroll: false });
    // Only the path matters; the navigation type is read at that moment.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pathname, mainRef]);
}

/** "A", "A and B", "A, B and C": names in a sentence. */
function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`;
}

function bannerText(names: readonly string[]): string {
  if (names.length === 0) return 'Integrations here talk to local sandboxes, not the real services.';
  return `${listNames(names)} here ${names.length === 1 ? 'is a local sandbox' : 'are local sandboxes'}, not the real ${
    names.length === 1 ? 'service' : 'services'
  }.`;
}

function Banner({ names }: { names: readonly string[] }) {
  return (
    <div className="sandbox-banner" role="note">
      <strong className="sandbox-banner__label">Sandbox</strong>
      <span>{bannerText(names)}</span>
    </div>
  );
}

/** Signed in: the banner names the providers the server runs as sandboxes. */
function ProvidersBanner({ sandbox }: { sandbox: boolean }) {
  const { data } = useIntegrations();
  const names = data?.integrations.filter((i) => i.sandbox).map((i) => i.name) ?? [];
  return sandbox || names.length > 0 || data?.sandbox ? <Banner names={names} /> : null;
}

export function Layout({
  mode,
  sandbox,
  signedIn,
  identity,
  children,
}: {
  mode: AuthMode;
  sandbox: boolean;
  signedIn: boolean;
  /** Who the pages are for: another user starts the pages over (their local state included). */
  identity: string;
  /** Shown instead of the routed page (e.g. while waiting for a sign-in). */
  children?: ReactNode;
}) {
  const mainRef = useRef<HTMLElement>(null);
  useFocusOnRouteChange(mainRef);
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="header">
        <div className="header__inner">
          <Link className="brand" to="/integrations">
            <span className="brand__mark" aria-hidden="true">
              <svg viewBox="0 0 32 32" width="28" height="28">
                <rect width="32" height="32" rx="8" fill="currentColor" />
                <path d="M8 10l8 13 8-13" fill="none" style={{ stroke: 'var(--on-brand)' }} strokeWidth="3.2" strokeLinecap="round" strokeLinejoin="round" />
              </svg>
            </span>
            <span className="brand__name">VectorShift Integrations</span>
          </Link>
          <div className="header__spacer" />
          {/* The user-id field exists only in dev mode; with AUTH_MODE=jwt the host page signs us in. */}
          {mode === 'dev' && <UserIdField />}
        </div>
      </header>
      <main id="main" ref={mainRef} className="main" tabIndex={-1}>
        {/* One sandbox notice for the whole page, instead of a badge on every card. */}
        {signedIn ? <ProvidersBanner sandbox={sandbox} /> : sandbox && <Banner names={[]} />}
        {children ?? <Outlet key={identity} />}
      </main>
      <footer className="footer">VectorShift · Integrations settings</footer>
    </div>
  );
}
