import { screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { AttentionEntry } from '../../bindings/AttentionEntry';
import { CommandFailure } from '../../test/ipc';
import { startDesk, syncStatus } from '../../test/console';

function entry(overrides: Partial<AttentionEntry>): AttentionEntry {
  return {
    seq: 21,
    client_id: 'c-21',
    op: 'care_note.create',
    entity: 'care_note',
    entity_id: 'c-21',
    payload: { resident_id: 'res_1', category: 'health', body: 'BP', author_name: 'Front desk', recorded_at: '2026-11-22T10:00:00Z' },
    status: 'needs_attention',
    attempts: 1,
    last_error: 'The request was invalid (422)',
    field_errors: { body: 'Body must be at least 10 characters' },
    next_attempt_at: null,
    sent_at: null,
    created_at: '2026-11-22T10:00:00Z',
    updated_at: '2026-11-22T10:01:00Z',
    description: 'Care note for Margaret Whitaker',
    ...overrides,
  };
}

describe('needs attention', () => {
  it('lists refused changes with the server’s field errors beside the fields', async () => {
    await startDesk(
      { sync_status: syncStatus({ needs_attention: 1 }), outbox_attention: [entry({})] },
      { screen: 'attention' },
    );

    const item = await screen.findByTestId('attention-entry');
    expect(within(item).getByRole('heading')).toHaveTextContent('Care note for Margaret Whitaker');
    // CareLoop's words, without the HTTP code.
    expect(within(item).getByTestId('attention-error')).toHaveTextContent(/^CareLoop said: The request was invalid$/);
    expect(within(item).getByLabelText('Note')).toHaveValue('BP');
    expect(within(item).getByLabelText('Note')).toHaveAccessibleDescription('Error: Body must be at least 10 characters');
    expect(within(item).getByLabelText('Category')).toHaveValue('health');
  });

  it('resubmits the corrected payload, keeping the fields the form does not show', async () => {
    let entries = [entry({})];
    const { user, callsOf } = await startDesk(
      {
        outbox_attention: () => entries,
        resubmit_outbox_entry: () => {
          entries = [];
          return null;
        },
      },
      { screen: 'attention' },
    );
    const item = await screen.findByTestId('attention-entry');
    const body = within(item).getByLabelText('Note');
    await user.clear(body);
    await user.type(body, 'Blood pressure 128/82, no concerns.');
    await user.click(within(item).getByTestId('resubmit-entry'));

    expect(callsOf('resubmit_outbox_entry')).toEqual([
      {
        seq: 21,
        payload: {
          resident_id: 'res_1',
          category: 'health',
          body: 'Blood pressure 128/82, no concerns.',
          author_name: 'Front desk',
          recorded_at: '2026-11-22T10:00:00Z',
        },
      },
    ]);
    expect(await screen.findByTestId('attention-message')).toHaveTextContent('back in the queue');
    await waitFor(() => expect(screen.getByTestId('attention-empty')).toBeInTheDocument());
  });

  it('discards a change only after the person confirms', async () => {
    let entries = [entry({})];
    const { user, callsOf } = await startDesk(
      {
        outbox_attention: () => entries,
        discard_outbox_entry: () => {
          entries = [];
          return null;
        },
      },
      { screen: 'attention' },
    );
    const item = await screen.findByTestId('attention-entry');

    await user.click(within(item).getByTestId('discard-entry'));
    expect(callsOf('discard_outbox_entry')).toHaveLength(0);
    expect(within(item).getByTestId('keep-entry')).toHaveFocus();
    await user.click(within(item).getByTestId('keep-entry'));
    expect(within(item).getByTestId('discard-entry')).toHaveFocus();
    expect(callsOf('discard_outbox_entry')).toHaveLength(0);

    await user.click(within(item).getByTestId('discard-entry'));
    await user.click(within(item).getByTestId('confirm-discard-entry'));
    expect(callsOf('discard_outbox_entry')).toEqual([{ seq: 21 }]);
    expect(await screen.findByTestId('attention-message')).toHaveTextContent('was discarded');
    await waitFor(() => expect(screen.getByTestId('attention-empty')).toBeInTheDocument());
  });

  it('a visit to schedule shows its fields, with staff and home to choose', async () => {
    await startDesk(
      {
        list_staff: [],
        outbox_attention: [
          entry({
            seq: 17,
            op: 'visit.create',
            payload: { location_id: 'loc_rowan', staff_user_id: 'stf_9', visit_type: 'wellbeing', starts_at: '2026-11-23T10:00:00Z', ends_at: '2026-11-23T10:30:00Z' },
            field_errors: { staff_user_id: 'Staff member is inactive' },
            description: 'Schedule a wellbeing visit',
          }),
        ],
      },
      { screen: 'attention' },
    );

    const item = await screen.findByTestId('attention-entry');
    expect(within(item).getByLabelText('Staff member')).toHaveAccessibleDescription('Error: Staff member is inactive');
    expect(within(item).getByLabelText('Staff member')).toHaveValue('stf_9');
    await waitFor(() => expect(within(item).getByLabelText('Home')).toHaveValue('loc_rowan'));
    expect(within(item).getByLabelText('Kind of visit')).toHaveValue('wellbeing');
    // The home's date and time to change, not an ISO timestamp to type.
    expect(within(item).getByLabelText('Starts')).toHaveAttribute('type', 'datetime-local');
    expect(within(item).getByLabelText('Starts')).toHaveValue('2026-11-23T10:00');
  });

  it('says CareLoop’s codes and field names in words, and sends times back as the desk takes them', async () => {
    const { user, callsOf } = await startDesk(
      {
        list_staff: [],
        search_residents: [],
        outbox_attention: [
          entry({
            seq: 17,
            op: 'visit.create',
            payload: { location_id: 'loc_rowan', staff_user_id: 'stf_9', resident_id: 'res_404', visit_type: 'wellbeing', starts_at: '2026-07-23T09:00:00Z', ends_at: '2026-07-23T09:30:00Z' },
            last_error: 'staff_user_id refers to nothing that exists; ends_at must be after starts_at',
            field_errors: { staff_user_id: 'not_found', ends_at: 'must_be_after_starts_at', room: 'required' },
            description: 'Schedule a wellbeing visit',
          }),
        ],
        resubmit_outbox_entry: null,
      },
      { screen: 'attention' },
    );

    const item = await screen.findByTestId('attention-entry');
    expect(within(item).getByTestId('attention-error')).toHaveTextContent(
      'CareLoop said: The staff member refers to nothing that exists; the end must be after the start',
    );
    expect(within(item).getByLabelText('Staff member')).toHaveAccessibleDescription(
      'Error: CareLoop does not know the staff member: choose another',
    );
    expect(within(item).getByLabelText('Ends')).toHaveAccessibleDescription('Error: The end must be after the start');
    expect(item).toHaveTextContent('CareLoop needs the room');
    // A resident to choose by name, not an id to type; one this desk does not know says so.
    const resident = within(item).getByLabelText('Resident (optional)');
    expect(resident.tagName).toBe('SELECT');
    expect(within(resident).getByRole('option', { selected: true })).toHaveTextContent('One not on this desk');
    expect(item).not.toHaveTextContent(/[a-z]+_[a-z]+/);
    // 09:00 UTC in July is 10:00 in London.
    expect(within(item).getByLabelText('Starts')).toHaveValue('2026-07-23T10:00');

    await user.click(within(item).getByTestId('resubmit-entry'));
    const [sent] = callsOf('resubmit_outbox_entry');
    expect((sent?.payload as Record<string, unknown>).starts_at).toBe('2026-07-23T09:00:00.000Z');
    expect((sent?.payload as Record<string, unknown>).resident_id).toBe('res_404');
  });

  it('an unknown kind of change is shown as key and value', async () => {
    const { user, callsOf } = await startDesk(
      {
        outbox_attention: [
          entry({ op: 'incident.create', payload: { title: 'Fall', severity: 3, nested: { a: 1 } }, field_errors: { title: 'Too short' }, description: 'Log an incident' }),
        ],
        resubmit_outbox_entry: new CommandFailure({ code: 'invalid_input', message: 'Check the change', fields: { title: 'Still too short' } }),
      },
      { screen: 'attention' },
    );
    const item = await screen.findByTestId('attention-entry');
    expect(within(item).getByLabelText('Title')).toHaveValue('Fall');
    await user.clear(within(item).getByLabelText('Severity'));
    await user.type(within(item).getByLabelText('Severity'), '4');
    await user.click(within(item).getByTestId('resubmit-entry'));

    expect(callsOf('resubmit_outbox_entry')[0]).toEqual({ seq: 21, payload: { title: 'Fall', severity: 4, nested: { a: 1 } } });
    expect(await within(item).findByTestId('error-summary')).toHaveTextContent('Still too short');
  });
});
