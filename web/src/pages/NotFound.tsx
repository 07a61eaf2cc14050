import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';

export function NotFound({ title = 'Page not found', children }: { title?: string; children?: ReactNode }) {
  return (
    <div className="page">
      <Link className="back-link" to="/integrations">
        ← All integrations
      </Link>
      <div className="card empty-state">
        <h1 className="page__title">{title}</h1>
        <p className="muted">{children ?? 'There is nothing at this address. Pick an integration from the list.'}</p>
      </div>
    </div>
  );
}
