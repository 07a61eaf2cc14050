/**
 * The pieces around the provider's own search (`usePreviewSearch`): Load more matches, and what
 * failed — after which the table searches the loaded page instead, and says so.
 */
import type { ApiError } from '../../api/client';
import { ButtonBusy } from '../../components/ButtonBusy';
import { ErrorNotice, errorTitle } from '../../components/ErrorNotice';
import type { ItemNouns } from '../../components/ItemsTable';
import type { ServerSearchView } from './usePreviewSearch';

/** The provider could not search: why, Retry, and that the table now searches the loaded rows only. */
export function ServerSearchFailure({
  name,
  nouns,
  error,
  onRetry,
}: {
  name: string;
  nouns: ItemNouns;
  error: ApiError;
  onRetry: () => void;
}) {
  return (
    <ErrorNotice
      title={`${errorTitle(error, `search ${nouns.many} in ${name}`, name)} — searching the loaded ${nouns.many} only`}
      error={error}
      provider={name}
      onRetry={onRetry}
    />
  );
}

/** "Load more matches" while the provider has more; a failed next page keeps the matches so far. */
export function ServerSearchMore({
  name,
  nouns,
  view,
}: {
  name: string;
  nouns: ItemNouns;
  view: Extract<ServerSearchView, { phase: 'matched' }>;
}) {
  if (view.error) {
    return (
      <ErrorNotice
        title={errorTitle(view.error, `load more matching ${nouns.many}`, name)}
        error={view.error}
        provider={name}
        onRetry={view.retry}
      />
    );
  }
  if (!view.hasMore) return null;
  return (
    <button
      type="button"
      className="btn btn--secondary"
      onClick={() => {
        if (!view.loadingMore) view.loadMore();
      }}
      aria-disabled={view.loadingMore || undefined}
    >
      {view.loadingMore ? <ButtonBusy label="Loading…" /> : 'Load more matches'}
    </button>
  );
}
