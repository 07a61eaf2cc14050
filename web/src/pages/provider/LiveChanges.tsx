import { useEffect, useId, useState } from 'react';
import type { LiveEvent } from '../../api/eventsStream';
import type { ObjectType } from '../../api/models';
import type { LiveState, RecentEvent } from '../../hooks/useLiveEvents';
import { capitalize, plural } from '../../nouns';
import { relativeTime } from './SyncedLine';

/** "just now", "12 s ago", "3 min ago"…: seconds matter for a live feed. */
export function agoText(at: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  return relativeTime(at, now);
}

/** The current time, every second (only while mounted). */
function useSecondTick(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** The noun of an `object_type` the provider declares ("contact"), or the id itself. */
function nounOf(objectTypes: readonly ObjectType[], objectType: string): string {
  return objectTypes.find((t) => t.id === objectType)?.noun ?? objectType;
}

/** What happened, in words: "Contact updated", "Contact deleted", "Company merged". */
export function eventTitle(event: LiveEvent, objectTypes: readonly ObjectType[]): string {
  const noun = capitalize(nounOf(objectTypes, event.objectType));
  switch (event.type) {
    case 'upsert':
      return event.property ? `${noun} updated` : `${noun} created or updated`;
    case 'delete':
      return `${noun} deleted`;
    case 'merge':
      return `${noun} merged`;
    case 'association':
      return event.associated?.removed ? `${noun} unlinked` : `${noun} linked`;
  }
}

/** The detail of a change: the property and its new value, the merged ids, the other record. */
export function eventDetail(event: LiveEvent, objectTypes: readonly ObjectType[]): string | null {
  if (event.property) return `${event.property.name} → ${event.property.value ?? '(cleared)'}`;
  if (event.mergedIds?.length) return `merged in: ${event.mergedIds.join(', ')}`;
  if (event.associated) {
    const other = `${nounOf(objectTypes, event.associated.objectType)} ${event.associated.id}`;
    return event.associated.removed ? `from ${other}` : `with ${other}`;
  }
  return null;
}

/**
 * "● Live · last change 12 s ago" while the events feed is open; "Reconnecting…" when it dropped;
 * nothing for a provider without events (or before the feed opened). The words are not a live
 * region (they tick); the state alone is announced when it changes.
 */
export function LiveIndicator({ state }: { state: LiveState }) {
  const now = useSecondTick();
  const { status, everLive, lastEventAt } = state;
  const reconnecting = status === 'reconnecting' || (status === 'connecting' && everLive);
  if (status !== 'live' && !reconnecting) return null;
  const last = lastEventAt === null ? 'no changes yet' : `last change ${agoText(lastEventAt, Math.max(now, lastEventAt))}`;
  return (
    <p className={`live ${reconnecting ? 'live--reconnecting' : 'live--on'}`}>
      <span className="live__dot" aria-hidden="true" />
      <span role="status" className="live__state">
        {reconnecting ? 'Reconnecting…' : 'Live'}
      </span>
      {!reconnecting && (
        <span
          className="live__last"
          title={lastEventAt === null ? 'Changes made in the provider show up here as they happen' : new Date(lastEventAt).toLocaleString()}
        >
          {` · ${last}`}
        </span>
      )}
    </p>
  );
}

function ChangeRow({ item, objectTypes, now }: { item: RecentEvent; objectTypes: readonly ObjectType[]; now: number }) {
  const { event, name } = item;
  const detail = eventDetail(event, objectTypes);
  return (
    <li className="changes__item">
      {/* Spaces between the parts: read aloud (and copied) as words, not run together. */}
      <span className="changes__what">{eventTitle(event, objectTypes)}</span>{' '}
      <span className="changes__record">
        {name ? `${name} · ` : ''}
        <span className="changes__id">ID {event.id}</span>
      </span>{' '}
      {detail && <span className="changes__detail">{detail}</span>}{' '}
      <time className="changes__time muted" dateTime={new Date(event.occurredAt).toISOString()} title={new Date(event.occurredAt).toLocaleString()}>
        {agoText(event.occurredAt, Math.max(now, event.occurredAt))}
      </time>
    </li>
  );
}

/** The recent events, newest first, behind a disclosure button (collapsed at first). */
export function ChangesPanel({ state, objectTypes }: { state: LiveState; objectTypes: readonly ObjectType[] }) {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const now = useSecondTick();
  const { recent } = state;
  return (
    <div className="changes">
      <button
        type="button"
        className="btn btn--secondary btn--small changes__toggle"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((value) => !value)}
      >
        <span aria-hidden="true" className="changes__chevron">
          {open ? '▾' : '▸'}
        </span>
        {`Changes (${recent.length})`}
      </button>
      <div id={panelId} className="changes__panel" hidden={!open}>
        {recent.length === 0 ? (
          <p className="muted changes__empty">
            {`No changes since this page opened. Changes made to your ${objectTypes.map((t) => plural(t.noun)).join(', ') || 'records'} show up here.`}
          </p>
        ) : (
          <ol className="changes__list" aria-label="Recent changes, newest first">
            {recent.map((item) => (
              <ChangeRow key={item.key} item={item} objectTypes={objectTypes} now={now} />
            ))}
          </ol>
        )}
      </div>
    </div>
  );
}

/** The live line of the items section: the indicator and the Changes panel; nothing without events. */
export function LiveChanges({ state, objectTypes }: { state: LiveState; objectTypes: readonly ObjectType[] }) {
  if (state.status === 'off' || state.status === 'unsupported' || state.status === 'stopped' || (!state.everLive && state.status === 'connecting')) {
    return null;
  }
  return (
    <div className="live-bar">
      <LiveIndicator state={state} />
      <ChangesPanel state={state} objectTypes={objectTypes} />
    </div>
  );
}
