import { Link } from 'react-router-dom';

export function NotFound({ title = 'Page not found' }: { title?: string }) {
  return (
    <div className="page">
      <Link className="back-link" to="/integrations">
        ← All integrations
      </Link>
      <div className="card empty-state">
        <h1 className="page__title">{title}</h1>
        <p className="muted">This integration is not available yet.</p>
      </div>
    </div>
  );
}
