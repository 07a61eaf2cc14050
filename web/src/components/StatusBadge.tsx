import type { IntegrationStatus } from '../api/models';

const LABELS: Record<IntegrationStatus, string> = {
  connected: 'Connected',
  not_connected: 'Not connected',
  reauth_required: 'Needs reconnect',
};

export function statusLabel(status: IntegrationStatus): string {
  return LABELS[status];
}

export function StatusBadge({ status, id }: { status: IntegrationStatus; id?: string }) {
  return (
    <span id={id} className={`badge badge--${status.replace('_', '-')}`}>
      <span className="badge__dot" aria-hidden="true" />
      {LABELS[status]}
    </span>
  );
}
