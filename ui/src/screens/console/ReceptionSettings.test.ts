// The managers' reception settings (screening, policy, automatic sign-out, retention), the purge
// with counts only, and a shift lead's approval flag and evacuation notes on the resident page.
import { screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { Purged } from '../../bindings/Purged';
import type { ReceptionSettings } from '../../bindings/ReceptionSettings';
import type { ResidentDetail } from '../../bindings/ResidentDetail';
import type { ResidentReception } from '../../bindings/ResidentReception';
import { CommandFailure } from '../../test/ipc';
import { startDesk } from '../../test/console';

function receptionSettings(overrides: Partial<ReceptionSettings> = {}): ReceptionSettings {
  return {
    outbreak_mode: false,
    screening_when: 'outbreak',
    screening_questions: ['Do you have a high temperature?', 'Have you had diarrhoea or vomiting in the last 48 hours?'],
    screening_guidance: 'Please do not visit today.',
    policy_text: 'Please wash your hands.',
    policy_version: 2,
    auto_sign_out_time: '23:59',
    visitor_retention_days: 90,
    screening_retention_days: 14,
    ...overrides,
  };
}

const nothingPurged: Purged = {
  sign_ins: 0,
  visitors: 0,
  screening_answers: 0,
  staff_movements: 0,
  resident_outings: 0,
  roll_calls: 0,
  notices: 0,
};

describe('reception settings', () => {
  it('shows the saved settings and saves a change: outbreak mode on, one question a line, days as numbers', async () => {
    const { user, callsOf } = await startDesk(
      {
        get_reception_settings: receptionSettings(),
        save_reception_settings: (args: Record<string, unknown>) => {
          const s = args.settings as ReceptionSettings;
          return { ...s, policy_version: s.policy_text === 'Please wash your hands.' ? 2 : 3 };
        },
      },
      { screen: 'reception-settings' },
    );

    const outbreak = await screen.findByLabelText('Outbreak mode');
    expect(outbreak).not.toBeChecked();
    expect(screen.getByLabelText('Ask the health screening questions')).toHaveValue('outbreak');
    expect(screen.getByLabelText('Health screening questions')).toHaveValue(
      'Do you have a high temperature?\nHave you had diarrhoea or vomiting in the last 48 hours?',
    );
    expect(screen.getByTestId('reception-policy-version')).toHaveTextContent('Version 2 of the policy is in use.');
    expect(screen.getByLabelText('Sign out visitors still signed in at')).toHaveValue('23:59');

    await user.click(outbreak);
    const questions = screen.getByLabelText('Health screening questions');
    await user.clear(questions);
    await user.type(questions, 'First question?{Enter}{Enter}  Second question?  ');
    await user.type(screen.getByLabelText('Visitor policy'), ' Sign in and out.');
    const time = screen.getByLabelText('Sign out visitors still signed in at');
    await user.clear(time);
    await user.type(time, '22:30');
    const days = screen.getByLabelText('Keep visitor records for (days)');
    await user.clear(days);
    await user.type(days, '60');
    await user.click(screen.getByTestId('save-reception-settings'));

    expect(await screen.findByTestId('reception-settings-saved')).toHaveTextContent('Saved');
    expect(callsOf('save_reception_settings')).toEqual([
      {
        settings: receptionSettings({
          outbreak_mode: true,
          screening_questions: ['First question?', 'Second question?'],
          policy_text: 'Please wash your hands. Sign in and out.',
          auto_sign_out_time: '22:30',
          visitor_retention_days: 60,
        }),
      },
    ]);
    // The changed policy has a new version: visitors accept it again.
    expect(screen.getByTestId('reception-policy-version')).toHaveTextContent('Version 3 of the policy is in use.');
  });

  it('shows what Rust refuses beside its field, and refuses a word in a days field without asking', async () => {
    const { user, callsOf } = await startDesk(
      {
        get_reception_settings: receptionSettings(),
        save_reception_settings: new CommandFailure({
          code: 'invalid_input',
          message: 'Check the settings',
          fields: {
            auto_sign_out_time: 'Enter a time such as 23:59',
            screening_retention_days: 'Screening answers are kept no longer than visitor records',
          },
        }),
      },
      { screen: 'reception-settings' },
    );

    const days = await screen.findByLabelText('Keep health screening answers for (days)');
    await user.clear(days);
    await user.type(days, 'two weeks');
    await user.click(screen.getByTestId('save-reception-settings'));
    expect(await screen.findByTestId('error-summary')).toHaveTextContent('Enter a number of days, such as 14');
    expect(days).toHaveAccessibleDescription('No longer than visitor records. Error: Enter a number of days, such as 14');
    expect(callsOf('save_reception_settings')).toEqual([]);

    await user.clear(days);
    await user.type(days, '120');
    await user.click(screen.getByTestId('save-reception-settings'));
    const summary = await screen.findByTestId('error-summary');
    expect(within(summary).getAllByRole('link').map((l) => l.textContent)).toEqual([
      'Enter a time such as 23:59',
      'Screening answers are kept no longer than visitor records',
    ]);
    expect(screen.getByLabelText('Sign out visitors still signed in at')).toHaveAttribute('aria-invalid', 'true');
    expect(days).toHaveAccessibleDescription(
      'No longer than visitor records. Error: Screening answers are kept no longer than visitor records',
    );
    expect(screen.queryByTestId('reception-settings-saved')).not.toBeInTheDocument();
  });

  it('says when the PIN entered is not a manager’s', async () => {
    await startDesk(
      {
        get_reception_settings: new CommandFailure({ code: 'forbidden', message: 'This needs a manager’s PIN.' }),
      },
      { screen: 'reception-settings' },
    );
    expect(await screen.findByTestId('reception-settings-problem')).toHaveTextContent('This needs a manager’s PIN.');
    expect(screen.queryByTestId('save-reception-settings')).not.toBeInTheDocument();
  });

  it('deletes what is past its retention now and says how many, never names', async () => {
    let purged = { ...nothingPurged, sign_ins: 12, visitors: 1, screening_answers: 30 };
    const { user, callsOf } = await startDesk(
      { get_reception_settings: receptionSettings(), purge_reception_records: () => purged },
      { screen: 'reception-settings' },
    );

    await user.click(await screen.findByTestId('purge-reception-records'));
    const result = await screen.findByTestId('purge-result');
    expect(result).toHaveTextContent('Deleted 12 visits, 1 returning visitor, 30 health screening answers.');
    expect(result).toHaveFocus();
    expect(callsOf('purge_reception_records')).toEqual([{}]);

    purged = nothingPurged;
    await user.click(screen.getByTestId('purge-reception-records'));
    expect(await screen.findByText('Nothing was past its retention period.')).toBeInTheDocument();
  });
});

function resident(): ResidentDetail {
  return {
    resident: {
      id: 'res_1',
      full_name: 'Margaret Whitaker',
      preferred_name: 'Maggie',
      room_number: '104',
      date_of_birth: '1931-04-02',
      status: 'current',
      dnar_status: 'dnar',
      location_id: 'loc_rowan',
      keyworker: null,
      contacts: [],
      admitted_at: null,
      discharged_at: null,
      created_at: null,
      updated_at: '2026-11-01T00:00:00Z',
    },
    location_name: 'Rowan House',
    keyworker_name: null,
    care_notes: [],
  };
}

function noted(overrides: Partial<ResidentReception> = {}): ResidentReception {
  return {
    resident_id: 'res_1',
    visits_need_approval: false,
    evacuation_notes: null,
    updated_by: null,
    updated_at: null,
    ...overrides,
  };
}

async function openResident(answers: Record<string, unknown>) {
  const desk = await startDesk(
    { search_residents: [resident().resident], get_resident: resident(), ...answers },
    { screen: 'residents' },
  );
  await desk.user.click((await screen.findAllByTestId('resident-row'))[0]!);
  await screen.findByTestId('resident-page');
  return desk;
}

describe('a resident’s reception notes (shift leads)', () => {
  it('sets that visits need approval and the evacuation notes, and says who changed them', async () => {
    const { user, callsOf } = await openResident({
      get_resident_reception: noted(),
      set_resident_reception: (args: Record<string, unknown>) =>
        noted({
          visits_need_approval: Boolean(args.visitsNeedApproval),
          evacuation_notes: args.evacuationNotes as string | null,
          updated_by: 'Grace Hughes',
          updated_at: '2026-11-22T09:15:00Z',
        }),
    });

    const approval = await screen.findByLabelText('Visits need a staff member’s approval');
    expect(approval).not.toBeChecked();
    expect(approval).toHaveAccessibleDescription(/No reason is shown on the kiosk\.$/);
    await user.click(approval);
    await user.type(screen.getByLabelText('Personal evacuation notes'), '  Uses a wheelchair; two staff on the stairs. ');
    await user.click(screen.getByTestId('save-resident-reception'));

    expect(await screen.findByTestId('resident-reception-saved')).toHaveTextContent('Saved');
    expect(callsOf('get_resident_reception')).toEqual([{ residentId: 'res_1' }]);
    expect(callsOf('set_resident_reception')).toEqual([
      { residentId: 'res_1', visitsNeedApproval: true, evacuationNotes: 'Uses a wheelchair; two staff on the stairs.' },
    ]);
    expect(screen.getByLabelText('Visits need a staff member’s approval')).toBeChecked();
    expect(screen.getByTestId('resident-reception-changed')).toHaveTextContent('by Grace Hughes');

    // Emptied notes are sent as none.
    await user.clear(screen.getByLabelText('Personal evacuation notes'));
    await user.click(screen.getByTestId('save-resident-reception'));
    expect(callsOf('set_resident_reception')[1]).toEqual({ residentId: 'res_1', visitsNeedApproval: true, evacuationNotes: null });
  });

  it('shows overlong notes refused beside the field', async () => {
    const { user } = await openResident({
      get_resident_reception: noted({ visits_need_approval: true, evacuation_notes: 'Needs the evacuation chair' }),
      set_resident_reception: new CommandFailure({
        code: 'invalid_input',
        message: 'Check the notes',
        fields: { evacuation_notes: 'Please use 500 characters or fewer' },
      }),
    });

    const notes = await screen.findByLabelText('Personal evacuation notes');
    expect(notes).toHaveValue('Needs the evacuation chair');
    expect(screen.getByLabelText('Visits need a staff member’s approval')).toBeChecked();
    await user.click(screen.getByTestId('save-resident-reception'));
    expect(await screen.findByTestId('error-summary')).toHaveTextContent('Please use 500 characters or fewer');
    expect(notes).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByTestId('resident-reception-saved')).not.toBeInTheDocument();
  });

  it('tells a receptionist a shift lead’s PIN is needed, and shows the rest of the page', async () => {
    await openResident({
      get_resident_reception: new CommandFailure({ code: 'forbidden', message: 'This needs a shift lead’s PIN.' }),
    });
    expect(await screen.findByTestId('resident-reception-problem')).toHaveTextContent('This needs a shift lead’s PIN.');
    expect(screen.queryByTestId('resident-reception-form')).not.toBeInTheDocument();
    expect(screen.getByTestId('dnar-status')).toBeInTheDocument();
  });
});
