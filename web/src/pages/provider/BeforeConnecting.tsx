import type { IntegrationSummary } from '../../api/models';

/** The pre-connect explanation: what VectorShift can do, read-only, sign-in on the provider's page. */
export function BeforeConnecting({ info }: { info: IntegrationSummary }) {
  const name = info.name;
  return (
    <section className="card explain" aria-labelledby="explain-title">
      <h2 id="explain-title" className="section__title">
        What happens when you connect
      </h2>
      <ul className="explain__list">
        {info.permissions.length > 0 && (
          <li>
            <strong>What VectorShift can do:</strong>
            <ul className="permissions">
              {info.permissions.map((permission) => (
                <li key={permission}>{permission}</li>
              ))}
            </ul>
          </li>
        )}
        <li>
          <strong>Read-only:</strong> {`VectorShift never creates, changes or deletes anything in ${name}.`}
        </li>
        <li>
          <strong>{`You sign in on ${name}’s own page;`}</strong> VectorShift never sees your password.
        </li>
        <li>
          <strong>Disconnect at any time</strong> {`here, or from ${name}’s own settings.`}
        </li>
      </ul>
    </section>
  );
}
