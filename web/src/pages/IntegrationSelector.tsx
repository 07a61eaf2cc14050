import { Link } from 'react-router-dom';
import type { IntegrationStatus } from '../api/models';
import { ErrorNotice, errorTitle } from '../components/ErrorNotice';
import { ProviderLogo } from '../components/ProviderLogo';
import { StatusBadge } from '../components/StatusBadge';
import { useIntegrations } from '../hooks/queries';
import { useDocumentTitle } from '../useDocumentTitle';

export function IntegrationSelector() {
  useDocumentTitle('Integrations');
  const { data, error, loading, reload } = useIntegrations();

  return (
    <div className="page">
      <div className="page__header">
        <h1 className="page__title">Integrations</h1>
        <p className="page__subtitle">Connect the tools your team uses and bring their data into VectorShift.</p>
      </div>

      {loading && !data && (
        <p className="muted" role="status">
          Loading integrations…
        </p>
      )}

      {error && !data && (
        <ErrorNotice heading="h2" title={errorTitle(error, 'load integrations')} error={error} onRetry={reload} />
      )}

      {data && (
        <ul className="card-grid" aria-label="Available integrations">
          {data.integrations.map((integration) => (
            <li key={integration.id}>
              <Link className="card card--link integration-card" to={`/integrations/${integration.id}`}>
                <div className="integration-card__top">
                  <ProviderLogo name={integration.name} svg={integration.logo_svg} />
                  <span className="integration-card__badges">
                    {integration.sandbox && <span className="sandbox-badge">Sandbox</span>}
                    <StatusBadge status={knownStatus(integration.status)} />
                  </span>
                </div>
                <h2 className="integration-card__name">{integration.name}</h2>
                <p className="integration-card__desc">
                  {integration.description || `Bring ${integration.name} data into VectorShift.`}
                </p>
                <p className="integration-card__meta">
                  {cardMeta(integration)}
                  <span className="integration-card__cta" aria-hidden="true">
                    Manage →
                  </span>
                </p>
              </Link>
            </li>
          ))}
          <li className="card card--placeholder">
            <strong>More integrations coming soon</strong>
            <span>New providers show up here as soon as the server enables them.</span>
          </li>
        </ul>
      )}
    </div>
  );
}

/** The one-line summary under a card: the account, or what the user should do next. */
function cardMeta(integration: { status: string; account_id?: string | null; account_name?: string | null }): string {
  if (integration.status === 'reauth_required') return 'Access expired — reconnect';
  if (integration.status !== 'connected') return 'Not set up yet';
  if (integration.account_name) return integration.account_name;
  return integration.account_id ? `Account ${integration.account_id}` : 'Connected';
}

function knownStatus(status: string): IntegrationStatus {
  return status === 'connected' || status === 'reauth_required' ? status : 'not_connected';
}
