import { useId, useState, type FormEvent } from 'react';
import { isValidUserId, setUserId, useUserId } from '../session';

/**
 * "Signed in as": stands in for a real session until there is one. The value is applied on
 * Enter or when the field loses focus, and only when it is a valid user id.
 */
export function UserIdField() {
  const userId = useUserId();
  const [draft, setDraft] = useState(userId);
  const inputId = useId();
  const errorId = useId();
  const invalid = !isValidUserId(draft.trim());

  const apply = () => {
    if (invalid) return;
    setUserId(draft.trim());
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    apply();
  };

  return (
    <form className="user-field" onSubmit={onSubmit} noValidate>
      <label htmlFor={inputId} className="user-field__label">
        Signed in as
      </label>
      <input
        id={inputId}
        className="user-field__input"
        name="userId"
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={apply}
        autoComplete="username"
        spellCheck={false}
        maxLength={128}
        aria-invalid={invalid}
        aria-describedby={invalid ? errorId : undefined}
      />
      {invalid && (
        <span id={errorId} className="user-field__error" role="alert">
          Use 1–128 letters, digits or . _ @ -
        </span>
      )}
    </form>
  );
}
