// The kiosk's visitor sign-in, by taps on its own keyboard: at most four screens, Rust's
// refusals summarised at the top and beside their field, screening, approval, and a returning
// visitor in three screens.
import { render, screen, within } from '@testing-library/svelte';
import userEvent, { type UserEvent } from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { KioskReception } from '../../bindings/KioskReception';
import type { VisitorSignInForm } from '../../bindings/VisitorSignInForm';
import { CommandFailure, mockCommands } from '../../test/ipc';
import SignIn from './SignIn.svelte';

const plain: KioskReception = { home_name: 'Rowan House', screening_questions: [], policy: null };
const outbreak: KioskReception = {
  home_name: 'Rowan House',
  screening_questions: ['Do you have a high temperature?', 'Have you been sick in the last 48 hours?'],
  policy: { text: 'Please wash your hands.', version: 2 },
};

const confirmation = {
  outcome: 'signed_in',
  confirmation: {
    sign_in_id: 'sgn_1',
    first_name: 'Anna',
    signed_in_words: 'today at 10:05',
    visiting_label: 'Maggie W.',
    sign_out_code: '4821',
  },
};

/** As Rust checks a sign-in: what is missing so far, per field. */
function rustSignIn(info: KioskReception, outcome: unknown = confirmation) {
  return (args: Record<string, unknown>) => {
    const form = args.form as VisitorSignInForm;
    const fields: Record<string, string> = {};
    if (!form.returning) {
      if (!form.first_name) fields.first_name = 'Please write your first name';
      if (!form.surname) fields.surname = 'Please write your surname';
      if (!form.phone) fields.phone = 'Please give a phone number, so staff can reach you in an emergency';
    }
    if (!form.visiting_kind) fields.visiting_kind = 'Please choose whom you are visiting';
    else if (form.visiting_kind === 'resident') {
      if (!form.visiting_id) fields.visiting_id = 'Please choose the resident from the list';
      if (!form.relationship) fields.relationship = 'Please say how you know them (for example daughter, friend)';
    }
    if (form.screening_answers.length !== info.screening_questions.length) fields.screening_answers = 'Please answer each question';
    if (info.policy && form.accepted_policy_version !== info.policy.version && !form.returning) {
      fields.accepted_policy_version = 'Please read and accept the visitor policy';
    }
    if (Object.keys(fields).length) return new CommandFailure({ code: 'invalid_input', message: 'Please check your details', fields });
    if (form.screening_answers.some(Boolean)) return { outcome: 'not_today', guidance: 'Please do not visit today.' };
    return outcome;
  };
}

async function tap(user: UserEvent, text: string) {
  const keyboard = screen.getByRole('group', { name: 'On-screen keyboard' });
  for (const c of text) {
    const name = c === ' ' ? 'Space' : c.toUpperCase();
    await user.click(within(keyboard).getByRole('button', { name }));
  }
}

async function fillName(user: UserEvent) {
  await user.click(screen.getByLabelText('First name'));
  await tap(user, 'ANNA');
  await user.click(screen.getByLabelText('Surname'));
  await tap(user, 'OKONJO');
  await user.click(screen.getByLabelText(/Phone number/));
  await tap(user, '07700900321');
}

async function chooseResident(user: UserEvent) {
  await user.click(await screen.findByLabelText('A resident'));
  await tap(user, 'MAG');
  await user.click(await screen.findByRole('button', { name: 'Maggie W.' }));
  await tap(user, 'FRIEND');
}

const residents = [{ id: 'res_1', label: 'Maggie W.' }];

