import { QueryClientProvider, useQuery, type QueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import type { ApiError } from './api/client';
import { getConfig } from './api/integrations';
import type { AppConfig } from './api/models';
import { listenForParentToken, tokenSubject, useToken } from './auth/embed';
import { setAuthMode } from './auth/mode';
import { ErrorNotice } from './components/ErrorNotice';
import { Layout } from './components/Layout';
import { createQueryClient, IdentityContext, useInvalidateConnection } from './hooks/queries';
import { isOAuthResultMessage, OAUTH_CHANNEL_NAME } from './oauth/messages';
import { IntegrationSelector } from './pages/IntegrationSelector';
import { NotFound } from './pages/NotFound';
import { OAuthCallback } from './pages/OAuthCallback';
import { ProviderRoute } from './pages/ProviderPage';
import { useUserId } from './session';

/**
 * Any OAuth result, from a popup this tab opened or one left over from before a reload (the
 * callback page broadcasts it), may have changed a connection: refetch.
 */
function OAuthResultListener() {
  const invalidate = useInvalidateConnection();
  useEffect(() => {
    const onMessage = (event: MessageEvent) => {
      if (event.origin === window.location.origin && isOAuthResultMessage(event.data)) invalidate();
    };
    window.addEventListener('message', onMessage);
    let channel: BroadcastChannel | null = null;
    if (typeof BroadcastChannel !== 'undefined') {
      channel = new BroadcastChannel(OAUTH_CHANNEL_NAME);
      channel.onmessage = (event: MessageEvent) => {
        if (isOAuthResultMessage(event.data)) invalidate();
      };
    }
    return () => {
      window.removeEventListener('message', onMessage);
      channel?.close();
    };
  }, [invalidate]);
  return null;
}

function WaitingForSignIn() {
  return (
    <div className="page">
      <div className="waiting" role="status">
        <span className="spinner" aria-hidden="true" />
        <div>
          <h1 className="waiting__title" tabIndex={-1}>
            Waiting for sign-in from the host page
          </h1>
          <p className="muted">This page opens as soon as the application around it signs you in.</p>
        </div>
      </div>
    </div>
  );
}

/** Loads the server's configuration, then names the user the way the server wants. */
function Shell() {
  const config = useQuery<AppConfig, ApiError>({
    queryKey: ['config'],
    queryFn: async ({ signal }) => {
      const value = await getConfig(signal);
      setAuthMode(value.auth_mode);
      return value;
    },
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
  const userId = useUserId();
  const token = useToken();
  const mode = config.data?.auth_mode;
  const origins = config.data?.embed_origins;

  useEffect(() => {
    if (mode !== 'jwt' || !origins) return;
    return listenForParentToken(origins);
  }, [mode, origins]);

  if (!config.data) {
    return (
      <div className="app app--bare">
        <main id="main" className="main" tabIndex={-1}>
          <div className="page">
            {config.error ? (
              <ErrorNotice heading="h1" title="Could not load this page" error={config.error} onRetry={() => void config.refetch()} />
            ) : (
              <p className="muted" role="status">
                Loading…
              </p>
            )}
          </div>
        </main>
      </div>
    );
  }

  const identity = mode === 'jwt' ? tokenSubject(token) : userId;
  return (
    <IdentityContext.Provider value={identity ?? ''}>
      {identity !== null && <OAuthResultListener />}
      <Layout
        mode={config.data.auth_mode}
        sandbox={config.data.sandbox}
        signedIn={identity !== null}
        identity={identity ?? ''}
      >
        {identity === null ? <WaitingForSignIn /> : undefined}
      </Layout>
    </IdentityContext.Provider>
  );
}

export function App({ queryClient }: { queryClient?: QueryClient }) {
  const [client] = useState(() => queryClient ?? createQueryClient());
  return (
    <QueryClientProvider client={client}>
      <Routes>
        <Route path="/integrations/:provider/callback" element={<OAuthCallback />} />
        <Route element={<Shell />}>
          <Route index element={<Navigate to="/integrations" replace />} />
          <Route path="/integrations" element={<IntegrationSelector />} />
          <Route path="/integrations/:provider" element={<ProviderRoute />} />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </QueryClientProvider>
  );
}
