import type { RelatedChip } from '../related';

/**
 * Related records as chips: "Acme Corp · Primary". A list, so a screen reader says how many.
 * With `limit` (a table cell), the first few (those with a label such as "Primary" first), then
 * "+ 57 more": the record's drawer lists every one.
 */
export function RelatedChips({ chips, limit = null }: { chips: readonly RelatedChip[]; limit?: number | null }) {
  if (chips.length === 0) return <span className="muted">—</span>;
  const capped = limit !== null && chips.length > limit;
  const shown = capped ? [...chips].sort((a, b) => Number(b.labels.length > 0) - Number(a.labels.length > 0)).slice(0, limit) : chips;
  return (
    <ul className="chips" aria-label={capped ? `Related records (${chips.length})` : 'Related records'}>
      {shown.map((chip) => (
        <li key={`${chip.kind}:${chip.id}`} className={chip.unnamed ? 'chip chip--unnamed' : 'chip'} title={`${chip.kind} ${chip.id}`}>
          <span className="chip__name">{chip.name}</span>
          {chip.labels.length > 0 && (
            <span className="chip__labels">
              <span aria-hidden="true"> · </span>
              <span className="visually-hidden">, </span>
              {chip.labels.join(', ')}
            </span>
          )}
        </li>
      ))}
      {capped && <li className="chip chip--more">{`+ ${chips.length - shown.length} more`}</li>}
    </ul>
  );
}
