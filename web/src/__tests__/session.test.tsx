import { screen, waitFor } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { DEFAULT_USER_ID, USER_ID_STORAGE_KEY, getUserId, isValidUserId, resetSessionForTests } from '../session';
import { integrationsResponse } from '../test/fixtures';
import { renderApp } from '../test/render';
import { server } from '../test/server';

describe('signed-in user', () => {
  it('validates user ids like the server does', () => {
    expect(isValidUserId('test_user')).toBe(true);
    expect(isValidUserId('a.b-c@d_e')).toBe(true);
    expect(isValidUserId('')).toBe(false);
    expect(isValidUserId('has space')).toBe(false);
    expect(isValidUserId('x'.repeat(129))).toBe(false);
  });

  it('defaults to test_user and reads a stored id from localStorage', () => {
    expect(getUserId()).toBe(DEFAULT_USER_ID);
    window.localStorage.setItem(USER_ID_STORAGE_KEY, 'grace');
    resetSessionForTests();
    expect(getUserId()).toBe('grace');
  });

  it('stores the id typed in the header and sends it as X-User-Id', async () => {
    const seen: (string | null)[] = [];
    server.use(
      http.get('/api/integrations', ({ request }) => {
        seen.push(request.headers.get('X-User-Id'));
        return HttpResponse.json(integrationsResponse('not_connected'));
      }),
    );
    const { user } = renderApp('/integrations');
    const field = await screen.findByLabelText('Signed in as');
    expect(field).toHaveValue('test_user');
    await waitFor(() => expect(seen).toContain('test_user'));

    await user.clear(field);
    await user.type(field, 'bad id');
    expect(screen.getByRole('alert')).toHaveTextContent('Use 1–128 letters');
    await user.keyboard('{Enter}');
    expect(window.localStorage.getItem(USER_ID_STORAGE_KEY)).toBeNull();

    await user.clear(field);
    await user.type(field, 'ada.lovelace{Enter}');
    expect(window.localStorage.getItem(USER_ID_STORAGE_KEY)).toBe('ada.lovelace');
    await waitFor(() => expect(seen.at(-1)).toBe('ada.lovelace'));
  });
});