describe('visitor sign-in at the kiosk', () => {
  it('signs a visitor in by taps in three screens and shows their code with the day', async () => {
    const user = userEvent.setup();
    const { log } = mockCommands({ find_returning_visitors: [], kiosk_find_residents: residents, sign_in_visitor: rustSignIn(plain) });
    render(SignIn, { info: plain, onfinish: () => {} });

    expect(screen.getByTestId('sign-in-progress')).toHaveTextContent('Step 1 of 3');
    await fillName(user);
    expect(screen.getByLabelText('First name')).toHaveValue('Anna');
    expect(screen.getByLabelText('Surname')).toHaveValue('Okonjo');
    expect(screen.getByLabelText(/Phone number/)).toHaveValue('07700900321');
    await user.click(screen.getByRole('button', { name: 'Continue' }));

    expect(await screen.findByRole('heading', { name: 'Who are you visiting?' })).toBeInTheDocument();
    expect(screen.getByTestId('sign-in-progress')).toHaveTextContent('Step 2 of 3');
    await chooseResident(user);
    expect(screen.getByLabelText('How do you know them?')).toHaveValue('Friend');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('heading', { name: 'Thank you, Anna. You are signed in' })).toBeInTheDocument();
    expect(screen.getByTestId('signed-in-when')).toHaveTextContent('today at 10:05');
    expect(screen.getByTestId('signed-in-visiting')).toHaveTextContent('Maggie W.');
    expect(screen.getByTestId('sign-out-code')).toHaveTextContent('4821');
    const saved = log.filter((c) => c.cmd === 'sign_in_visitor').at(-1)?.args.form;
    expect(saved).toMatchObject({
      first_name: 'Anna',
      surname: 'Okonjo',
      phone: '07700900321',
      visiting_kind: 'resident',
      visiting_id: 'res_1',
      relationship: 'Friend',
      screening_answers: [],
    });
  });

  it('shows Rust’s refusal summarised at the top and beside the field, and stays on the screen', async () => {
    const user = userEvent.setup();
    mockCommands({ find_returning_visitors: [], sign_in_visitor: rustSignIn(plain) });
    render(SignIn, { info: plain, onfinish: () => {} });

    await user.click(screen.getByLabelText('Surname'));
    await tap(user, 'OKONJO');
    await user.click(screen.getByRole('button', { name: 'Continue' }));

    const summary = await screen.findByTestId('error-summary');
    expect(summary).toHaveTextContent('There is a problem');
    expect(within(summary).getByRole('link', { name: 'Please write your first name' })).toHaveAttribute('href', '#first_name');
    expect(within(summary).getByRole('link', { name: /phone number/ })).toHaveAttribute('href', '#phone');
    // Beside the field, and nothing about the next screen yet.
    expect(screen.getByLabelText('First name')).toHaveAccessibleDescription('Error: Please write your first name');
    expect(summary).not.toHaveTextContent('whom you are visiting');
    expect(screen.getByRole('heading', { name: 'What is your name?' })).toBeInTheDocument();
  });

  it('asks the home’s questions and the policy; a “yes” shows the guidance and signs no one in', async () => {
    const user = userEvent.setup();
    mockCommands({ find_returning_visitors: [], kiosk_find_residents: residents, sign_in_visitor: rustSignIn(outbreak) });
    render(SignIn, { info: outbreak, onfinish: () => {} });

    expect(screen.getByTestId('sign-in-progress')).toHaveTextContent('Step 1 of 4');
    await fillName(user);
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    await chooseResident(user);
    await user.click(screen.getByRole('button', { name: 'Continue' }));

    expect(await screen.findByRole('heading', { name: 'Before you go in' })).toBeInTheDocument();
    expect(screen.getByTestId('sign-in-progress')).toHaveTextContent('Step 3 of 4');
    // Unanswered: said beside the question.
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByTestId('error-summary')).toHaveTextContent('Please answer each question');

    const [first, second] = screen.getAllByRole('group').filter((g) => g.tagName === 'FIELDSET');
    await user.click(within(first!).getByLabelText('Yes'));
    await user.click(within(second!).getByLabelText('No'));
    await user.click(screen.getByLabelText('I have read the visitor policy and agree to it'));
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('heading', { name: 'Please do not visit today' })).toBeInTheDocument();
    expect(screen.getByText('Please do not visit today.')).toBeInTheDocument();
    expect(screen.getByText('You have not been signed in.')).toBeInTheDocument();
  });

  it('asks a visitor to a resident whose visits need approval to wait for a member of staff', async () => {
    const user = userEvent.setup();
    const wait = { outcome: 'wait_for_staff', sign_in_id: 'sgn_9', first_name: 'Anna', message: 'Please wait here: a member of staff will come to you.' };
    mockCommands({ find_returning_visitors: [], kiosk_find_residents: residents, sign_in_visitor: rustSignIn(plain, wait), visitor_sign_in_status: wait });
    const waiting: unknown[] = [];
    render(SignIn, { info: plain, onfinish: () => {}, onwaiting: (w: unknown) => waiting.push(w) });

    await fillName(user);
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    await chooseResident(user);
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByText('Please wait here: a member of staff will come to you.')).toBeInTheDocument();
    expect(screen.queryByTestId('sign-out-code')).not.toBeInTheDocument();
    // The kiosk is told, so that it does not welcome the next visitor over the waiting one.
    expect(waiting).toEqual([wait]);
  });

  it('shows a visitor already waiting their wait, and the answer as soon as staff have given it', async () => {
    const wait = { outcome: 'wait_for_staff', sign_in_id: 'sgn_9', first_name: 'Anna', message: 'Please wait here: a member of staff will come to you.' } as const;
    const declined = { outcome: 'declined', message: 'Please speak to the member of staff with you.' };
    const { log } = mockCommands({ visitor_sign_in_status: declined });
    const waiting: unknown[] = [];
    render(SignIn, { info: plain, onfinish: () => {}, onwaiting: (w: unknown) => waiting.push(w), resume: wait });

    // Asked at once (not after the next few seconds): staff answered while the kiosk was away.
    expect(await screen.findByRole('heading', { level: 1, name: 'You have not been signed in' })).toHaveFocus();
    expect(screen.getByText('Please speak to the member of staff with you.')).toBeInTheDocument();
    expect(log.filter((c) => c.cmd === 'visitor_sign_in_status').map((c) => c.args)).toEqual([{ signInId: 'sgn_9' }]);
    expect(waiting).toEqual([wait, null]);
  });

  it('lets a returning visitor confirm with three phone digits and sign in in three screens', async () => {
    const user = userEvent.setup();
    const { log } = mockCommands({
      find_returning_visitors: (args: Record<string, unknown>) =>
        String(args.text).length >= 3 ? [{ visitor_id: 'vis_1', label: 'Jane D.' }] : [],
      confirm_returning_visitor: (args: Record<string, unknown>) =>
        args.lastDigits === '123'
          ? {
              visitor_id: 'vis_1',
              ticket: 't0k3n',
              first_name: 'Jane',
              label: 'Jane D.',
              relationship: 'Daughter',
              car_registration: null,
              company: null,
              visiting_kind: 'resident',
              last_visited: { id: 'res_1', label: 'Maggie W.' },
              last_purpose: null,
              policy_accepted: true,
            }
          : new CommandFailure({
              code: 'invalid_input',
              message: 'That does not match our records. Please try again.',
              fields: { phone_digits: 'That does not match our records. Please try again.' },
            }),
      sign_in_visitor: rustSignIn(plain, { ...confirmation, confirmation: { ...confirmation.confirmation, first_name: 'Jane' } }),
    });
    render(SignIn, { info: plain, onfinish: () => {} });

    await user.click(screen.getByLabelText('First name'));
    await tap(user, 'JAN');
    await user.click(await screen.findByRole('button', { name: 'Jane D.' }));
    await tap(user, '999');
    await user.click(screen.getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByLabelText('The last 3 digits of your phone number')).toHaveAccessibleDescription(
      'So we know it is you Error: That does not match our records. Please try again.',
    );
    await tap(user, '123');
    await user.click(screen.getByRole('button', { name: 'Confirm' }));

    expect(await screen.findByRole('heading', { name: 'Hello Jane. Who are you visiting?' })).toBeInTheDocument();
    expect(screen.getByTestId('visiting-chosen')).toHaveTextContent('You are visiting Maggie W.');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect(await screen.findByRole('heading', { name: 'Thank you, Jane. You are signed in' })).toBeInTheDocument();
    const form = log.filter((c) => c.cmd === 'sign_in_visitor').at(-1)?.args.form as VisitorSignInForm;
    expect(form.returning).toEqual({ visitor_id: 'vis_1', ticket: 't0k3n' });
    expect(form.visiting_id).toBe('res_1');
    expect(log.find((c) => c.cmd === 'confirm_returning_visitor')?.args).toEqual({ visitorId: 'vis_1', lastDigits: '999' });
  });
});
