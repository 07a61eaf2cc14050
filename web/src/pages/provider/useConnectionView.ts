/**
 * What the provider page shows about the connection, from the cached status (TanStack Query),
 * the integrations list and what the items answered. It keeps the last known state: a status
 * refresh that fails (a 5xx, the server unreachable) does not wipe the connection — the page
 * keeps it and says when it was last confirmed. It notices a grant lost elsewhere: the page
 * showed a connection and the server now says there is none (or it needs a reconnect), without
 * this page's Disconnect.
 */
import { useState } from 'react';
import type { ApiError } from '../../api/client';
import type { ConnectionStatus } from '../../api/models';

export type View = 'loading' | 'not_connected' | 'connected' | 'reauth' | 'error';

export interface StatusSnapshot {
  data: ConnectionStatus | undefined;
  error: ApiError | null;
}

/** Whether an error is the server's word on the grant (then it wins over an older answer). */
function saysGrantGone(error: ApiError | null): boolean {
  return error !== null && (error.needsReauth || error.code === 'not_connected');
}

export function viewOf(status: StatusSnapshot, listStatus: string | undefined, itemsError: ApiError | null): View {
  const { data, error } = status;
  if (error?.needsReauth) return 'reauth';
  if (error?.code === 'not_connected') return 'not_connected';
  // Any other failure keeps the last answer when there is one.
  if (!data) return error ? 'error' : 'loading';
  // Newer servers say `status: reauth_required` here directly; older ones only in the list.
  const reauth = data.status === 'reauth_required' || listStatus === 'reauth_required';
  if (!data.connected) return reauth ? 'reauth' : 'not_connected';
  // A missing permission concerns one object type: it is shown with the items, where the
  // switcher still lets the person pick another kind.
  if (reauth || (itemsError?.needsReauth && itemsError.code !== 'insufficient_scope')) return 'reauth';
  if (itemsError?.code === 'not_connected') return 'not_connected';
  return 'connected';
}

export interface ConnectionView {
  view: View;
  /** The last status refresh failed: what is shown was confirmed at `since` (ms since the epoch). */
  stale: { since: number; error: ApiError } | null;
  /** The page showed a connection, and it went away without this page's Disconnect. */
  lostElsewhere: boolean;
}

export function useConnectionView(
  status: StatusSnapshot & { dataUpdatedAt: number },
  listStatus: string | undefined,
  itemsError: ApiError | null,
  {
    disconnectedHere,
    rowsShown,
  }: {
    /** This page's Disconnect is under way or done: the loss is no news. */
    disconnectedHere: boolean;
    /** Rows of this connection were loaded: an items answer saying the grant is gone is news too. */
    rowsShown: boolean;
  },
): ConnectionView {
  const view = viewOf(status, listStatus, itemsError);
  // The grant is gone by the server's status word (not only because the first items call said so:
  // that is a grant that did not work, not one lost while shown).
  const statusSaysGone =
    saysGrantGone(status.error) ||
    status.data?.connected === false ||
    status.data?.status === 'reauth_required' ||
    listStatus === 'reauth_required';
  const [previous, setPrevious] = useState<View>(view);
  const [lostElsewhere, setLostElsewhere] = useState(false);
  // Adjusting state while rendering (React's pattern for "when X changes"), not in an effect:
  // the message is there in the same paint as the change.
  if (previous !== view) {
    setPrevious(view);
    const gone = view === 'not_connected' || view === 'reauth';
    if (previous === 'connected' && gone && !disconnectedHere && (statusSaysGone || rowsShown)) setLostElsewhere(true);
    else if (view === 'connected' || view === 'loading') setLostElsewhere(false);
  }
  const stale =
    status.data !== undefined && status.error !== null && !saysGrantGone(status.error)
      ? { since: status.dataUpdatedAt, error: status.error }
      : null;
  return { view, stale, lostElsewhere: lostElsewhere && (view === 'not_connected' || view === 'reauth') };
}

const CLOCK = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** "12:03": the time of day, for "showing data from 12:03". */
export function formatClock(ms: number): string {
  return CLOCK.format(new Date(ms));
}
