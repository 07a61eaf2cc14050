import { useEffect, useRef } from 'react';
import type { IntegrationSummary } from '../../api/models';
import { ButtonBusy } from '../../components/ButtonBusy';
import { plural } from '../../nouns';

function ReconnectButton({ name, connecting, onConnect }: { name: string; connecting: boolean; onConnect: () => void }) {
  return (
    <button type="button" className="btn btn--primary" onClick={onConnect} aria-disabled={connecting || undefined}>
      {connecting ? <ButtonBusy label="Connecting…" /> : `Reconnect ${name}`}
    </button>
  );
}

/**
 * Why the connection is gone and the one way back. `lostElsewhere`: the page was showing a
 * connection and it went away without this page's Disconnect (another tab, an admin, the
 * provider revoking it); focus moves to this message so keyboard and screen reader users learn
 * why the rows went, instead of being left on <body>.
 */
export function ReconnectPrompt({
  info,
  lostElsewhere,
  connecting,
  onConnect,
}: {
  info: IntegrationSummary;
  lostElsewhere: boolean;
  connecting: boolean;
  onConnect: () => void;
}) {
  const name = info.name;
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (lostElsewhere) headingRef.current?.focus();
  }, [lostElsewhere]);
  const things = plural(info.object_types[0]?.noun ?? 'item');
  return (
    <section className="card reauth" aria-labelledby="reauth-title">
      <h2 id="reauth-title" className="section__title" ref={headingRef} tabIndex={-1}>
        {lostElsewhere ? `${name} was disconnected in another tab or by an admin` : `${name} needs to be reconnected`}
      </h2>
      <p className="muted">
        {lostElsewhere
          ? `The ${name} authorization this page was using is gone, so its ${things} are no longer shown. Reconnect to see them again.`
          : `The authorization for ${name} expired or was revoked. Reconnect to keep syncing your ${things}.`}
      </p>
      <ReconnectButton name={name} connecting={connecting} onConnect={onConnect} />
    </section>
  );
}
