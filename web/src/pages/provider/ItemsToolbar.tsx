import type { IntegrationSummary } from '../../api/models';
import type { ItemNouns } from '../../components/ItemsTable';
import { SyncButton } from '../../components/SyncPanel';
import type { ItemsState } from '../../hooks/useItems';
import type { SyncState } from '../../hooks/useSync';
import { capitalize } from '../../nouns';
import { KindSelect } from './KindSelect';
import { Pending } from './ItemsStatus';

/** The items section's head: its title, the kind switcher, a refresh of the preview under way, Sync (when the kind may be read). */
export function ItemsToolbar({
  info,
  nouns,
  objectType,
  onObjectType,
  state,
  showRefreshing,
  sync,
  onSync,
  grantedScopes = null,
  canSync = true,
}: {
  info: IntegrationSummary;
  nouns: ItemNouns;
  objectType: string | null;
  onObjectType: (id: string) => void;
  state: ItemsState;
  /** The preview is shown: say when it is being refreshed. */
  showRefreshing: boolean;
  sync: SyncState;
  onSync: () => void;
  /** The scopes the connection was granted (null: unknown). */
  grantedScopes?: readonly string[] | null;
  /** Sync is offered (not for a kind the connection may not read). */
  canSync?: boolean;
}) {
  return (
    <div className="section__head">
      <h2 id="contacts-title" className="section__title">
        {capitalize(nouns.many)}
      </h2>
      {info.object_types.length > 1 && (
        <KindSelect
          objectTypes={info.object_types}
          value={objectType}
          onChange={onObjectType}
          grantedScopes={grantedScopes}
        />
      )}
      {showRefreshing && state.pending === 'refresh' && <Pending name={info.name} state={state} label="Refreshing…" />}
      {canSync && <SyncButton state={sync} nouns={nouns} onSync={onSync} />}
    </div>
  );
}
