import { useId } from 'react';
import { Link } from 'react-router-dom';
import type { IntegrationStatus, IntegrationSummary } from '../api/models';
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
              <IntegrationCard integration={integration} />
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

const ACTIONS: Record<IntegrationStatus, string> = {
  connected: 'Manage',
  not_connected: 'Connect',
  reauth_required: 'Reconnect',
};

/**
 * One provider: its logo and name, one status, one action ("Manage" only when connected). The
 * link's accessible name starts with the provider's name ("{Name} Connected"); the description
 * and account describe it.
 */
function IntegrationCard({ integration }: { integration: IntegrationSummary }) {
  const id = useId();
  const status = knownStatus(integration.status);
  const account = status === 'connected' ? accountLine(integration) : null;
  return (
    <Link
      className="card card--link integration-card"
      to={`/integrations/${integration.id}`}
      aria-labelledby={`${id}-name ${id}-status`}
      aria-describedby={`${id}-desc`}
    >
      <div className="integration-card__top">
        <ProviderLogo name={integration.name} svg={integration.logo_svg} />
        <StatusBadge id={`${id}-status`} status={status} />
      </div>
      <h2 className="integration-card__name" id={`${id}-name`}>
        {integration.name}
      </h2>
      <p className="integration-card__desc" id={`${id}-desc`}>
        {integration.description || `Bring ${integration.name} data into VectorShift.`}
      </p>
      <p className="integration-card__meta">
        {account && <span className="integration-card__account">{account}</span>}
        <span className="integration-card__cta" aria-hidden="true">
          {`${ACTIONS[status]} →`}
        </span>
      </p>
    </Link>
  );
}

/** The connected account, when the server names it. */
function accountLine(integration: { account_id?: string | null; account_name?: string | null }): string | null {
  if (integration.account_name) return integration.account_name;
  return integration.account_id ? `Account ${integration.account_id}` : null;
}

function knownStatus(status: string): IntegrationStatus {
  return status === 'connected' || status === 'reauth_required' ? status : 'not_connected';
}
