/**
 * The search box of the items section, and where its answer comes from. With a synced dataset,
 * or a preview that already holds every record, the table searches what it has (every record).
 * Before the first sync of a larger kind only the first page is loaded, so searching it would
 * quietly miss the rest: for a provider that says it can search (`search: true` in its summary),
 * the term — once typing has settled — goes to the provider, and the table shows the provider's
 * matches, with Load more when there are more. A provider that cannot search after all
 * (`search_unsupported`), or a search that fails, falls back to the loaded page, which the table
 * then says it searched ("1 of the first 100 contacts match").
 */
import { useState } from 'react';
import type { ApiError } from '../../api/client';
import { MAX_SEARCH_CHARS } from '../../api/integrations';
import type { IntegrationItem } from '../../api/models';
import type { ItemNouns } from '../../components/ItemsTable';
import { useDebounced } from '../../hooks/useDebounced';
import { useServerSearch } from '../../hooks/useServerSearch';
import { count, formatNumber } from '../../nouns';
import type { Selection } from '../../selection';

/** Typing settles for this long before the provider is asked. */
export const SEARCH_SETTLE_MS = 300;

/** What the table shows while the provider's search is in play (null: the table searches its own rows). */
export type ServerSearchView =
  | { phase: 'searching'; caption: string }
  | {
      phase: 'matched';
      items: IntegrationItem[];
      caption: string;
      /** The line under the table: whether every match is shown. */
      summary: string;
      empty: string;
      hasMore: boolean;
      loadingMore: boolean;
      loadMore: () => void;
      /** Loading the next page failed (the matches so far stay). */
      error: ApiError | null;
      retry: () => void;
    }
  | { phase: 'failed'; error: ApiError; retry: () => void };

/** "3 contacts in {Name} match “ada”", or, with more to load, "The first 100 contacts in {Name} matching “a”". */
export function matchesCaption(n: number, more: boolean, term: string, name: string, nouns: ItemNouns): string {
  if (more) return `The first ${formatNumber(n)} ${nouns.many} in ${name} matching “${term}”`;
  return `${count(n, nouns.one)} in ${name} ${n === 1 ? 'matches' : 'match'} “${term}”`;
}

export function usePreviewSearch({
  provider,
  name,
  objectType,
  nouns,
  canSearch,
  selection,
}: {
  provider: string;
  name: string;
  objectType: string | null;
  nouns: ItemNouns;
  /** What each match carries (the chosen columns). */
  selection?: Selection;
  /** The provider searches, and the table holds only part of the kind (the preview's first page). */
  canSearch: boolean;
}) {
  const [term, setTerm] = useState('');
  // The provider said it cannot search after all: search the loaded rows from then on.
  const [unsupported, setUnsupported] = useState(false);
  const wanted = term.trim().slice(0, MAX_SEARCH_CHARS);
  const settled = useDebounced(wanted, SEARCH_SETTLE_MS);
  const eligible = canSearch && !unsupported;
  const search = useServerSearch(provider, objectType, settled, eligible, selection);
  const { state, loadMore, retry } = search;

  // Adjusting state while rendering (React's pattern for "when X changes"): the fallback is in
  // the same paint as the refusal.
  if (state.error?.code === 'search_unsupported' && !unsupported) setUnsupported(true);

  let view: ServerSearchView | null = null;
  if (eligible && wanted !== '' && state.error?.code !== 'search_unsupported') {
    const current = settled === wanted;
    if (current && state.error && !state.loaded) {
      view = { phase: 'failed', error: state.error, retry };
    } else if (current && state.loaded && !(state.searching && state.items.length === 0)) {
      view = {
        phase: 'matched',
        items: state.items,
        caption: matchesCaption(state.items.length, state.hasMore, wanted, name, nouns),
        summary: state.hasMore
          ? `Showing ${formatNumber(state.items.length)} matching ${nouns.many} — more in ${name}`
          : `All ${formatNumber(state.items.length)} matching ${state.items.length === 1 ? nouns.one : nouns.many} shown`,
        empty: `No ${nouns.one} in ${name} matches “${wanted}”.`,
        hasMore: state.hasMore,
        loadingMore: state.loadingMore,
        loadMore,
        error: state.error,
        retry,
      };
    } else {
      view = { phase: 'searching', caption: `Searching all ${nouns.many} in ${name}…` };
    }
  }
  return { term, setTerm, view };
}
