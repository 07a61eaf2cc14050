import type { RelatedChip } from '../related';

/** Related records as chips: "Acme Corp · Primary". A list, so a screen reader says how many. */
export function RelatedChips({ chips }: { chips: readonly RelatedChip[] }) {
  if (chips.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="chips" aria-label="Related records">
      {chips.map((chip) => (
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
    </ul>
  );
}
