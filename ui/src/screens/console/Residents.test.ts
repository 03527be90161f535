import { screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { CareNoteView } from '../../bindings/CareNoteView';
import type { DnarStatus } from '../../bindings/DnarStatus';
import type { Resident } from '../../bindings/Resident';
import type { ResidentDetail } from '../../bindings/ResidentDetail';
import { CommandFailure } from '../../test/ipc';
import { signedIn, startDesk } from '../../test/console';

function resident(overrides: Partial<Resident> = {}): Resident {
  return {
    id: 'res_1',
    full_name: 'Margaret Whitaker',
    preferred_name: 'Maggie',
    room_number: '104',
    date_of_birth: '1931-04-02',
    status: 'current',
    dnar_status: 'dnar',
    location_id: 'loc_rowan',
    keyworker: { id: 'stf_1', full_name: 'Grace Hughes' },
    contacts: [],
    admitted_at: null,
    discharged_at: null,
    created_at: null,
    updated_at: '2026-11-01T00:00:00Z',
    ...overrides,
  };
}

function note(overrides: Partial<CareNoteView> = {}): CareNoteView {
  return {
    id: 'note_1',
    resident_id: 'res_1',
    author_staff_id: null,
    author_name: 'Ben Walsh',
    category: 'nutrition',
    body: 'Ate all of lunch.',
    recorded_at: '2026-11-22T12:30:00Z',
    created_at: null,
    updated_at: '2026-11-22T12:30:00Z',
    pending: false,
    ...overrides,
  };
}

function detail(overrides: Partial<Resident> = {}, notes: CareNoteView[] = [note()]): ResidentDetail {
  return {
    resident: resident({
      contacts: [
        { id: 'c2', name: 'Peter Whitaker', relationship: 'Grandson', phone: null, email: 'p@example.org', is_next_of_kin: false },
        { id: 'c1', name: 'Susan Whitaker', relationship: 'Daughter', phone: '07700 900123', email: null, is_next_of_kin: true },
      ],
      ...overrides,
    }),
    location_name: 'Rowan House',
    keyworker_name: 'Grace Hughes',
    care_notes: notes,
  };
}

const list = [resident(), resident({ id: 'res_2', full_name: 'Arthur Ackroyd', preferred_name: null, room_number: '201', dnar_status: 'for_resus' })];

describe('residents search', () => {
  it('searches as you type, once the typing pauses, with the filters', async () => {
    const { user, callsOf } = await startDesk({ search_residents: list }, { screen: 'residents' });
    await screen.findAllByTestId('resident-row');
    const before = callsOf('search_residents').length;

    await user.type(screen.getByTestId('resident-search'), 'mag');

    await waitFor(() => expect(callsOf('search_residents').at(-1)).toEqual({ text: 'mag', status: 'current', limit: 50 }));
    // Debounced: one search for the three letters, not three.
    expect(callsOf('search_residents').length - before).toBe(1);

    await user.selectOptions(screen.getByTestId('resident-location'), 'Willow Court');
    await user.selectOptions(screen.getByTestId('resident-status'), 'Any status');
    await waitFor(() =>
      expect(callsOf('search_residents').at(-1)).toEqual({ text: 'mag', locationId: 'loc_willow', limit: 50 }),
    );
  });

  it('shows large rows with name, preferred name, room and home', async () => {
    await startDesk({ search_residents: list }, { screen: 'residents' });

    const rows = await screen.findAllByTestId('resident-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('Margaret Whitaker');
    expect(rows[0]).toHaveTextContent('known as Maggie');
    expect(rows[0]).toHaveTextContent('Room 104');
    expect(rows[0]).toHaveTextContent('Rowan House');
    expect(rows[0]).toHaveTextContent('DNAR');
    expect(rows[1]).not.toHaveTextContent('DNAR');
    expect(screen.getByTestId('resident-result-count')).toHaveTextContent('2 residents');
  });

  it('says so when nothing matches, and when the search fails', async () => {
    let fail = false;
    const { user } = await startDesk(
      { search_residents: () => (fail ? new CommandFailure({ code: 'store_unavailable', message: 'database is locked' }) : []) },
      { screen: 'residents' },
    );
    await user.type(screen.getByTestId('resident-search'), 'zz');
    await waitFor(() => expect(screen.getByTestId('resident-result-count')).toHaveTextContent('No residents match “zz”.'));

    fail = true;
    await user.type(screen.getByTestId('resident-search'), 'z');
    await waitFor(() => expect(screen.getByTestId('resident-result-count')).toHaveTextContent('database is locked'));
  });
});

describe('resident page', () => {
  it.each<[DnarStatus, string]>([
    ['dnar', 'DNAR — do not attempt resuscitation'],
    ['for_resus', 'For resuscitation'],
    ['not_recorded', 'Not recorded'],
  ])('shows DNAR status %s prominently, in words with an icon', async (status, words) => {
    const { user } = await startDesk(
      { search_residents: list, get_resident: detail({ dnar_status: status }) },
      { screen: 'residents' },
    );
    await user.click((await screen.findAllByTestId('resident-row'))[0]!);

    const dnar = await screen.findByTestId('dnar-status');
    expect(dnar).toHaveAttribute('data-status', status);
    expect(dnar).toHaveTextContent(words);
    expect(dnar.querySelector('svg')).not.toBeNull();
  });

  it('shows who the resident is, the keyworker and contacts with next of kin first', async () => {
    const { user, callsOf } = await startDesk({ search_residents: list, get_resident: detail() }, { screen: 'residents' });
    await user.click((await screen.findAllByTestId('resident-row'))[0]!);

    const page = await screen.findByTestId('resident-page');
    expect(callsOf('get_resident')).toEqual([{ id: 'res_1' }]);
    expect(within(page).getByRole('heading', { level: 1 })).toHaveTextContent('Margaret Whitaker known as Maggie');
    expect(within(page).getByTestId('resident-room')).toHaveTextContent('104');
    expect(within(page).getByTestId('resident-dob')).toHaveTextContent(/2 April 1931.*\(age \d+\)/);
    expect(within(page).getByTestId('resident-keyworker')).toHaveTextContent('Grace Hughes');
    expect(within(page).getByTestId('resident-home')).toHaveTextContent('Rowan House');
    const contacts = within(page).getAllByTestId('contact');
    expect(contacts[0]).toHaveTextContent('Susan Whitaker');
    expect(contacts[0]).toHaveTextContent('Next of kin');
    expect(contacts[1]).toHaveTextContent('Peter Whitaker');
  });

  it('marks care notes that are waiting to sync', async () => {
    const { user } = await startDesk(
      { search_residents: list, get_resident: detail({}, [note({ id: 'n2', pending: true, body: 'Sang along.' }), note()]) },
      { screen: 'residents' },
    );
    await user.click((await screen.findAllByTestId('resident-row'))[0]!);

    const notes = await screen.findAllByTestId('care-note');
    expect(notes[0]).toHaveAttribute('data-pending', 'true');
    expect(within(notes[0]!).getByTestId('care-note-pending')).toHaveTextContent('Waiting to sync');
    expect(within(notes[0]!).getByTestId('care-note-pending').querySelector('svg')).not.toBeNull();
    expect(within(notes[1]!).queryByTestId('care-note-pending')).not.toBeInTheDocument();
  });

  it('"Back to residents" returns to the same results', async () => {
    const { user } = await startDesk({ search_residents: list, get_resident: detail() }, { screen: 'residents' });
    await user.type(screen.getByTestId('resident-search'), 'whit');
    await user.click((await screen.findAllByTestId('resident-row'))[0]!);
    await user.click(await screen.findByTestId('back-to-residents'));

    expect(screen.getByTestId('resident-search')).toHaveValue('whit');
    expect(screen.getAllByTestId('resident-row')[0]).toHaveFocus();
  });
});

describe('add care note', () => {
  it('shows the errors at the top and beside each field', async () => {
    const { user, callsOf } = await startDesk(
      {
        search_residents: list,
        get_resident: detail(),
        add_care_note: new CommandFailure({
          code: 'invalid_input',
          message: 'Check the care note',
          fields: { body: 'Write the note', category: 'Choose a category' },
        }),
      },
      { screen: 'residents' },
    );
    await user.click((await screen.findAllByTestId('resident-row'))[0]!);
    await user.click(await screen.findByTestId('add-care-note'));
    await user.click(screen.getByTestId('save-care-note'));

    const summary = await screen.findByTestId('error-summary');
    expect(within(summary).getAllByRole('link').map((l) => l.textContent)).toEqual(['Choose a category', 'Write the note']);
    expect(screen.getByLabelText('Category')).toHaveAccessibleDescription('Error: Choose a category');
    expect(screen.getByLabelText(/^Note/)).toHaveAttribute('aria-invalid', 'true');
    expect(callsOf('add_care_note')).toEqual([{ residentId: 'res_1', category: '', body: '' }]);
  });

  it('"Add care note" puts the focus on the form’s first field, and Cancel puts it back', async () => {
    const { user } = await startDesk({ search_residents: list, get_resident: detail() }, { screen: 'residents' });
    await user.click((await screen.findAllByTestId('resident-row'))[0]!);

    await user.click(await screen.findByTestId('add-care-note'));
    await waitFor(() => expect(screen.getByTestId('care-note-category')).toHaveFocus());

    await user.click(screen.getByTestId('cancel-care-note'));
    await waitFor(() => expect(screen.getByTestId('add-care-note')).toHaveFocus());
    expect(screen.queryByTestId('care-note-form')).not.toBeInTheDocument();
  });

  it('says the limit in words, and shows the desk’s message beside the note', async () => {
    const { user } = await startDesk(
      {
        search_residents: list,
        get_resident: detail(),
        add_care_note: new CommandFailure({
          code: 'invalid_input',
          message: 'Check the care note',
          fields: { body: 'Write 10,000 characters or fewer' },
        }),
      },
      { screen: 'residents' },
    );
    await user.click((await screen.findAllByTestId('resident-row'))[0]!);
    await user.click(await screen.findByTestId('add-care-note'));

    const body = screen.getByLabelText(/^Note/);
    expect(body).toHaveAccessibleDescription(/10,000 characters or fewer/);
    await user.click(screen.getByTestId('save-care-note'));
    expect(await screen.findByTestId('error-summary')).toHaveTextContent('Write 10,000 characters or fewer');
    expect(body).toHaveAccessibleDescription(/Error: Write 10,000 characters or fewer/);
  });

  it('a 10,000-character note without spaces wraps instead of widening the page', async () => {
    const long = 'a'.repeat(10_000);
    const { user } = await startDesk(
      { search_residents: list, get_resident: detail({}, [note({ body: long })]) },
      { screen: 'residents' },
    );
    await user.click((await screen.findAllByTestId('resident-row'))[0]!);

    const [shown] = await screen.findAllByTestId('care-note');
    const body = shown!.querySelector('.note-body') as HTMLElement;
    expect(body.textContent).toHaveLength(10_000);
    expect(getComputedStyle(body).overflowWrap).toBe('anywhere');
    // The rest of what people write wraps too: the note's author and the contacts, and anything
    // else on a console screen (without breaking the words of narrow table columns).
    expect(getComputedStyle(shown!.querySelector('.note-meta')!).overflowWrap).toBe('anywhere');
    expect(getComputedStyle(screen.getByTestId('console-screen-residents')).overflowWrap).toBe('break-word');
  });

  it('adds the note to the top of the timeline, waiting to sync', async () => {
    const { user, callsOf } = await startDesk(
      {
        search_residents: list,
        get_resident: detail(),
        add_care_note: (args: Record<string, unknown>) =>
          note({ id: 'new', body: String(args.body), category: String(args.category), pending: true, author_name: 'Front desk' }),
      },
      { screen: 'residents' },
    );
    await user.click((await screen.findAllByTestId('resident-row'))[0]!);
    await user.click(await screen.findByTestId('add-care-note'));
    await user.selectOptions(screen.getByLabelText('Category'), 'Mood');
    await user.type(screen.getByLabelText(/^Note/), 'Enjoyed the music session.');
    await user.click(screen.getByTestId('save-care-note'));

    expect(callsOf('add_care_note')).toEqual([{ residentId: 'res_1', category: 'mood', body: 'Enjoyed the music session.' }]);
    const notes = await screen.findAllByTestId('care-note');
    expect(notes[0]).toHaveTextContent('Enjoyed the music session.');
    expect(notes[0]).toHaveTextContent('Mood');
    expect(notes[0]).toHaveTextContent('Waiting to sync');
    expect(screen.queryByTestId('care-note-form')).not.toBeInTheDocument();
    expect(screen.getByTestId('add-care-note')).toHaveFocus();
  });

  it('a note added by the signed-in staff member says "by" them on the timeline', async () => {
    const { user } = await startDesk(
      {
        lock_status: signedIn('shift_lead'),
        search_residents: list,
        get_resident: detail(),
        add_care_note: (args: Record<string, unknown>) =>
          note({ id: 'new', body: String(args.body), category: String(args.category), pending: true, author_staff_id: 'stf_2', author_name: 'Femi Hughes' }),
      },
      { screen: 'residents' },
    );
    await user.click((await screen.findAllByTestId('resident-row'))[0]!);
    await user.click(await screen.findByTestId('add-care-note'));
    await user.selectOptions(screen.getByLabelText('Category'), 'Mood');
    await user.type(screen.getByLabelText(/^Note/), 'Enjoyed the music session.');
    await user.click(screen.getByTestId('save-care-note'));

    const [added] = await screen.findAllByTestId('care-note');
    expect(within(added!).getByTestId('care-note-author')).toHaveTextContent('by Femi Hughes');
  });
});
