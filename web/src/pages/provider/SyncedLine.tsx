import { useEffect, useState } from 'react';
import type { ItemNouns } from '../../components/ItemsTable';
import type { Dataset } from '../../dataset/model';
import { count } from '../../nouns';

/** "just now", "1 min ago", "2 h ago", "3 days ago": how long ago `at` was, from `now`. */
export function relativeTime(at: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 45) return 'just now';
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  return days === 1 ? 'yesterday' : `${days} days ago`;
}

/** The current time, ticking every `everyMs` (for words like "2 min ago"). */
function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/**
 * "Last synced 2 min ago · 12,345 contacts", the time kept current; before a sync finished
 * once, "Sync not finished · 1,234 contacts so far". Not a live region: it would chatter.
 */
export function SyncedLine({ dataset, nouns }: { dataset: Dataset; nouns: ItemNouns }) {
  const now = useNow(15_000);
  const records = count(dataset.items.length, nouns.one);
  const text =
    dataset.syncedAt === null
      ? `Sync not finished · ${records} so far`
      : `Last synced ${relativeTime(dataset.syncedAt, Math.max(now, dataset.syncedAt))} · ${records}`;
  return (
    <p className="muted synced-line" title={dataset.syncedAt === null ? undefined : new Date(dataset.syncedAt).toLocaleString()}>
      {text}
    </p>
  );
}
