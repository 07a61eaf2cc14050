/**
 * Ask for what you offer: the kind switcher says, before anyone picks a kind, whether the
 * connection was granted the scope to read it.
 */
import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ObjectType } from '../api/models';
import { KindSelect, kindGranted } from '../pages/provider/KindSelect';

const CONTACTS: ObjectType = { id: 'contacts', noun: 'contact', scopes: ['crm.objects.contacts.read'] };
const COMPANIES: ObjectType = { id: 'companies', noun: 'company', scopes: ['crm.objects.companies.read'] };
const NOTES: ObjectType = { id: 'notes', noun: 'note', scopes: [] };
const KINDS = [CONTACTS, COMPANIES, NOTES];

describe('kind grants', () => {
  it('a kind is granted by any one of its scopes; no scopes needed or none recorded is not second-guessed', () => {
    const granted = ['oauth', 'crm.objects.contacts.read'];
    expect(kindGranted(CONTACTS, granted)).toBe(true);
    expect(kindGranted(COMPANIES, granted)).toBe(false);
    expect(kindGranted(NOTES, granted)).toBe(true);
    expect(kindGranted(COMPANIES, [])).toBe(true);
    expect(kindGranted(COMPANIES, null)).toBe(true);
  });

  it('the switcher marks the kinds the grant cannot read', () => {
    render(
      <KindSelect
        objectTypes={KINDS}
        value="contacts"
        onChange={() => undefined}
        grantedScopes={['oauth', 'crm.objects.contacts.read']}
      />,
    );
    const options = within(screen.getByRole('combobox', { name: 'Show' }))
      .getAllByRole('option')
      .map((o) => o.textContent);
    expect(options).toEqual(['Contacts', 'Companies — not granted', 'Notes']);
  });

  it('with every scope granted (or unknown) the options are the plain kinds', () => {
    const { rerender } = render(
      <KindSelect
        objectTypes={KINDS}
        value="contacts"
        onChange={() => undefined}
        grantedScopes={['crm.objects.contacts.read', 'crm.objects.companies.read']}
      />,
    );
    const names = () =>
      within(screen.getByRole('combobox', { name: 'Show' }))
        .getAllByRole('option')
        .map((o) => o.textContent);
    expect(names()).toEqual(['Contacts', 'Companies', 'Notes']);
    rerender(<KindSelect objectTypes={KINDS} value="contacts" onChange={() => undefined} />);
    expect(names()).toEqual(['Contacts', 'Companies', 'Notes']);
  });
});
