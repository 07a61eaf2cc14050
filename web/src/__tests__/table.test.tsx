/**
 * The items table at 100,000 rows: only the rows in view are in the page (virtualized), the
 * table still says how many rows it has and where each shown one is, it scrolls, and search
 * and sort still cover every row. Small tables keep every row in the page.
 */
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ItemsTable, VIRTUALIZE_AFTER } from '../components/ItemsTable';
import { contacts, HUBSPOT_META } from '../test/fixtures';

const ROW_PX = 42;
const VIEW_PX = 490;
const NOUNS = { one: 'contact', many: 'contacts' };

/** The rows a person (or a screen reader) gets: spacers are aria-hidden. */
function bodyRows() {
  return within(screen.getByRole('table')).getAllByRole('row').slice(1);
}

function table(count: number) {
  return render(
    <ItemsTable
      items={contacts(1, count)}
      columns={HUBSPOT_META.columns}
      nouns={NOUNS}
      providerName="Provider"
      total={count}
    />,
  );
}

describe('a table of 100,000 rows', () => {
  beforeEach(() => {
    // jsdom lays nothing out: give the scroll area a height and each row one.
    vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(VIEW_PX);
    vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(1000);
    vi.spyOn(HTMLElement.prototype, 'offsetHeight', 'get').mockReturnValue(ROW_PX);
  });

  it('renders only the rows in view, and says how many there are and where each one is', () => {
    table(100_000);
    const grid = screen.getByRole('table');
    expect(grid).toHaveAttribute('aria-rowcount', '100001');
    const rows = bodyRows();
    expect(rows.length).toBeGreaterThan(VIEW_PX / ROW_PX);
    expect(rows.length).toBeLessThan(60);
    expect(rows[0]).toHaveAttribute('aria-rowindex', '2');
    expect(rows[0]).toHaveTextContent('Contact 1');
    expect(within(grid).getAllByRole('row')[0]).toHaveAttribute('aria-rowindex', '1');
    // The spacer below stands in for every other row, so the scroll bar covers them all.
    const spacer = grid.querySelector<HTMLTableCellElement>('tbody tr.table__spacer:last-child td');
    expect(spacer?.style.height).toBe(`${(100_000 - rows.length) * ROW_PX}px`);
    expect(screen.getByText('100,000 of 100,000 contacts')).toBeInTheDocument();
  });

  it('scrolling brings the rows there into the page (the scroll area is focusable for the keyboard)', async () => {
    table(100_000);
    const region = screen.getByRole('region', { name: 'Provider contacts table' });
    expect(region).toHaveAttribute('tabindex', '0');
    Object.defineProperty(region, 'scrollTop', { configurable: true, value: 50_000 * ROW_PX });
    fireEvent.scroll(region);
    await waitFor(() => expect(screen.getByRole('cell', { name: 'Contact 50001' })).toBeInTheDocument());
    const row = screen.getByRole('cell', { name: 'Contact 50001' }).closest('tr');
    expect(row).toHaveAttribute('aria-rowindex', '50002');
    expect(screen.queryByRole('cell', { name: 'Contact 1' })).not.toBeInTheDocument();
    expect(bodyRows().length).toBeLessThan(60);

    Object.defineProperty(region, 'scrollTop', { configurable: true, value: 100_000 * ROW_PX - VIEW_PX });
    fireEvent.scroll(region);
    await waitFor(() => expect(screen.getByRole('cell', { name: 'Contact 100000' })).toBeInTheDocument());
    expect(bodyRows().at(-1)).toHaveAttribute('aria-rowindex', '100001');
  });

  it('search and sort cover every row, not only those rendered', async () => {
    const user = userEvent.setup();
    table(100_000);
    await user.type(screen.getByRole('searchbox', { name: 'Search contacts' }), 'contact99999@');
    await waitFor(() => expect(bodyRows()).toHaveLength(1));
    expect(screen.getByText('1 of 100,000 contacts match')).toBeInTheDocument();
    // One row: not virtualized, so no row count to announce.
    expect(screen.getByRole('table')).not.toHaveAttribute('aria-rowcount');
    await user.clear(screen.getByRole('searchbox', { name: 'Search contacts' }));
    await waitFor(() => expect(screen.getByRole('table')).toHaveAttribute('aria-rowcount', '100001'));

    await user.click(screen.getByRole('button', { name: /^Name/ }));
    await user.click(screen.getByRole('button', { name: /^Name/ }));
    expect(screen.getByRole('columnheader', { name: /Name/ })).toHaveAttribute('aria-sort', 'descending');
    expect(bodyRows()[0]).toHaveTextContent('Contact 100000');
    expect(bodyRows()[1]).toHaveTextContent('Contact 99999');
  });
});

describe('a small table', () => {
  it(`keeps all ${VIRTUALIZE_AFTER} rows in the page`, () => {
    table(VIRTUALIZE_AFTER);
    expect(bodyRows()).toHaveLength(VIRTUALIZE_AFTER);
    expect(screen.getByRole('table')).not.toHaveAttribute('aria-rowcount');
    expect(document.querySelector('.table__spacer')).toBeNull();
  });
});
