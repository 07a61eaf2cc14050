/**
 * A provider's logo, as its server metadata declares it (`logo_svg`, a self-contained SVG
 * document), shown as an image from a data: URL (the CSP allows `img-src 'self' data:`; an
 * `<img>` never runs the SVG's scripts). Without one, a tile with the name's first letter.
 */
export function logoDataUrl(svg: string): string {
  return `data:image/svg+xml;utf8,${encodeURIComponent(svg)}`;
}

export function ProviderLogo({ name, svg, size = 44 }: { name: string; svg?: string | null; size?: number }) {
  if (svg) {
    return (
      <img
        className="provider-logo provider-logo--image"
        src={logoDataUrl(svg)}
        alt={`${name} logo`}
        width={size}
        height={size}
      />
    );
  }
  return (
    <span className="provider-logo" style={{ width: size, height: size }} role="img" aria-label={`${name} logo`}>
      {name.charAt(0).toUpperCase() || '?'}
    </span>
  );
}
