import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { isApiError, type ApiError } from '../api/client';
import { listIntegrations } from '../api/integrations';
import type { IntegrationsResponse } from '../api/types';
import { IntegrationsContext } from './integrationsContext';

export function IntegrationsProvider({ children }: { children: ReactNode }) {
  const [data, setData] = useState<IntegrationsResponse | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    listIntegrations(controller.signal).then(
      (response) => {
        setData(response);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setError(isApiError(err) ? err : null);
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [generation]);

  const reload = useCallback(() => {
    setLoading(true);
    setGeneration((g) => g + 1);
  }, []);

  const value = useMemo(() => ({ data, error, loading, reload }), [data, error, loading, reload]);
  return <IntegrationsContext.Provider value={value}>{children}</IntegrationsContext.Provider>;
}
