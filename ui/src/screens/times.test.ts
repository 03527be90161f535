// Every time on screen that is not today says its day, and its year when not this year, by the
// one rule in lib/format.ts (London's calendar): "yesterday at 10:00", "Mon 3 Jun 2019 at 10:00".
import { screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { AttentionEntry } from '../bindings/AttentionEntry';
import type { CareNoteView } from '../bindings/CareNoteView';
import type { Resident } from '../bindings/Resident';
import type { VisitView } from '../bindings/VisitView';
import { alert, homeAt, startDesk, syncStatus } from '../test/console';

// 09:00 UTC on 3 June 2019 is 10:00 in London (summer time).
const longAgo = '2019-06-03T09:00:00Z';

function note(id: string, recorded_at: string): CareNoteView {
  return {
    id,
    resident_id: 'res_1',
    author_staff_id: null,
    author_name: 'Ben Walsh',
    category: 'nutrition',
    body: 'Ate all of lunch.',
    recorded_at,
    created_at: null,
    updated_at: recorded_at,
    pending: false,
  };
}

describe('times in words on every screen', () => {
  it('care notes: "Yesterday at 10:00", another year with its year', async () => {
    const resident: Resident = {
      id: 'res_1', full_name: 'Margaret Whitaker', preferred_name: null, room_number: '104',
      date_of_birth: null, status: 'current', dnar_status: 'dnar', location_id: 'loc_rowan',
      keyworker: null, contacts: [], admitted_at: null, discharged_at: null, created_at: null,
      updated_at: '2026-11-01T00:00:00Z',
    };
    const { user } = await startDesk(
      {
        search_residents: [resident],
        get_resident: {
          resident,
          location_name: 'Rowan House',
          keyworker_name: null,
          care_notes: [note('n3', homeAt(0, 9, 15)), note('n2', homeAt(-1, 10)), note('n1', longAgo)],
        },
      },
      { screen: 'residents' },
    );
    await user.click(await screen.findByTestId('resident-row'));

    const notes = await screen.findAllByTestId('care-note');
    expect(notes[0]).toHaveTextContent('Today at 09:15');
    expect(notes[1]).toHaveTextContent('Yesterday at 10:00');
    expect(notes[2]).toHaveTextContent('Mon 3 Jun 2019 at 10:00');
  });

  it('alerts centre: raised and acknowledged, with day and year', async () => {
    const raised = alert({ id: 3, raised_at: homeAt(-1, 22, 10) });
    const done = alert({ id: 4, raised_at: longAgo, acknowledged_at: longAgo, acknowledged_by: 'Femi Hughes' });
    await startDesk({ list_alerts: { open: [raised], recent: [raised, done] } }, { screen: 'alerts' });

    const open = await screen.findByTestId('open-alert');
    expect(open).toHaveTextContent('Raised yesterday at 22:10');
    expect(screen.getByTestId('alert-banner')).toHaveTextContent('Raised yesterday at 22:10');
    const acknowledged = screen.getByTestId('acknowledged-alert');
    expect(acknowledged).toHaveTextContent('raised Mon 3 Jun 2019 at 10:00');
    expect(within(acknowledged).getByTestId('acknowledged-by-who')).toHaveTextContent('By Femi Hughes on Mon 3 Jun 2019 at 10:00');
  });

  it('needs attention: when the change was made', async () => {
    const entry: AttentionEntry = {
      seq: 5, client_id: 'c-5', op: 'care_note.create', entity: 'care_note', entity_id: 'c-5',
      payload: { resident_id: 'res_1', category: 'health', body: 'BP' }, status: 'needs_attention',
      attempts: 2, last_error: null, field_errors: null, next_attempt_at: null, sent_at: null,
      created_at: homeAt(-1, 10), updated_at: homeAt(-1, 10), description: 'Care note for Margaret Whitaker',
    };
    await startDesk({ outbox_attention: [entry] }, { screen: 'attention' });

    expect(await screen.findByTestId('attention-entry')).toHaveTextContent('Made yesterday at 10:00 · tried 2 times');
  });

  it('sync bar and "This desk": last synced and last problem', async () => {
    const resources = [
      { resource: 'visits', cursor: null, last_full_at: null, last_success_at: homeAt(-1, 22), last_error: 'CareLoop answered 503', last_error_at: longAgo },
    ];
    await startDesk({ sync_status: syncStatus({ resources }) });

    expect(await screen.findByTestId('last-synced')).toHaveTextContent('Last synced yesterday at 22:00');
    const row = await screen.findByTestId('sync-resource');
    expect(row).toHaveTextContent('yesterday at 22:00');
    expect(row).toHaveTextContent('Mon 3 Jun 2019 at 10:00');
  });

  it('visits: a visit ending the next day says so', async () => {
    const late: VisitView = {
      id: 'vis_late', location_id: 'loc_rowan', staff_user_id: null, resident_id: null, visit_type: 'night_check',
      starts_at: homeAt(0, 23), ends_at: homeAt(1, 1), status: 'completed', notes: null, confirmed_at: null,
      completed_at: null, cancelled_at: null, cancel_reason: null, created_at: null, updated_at: '2026-11-01T00:00:00Z',
      staff_name: null, resident_name: null, pending: false, changed_by: null,
    };
    await startDesk({ list_visits: [late] }, { screen: 'visits' });

    await waitFor(() => expect(screen.getByTestId('visit-row')).toHaveTextContent(/23:00\s*to tomorrow at 01:00/));
  });
});
