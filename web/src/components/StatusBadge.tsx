import type { IntegrationStatus } from '../api/models';

const LABELS: Record<IntegrationStatus, string> = {
  connected: 'Connected',
  not_connected: 'Not connected',
  reauth_required: 'Needs reconnect',
};

export function StatusBadge({ status }: { status: IntegrationStatus }) {
  return (
    <span className={`badge badge--${status.replace('_', '-')}`}>
      <span className="badge__dot" aria-hidden="true" />
      {LABELS[status]}
    </span>
  );
}
