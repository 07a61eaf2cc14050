import { Link, Outlet } from 'react-router-dom';
import { useIntegrations } from '../hooks/integrationsContext';
import { UserIdField } from './UserIdField';

export function Layout() {
  const { data } = useIntegrations();
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
                <path d="M8 10l8 13 8-13" fill="none" stroke="#fff" strokeWidth="3.2" strokeLinecap="round" strokeLinejoin="round" />
              </svg>
            </span>
            <span className="brand__name">VectorShift Integrations</span>
          </Link>
          {data?.sandbox && (
            <span className="sandbox-badge" title="The server talks to a local HubSpot sandbox, not the real HubSpot">
              Sandbox
            </span>
          )}
          <div className="header__spacer" />
          <UserIdField />
        </div>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        <Outlet />
      </main>
      <footer className="footer">VectorShift · Integrations settings</footer>
    </div>
  );
}
