/** Small brand marks. Not official logos: a coloured tile with a glyph. */
const BRANDS: Record<string, { color: string; glyph: string }> = {
  hubspot: { color: '#ff7a59', glyph: 'H' },
  notion: { color: '#111827', glyph: 'N' },
  airtable: { color: '#18bfff', glyph: 'A' },
  slack: { color: '#4a154b', glyph: 'S' },
};

export function ProviderLogo({ id, name, size = 44 }: { id: string; name: string; size?: number }) {
  const brand = BRANDS[id] ?? { color: '#6366f1', glyph: name.charAt(0).toUpperCase() || '?' };
  if (id === 'hubspot') {
    return (
      <span className="provider-logo" style={{ width: size, height: size, background: brand.color }} aria-hidden="true">
        <svg viewBox="0 0 24 24" width={size * 0.58} height={size * 0.58} fill="none" stroke="#fff" strokeWidth="2.2" strokeLinecap="round">
          <circle cx="15" cy="14" r="3.6" />
          <path d="M15 10.4V6.2" />
          <circle cx="15" cy="5" r="1.4" fill="#fff" stroke="none" />
          <path d="M12.2 11.8 6.4 7.4" />
          <circle cx="5.4" cy="6.6" r="1.6" fill="#fff" stroke="none" />
          <path d="M12.6 16.4 9.5 19.3" />
        </svg>
      </span>
    );
  }
  return (
    <span className="provider-logo" style={{ width: size, height: size, background: brand.color }} aria-hidden="true">
      {brand.glyph}
    </span>
  );
}
