import { screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { Staff } from '../../bindings/Staff';
import { startDesk } from '../../test/console';

function member(id: string, name: string, summary: Staff['certification_summary'], role: Staff['role'] = 'carer'): Staff {
  return {
    id,
    full_name: name,
    preferred_name: null,
    role,
    email: null,
    phone: null,
    location_id: 'loc_rowan',
    status: 'active',
    certification_summary: summary,
    created_at: null,
    updated_at: '2026-11-01T00:00:00Z',
  };
}

const people = [
  member('s1', 'Aisha Khan', { total: 8, valid: 4, expiring_30: 1, expiring_60: 2, expiring_90: 0, expired: 1 }, 'nurse'),
  member('s2', 'Ben Walsh', { total: 6, valid: 6, expiring_30: 0, expiring_60: 0, expiring_90: 0, expired: 0 }),
  member('s3', 'Chloe Nowak', null, 'shift_lead'),
];

describe('staff directory', () => {
  it('shows role and certifications in words with icons, at this desk’s home', async () => {
    const { callsOf } = await startDesk({ list_staff: people }, { screen: 'staff' });

    const rows = await screen.findAllByTestId('staff-row');
    expect(callsOf('list_staff')).toEqual([{ locationId: 'loc_rowan' }]);
    expect(rows[0]).toHaveTextContent('Aisha Khan');
    expect(rows[0]).toHaveTextContent('Nurse');
    const expired = within(rows[0]!).getByTestId('cert-expired');
    expect(expired).toHaveTextContent('1 expired');
    expect(expired.querySelector('svg')).not.toBeNull();
    expect(within(rows[0]!).getByTestId('cert-expiring-30')).toHaveTextContent('1 expiring within 30 days');
    expect(within(rows[0]!).getByTestId('cert-expiring-60')).toHaveTextContent('2 expiring in 31 to 60 days');
    expect(within(rows[0]!).queryByTestId('cert-expiring-90')).not.toBeInTheDocument();
    expect(within(rows[1]!).getByTestId('cert-ok')).toHaveTextContent('All 6 current');
    expect(rows[2]).toHaveTextContent('Shift lead');
    expect(rows[2]).toHaveTextContent('Not known on this desk');
  });

  it('filters by name or role, and by home', async () => {
    const { user, callsOf } = await startDesk({ list_staff: people }, { screen: 'staff' });
    await screen.findAllByTestId('staff-row');

    await user.type(screen.getByTestId('staff-filter'), 'shift');
    expect(screen.getAllByTestId('staff-row').map((r) => r.getAttribute('data-staff-id'))).toEqual(['s3']);

    await user.selectOptions(screen.getByTestId('staff-location'), 'All homes');
    await waitFor(() => expect(callsOf('list_staff').at(-1)).toEqual({}));
  });
});
