import { createContext, useContext } from 'react';
import type { ApiError } from '../api/client';
import type { IntegrationsResponse } from '../api/types';

export interface IntegrationsContextValue {
  data: IntegrationsResponse | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

export const IntegrationsContext = createContext<IntegrationsContextValue>({
  data: null,
  error: null,
  loading: true,
  reload: () => undefined,
});

/** The server's list of integrations (and whether it runs in sandbox mode). */
export function useIntegrations(): IntegrationsContextValue {
  return useContext(IntegrationsContext);
}
