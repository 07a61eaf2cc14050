import { useEffect } from 'react';

const PRODUCT = 'VectorShift Integrations';

/** Names the page in the browser tab and for screen readers announcing navigation. */
export function useDocumentTitle(title: string | null): void {
  useEffect(() => {
    document.title = title ? `${title} · ${PRODUCT}` : PRODUCT;
  }, [title]);
}
