import { Navigate, Route, Routes, useParams } from 'react-router-dom';
import { Layout } from './components/Layout';
import { IntegrationsProvider } from './hooks/IntegrationsProvider';
import { HubspotIntegration } from './pages/HubspotIntegration';
import { IntegrationSelector } from './pages/IntegrationSelector';
import { NotFound } from './pages/NotFound';
import { OAuthCallback } from './pages/OAuthCallback';
import { useUserId } from './session';

function IntegrationPage() {
  const { provider } = useParams();
  if (provider === 'hubspot') return <HubspotIntegration />;
  return <NotFound title="Integration not available" />;
}

export function App() {
  const userId = useUserId();
  return (
    <Routes>
      <Route path="/integrations/:provider/callback" element={<OAuthCallback />} />
      <Route
        element={
          // Everything below belongs to one user: switching user starts over.
          <IntegrationsProvider key={userId}>
            <Layout />
          </IntegrationsProvider>
        }
      >
        <Route index element={<Navigate to="/integrations" replace />} />
        <Route path="/integrations" element={<IntegrationSelector />} />
        <Route path="/integrations/:provider" element={<IntegrationPage />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
