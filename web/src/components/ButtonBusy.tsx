/** A button's label while its action runs: a small spinner (hidden from screen readers) and words. */
export function ButtonBusy({ label }: { label: string }) {
  return (
    <>
      <span className="spinner spinner--sm" aria-hidden="true" />
      {label}
    </>
  );
}
