import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import App from '../../App.svelte';
import type { StartupState } from '../../bindings/StartupState';
import { CommandFailure, mockCommands, sampleInfo } from '../../test/ipc';

const dbPath = '/srv/desk/loopdesk.db';
const movedTo = '/srv/desk/loopdesk.db.corrupt-20261122T130501Z';

async function startWith(state: StartupState, extra: Record<string, unknown> = {}) {
  const backend = mockCommands({ startup_state: state, app_info: sampleInfo, ...extra });
  render(App);
  const page = await screen.findByTestId('startup-error');
  return { backend, page };
}

describe('start-up problems', () => {
  it('newer schema: names the file and both versions, changes nothing, offers no action', async () => {
    const { page, backend } = await startWith({
      state: 'newer_schema',
      path: dbPath,
      found_version: 9,
      supported_version: 4,
    });

    expect(page).toHaveAttribute('data-state', 'newer_schema');
    expect(
      screen.getByRole('heading', {
        level: 1,
        name: "This desk's data was saved by a newer version of Loopdesk",
      }),
    ).toBeInTheDocument();
    expect(screen.getByTestId('startup-path')).toHaveTextContent(dbPath);
    expect(screen.getByTestId('found-version')).toHaveTextContent('9');
    expect(screen.getByTestId('supported-version')).toHaveTextContent('4');
    expect(page).toHaveTextContent('Nothing was changed');
    expect(page).toHaveTextContent(/install the newer version of Loopdesk/i);
    expect(page).toHaveTextContent(/ask your IT support/i);
    expect(within(page).queryAllByRole('button')).toHaveLength(0);
    expect(screen.queryByTestId('shell')).not.toBeInTheDocument();
    expect(backend.calls).toEqual(['startup_state']);
  });

  it('migration failed: says the file was left as it was, shows the message and what to do', async () => {
    const { page } = await startWith({
      state: 'migration_failed',
      path: dbPath,
      message: 'migration 2 failed: no such table: residents',
    });

    expect(page).toHaveAttribute('data-state', 'migration_failed');
    expect(
      screen.getByRole('heading', { level: 1, name: 'Loopdesk could not update its data file' }),
    ).toBeInTheDocument();
    expect(page).toHaveTextContent('The file was left as it was');
    expect(screen.getByTestId('startup-path')).toHaveTextContent(dbPath);
    expect(screen.getByTestId('startup-message')).toHaveTextContent(
      'migration 2 failed: no such table: residents',
    );
    expect(page).toHaveTextContent(/close Loopdesk and open it again/i);
    expect(within(page).queryAllByRole('button')).toHaveLength(0);
  });

  it('unavailable: names the data folder and the reason', async () => {
    const { page } = await startWith({
      state: 'unavailable',
      path: '/srv/desk',
      message: 'Permission denied (os error 13)',
    });

    expect(page).toHaveAttribute('data-state', 'unavailable');
    expect(
      screen.getByRole('heading', { level: 1, name: 'Loopdesk cannot use its data folder' }),
    ).toBeInTheDocument();
    expect(screen.getByTestId('startup-path')).toHaveTextContent('/srv/desk');
    expect(screen.getByTestId('startup-message')).toHaveTextContent(
      'Permission denied (os error 13)',
    );
    expect(within(page).queryAllByRole('button')).toHaveLength(0);
  });

  it('the start-up check itself failing shows its message, not a blank window', async () => {
    mockCommands({
      startup_state: () =>
        new CommandFailure({ code: 'internal', message: 'state was never computed' }),
    });
    render(App);

    const page = await screen.findByTestId('startup-error');
    expect(page).toHaveAttribute('data-state', 'failed');
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Loopdesk could not start');
    expect(screen.getByTestId('startup-message')).toHaveTextContent('state was never computed');
  });
});

describe('corrupt data file', () => {
  const corrupt: StartupState = {
    state: 'corrupt',
    path: dbPath,
    moved_to: movedTo,
    message: 'file is not a database',
  };

  it('says where the kept file went and that nothing was deleted', async () => {
    const { page } = await startWith(corrupt);

    expect(page).toHaveAttribute('data-state', 'corrupt');
    expect(
      screen.getByRole('heading', { level: 1, name: 'The data file could not be read' }),
    ).toBeInTheDocument();
    expect(page).toHaveTextContent('Nothing was deleted');
    expect(screen.getByTestId('moved-to')).toHaveTextContent(movedTo);
    expect(screen.getByTestId('startup-path')).toHaveTextContent(dbPath);
    expect(screen.getByTestId('startup-message')).toHaveTextContent('file is not a database');
    // One action only.
    expect(within(page).getAllByRole('button')).toHaveLength(1);
  });

  it('asks for confirmation before creating a fresh file, and Cancel creates nothing', async () => {
    const user = userEvent.setup();
    const { backend } = await startWith(corrupt, { create_fresh_database: { state: 'ready' } });

    await user.click(screen.getByRole('button', { name: 'Start with an empty data file' }));

    const confirm = screen.getByTestId('confirm-fresh');
    expect(confirm).toHaveTextContent(dbPath);
    expect(screen.getByRole('heading', { name: 'Start with an empty data file?' })).toHaveFocus();
    expect(backend.calls).not.toContain('create_fresh_database');

    await user.click(screen.getByRole('button', { name: 'Cancel' }));

    expect(screen.queryByTestId('confirm-fresh')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Start with an empty data file' })).toHaveFocus();
    expect(backend.calls).not.toContain('create_fresh_database');
  });

  it('after confirmation creates the fresh file once and continues to the shell', async () => {
    const user = userEvent.setup();
    const { backend } = await startWith(corrupt, { create_fresh_database: { state: 'ready' } });

    await user.click(screen.getByRole('button', { name: 'Start with an empty data file' }));
    await user.click(screen.getByRole('button', { name: 'Yes, start with an empty data file' }));

    expect(await screen.findByTestId('shell')).toBeInTheDocument();
    expect(screen.queryByTestId('startup-error')).not.toBeInTheDocument();
    expect(backend.calls.filter((c) => c === 'create_fresh_database')).toHaveLength(1);
  });

  it('if creating the fresh file fails, says so at the top and stays on the page', async () => {
    const user = userEvent.setup();
    const { backend } = await startWith(corrupt, {
      create_fresh_database: () =>
        new CommandFailure({ code: 'store_unavailable', message: 'No space left on device' }),
    });

    await user.click(screen.getByRole('button', { name: 'Start with an empty data file' }));
    await user.click(screen.getByRole('button', { name: 'Yes, start with an empty data file' }));

    const summary = await screen.findByTestId('error-summary');
    expect(summary).toHaveTextContent('There is a problem');
    expect(summary).toHaveTextContent('No space left on device');
    expect(summary).toHaveFocus();
    expect(screen.getByTestId('startup-error')).toBeInTheDocument();
    expect(screen.queryByTestId('shell')).not.toBeInTheDocument();
    expect(backend.calls.filter((c) => c === 'create_fresh_database')).toHaveLength(1);
  });

  it('if the fresh file still cannot be opened, shows that new problem', async () => {
    const user = userEvent.setup();
    await startWith(corrupt, {
      create_fresh_database: {
        state: 'unavailable',
        path: '/srv/desk',
        message: 'Read-only file system (os error 30)',
      } satisfies StartupState,
    });

    await user.click(screen.getByRole('button', { name: 'Start with an empty data file' }));
    await user.click(screen.getByRole('button', { name: 'Yes, start with an empty data file' }));

    expect(
      await screen.findByRole('heading', { level: 1, name: 'Loopdesk cannot use its data folder' }),
    ).toBeInTheDocument();
    expect(screen.getByTestId('startup-message')).toHaveTextContent('Read-only file system');
  });

  it('when the file could not be moved aside, offers no action that would replace it', async () => {
    const { page, backend } = await startWith({ ...corrupt, moved_to: null });

    expect(page).toHaveTextContent('The file was kept where it is');
    expect(screen.getByTestId('startup-path')).toHaveTextContent(dbPath);
    expect(screen.queryByTestId('moved-to')).not.toBeInTheDocument();
    expect(within(page).queryAllByRole('button')).toHaveLength(0);
    expect(backend.calls).toEqual(['startup_state']);
  });
});

describe("the data file's key cannot be used", () => {
  const keyProblem = (
    problem: 'key_missing' | 'key_rejected' | 'keyring_unavailable',
    unsent: number | null = 4,
  ): StartupState => ({
    state: 'data_key_problem',
    path: dbPath,
    problem,
    unsent_writes: unsent,
  });

  it('key gone: says so plainly, that nothing changed, and how many changes are unsent', async () => {
    const { page, backend } = await startWith(keyProblem('key_missing'));

    expect(page).toHaveAttribute('data-state', 'data_key_problem');
    expect(
      screen.getByRole('heading', { level: 1, name: "The key to this desk's data file is gone" }),
    ).toBeInTheDocument();
    expect(screen.getByTestId('key-problem')).toHaveAttribute('data-problem', 'key_missing');
    expect(page).toHaveTextContent('The data file was not changed');
    expect(page).toHaveTextContent(/keyring was reset/);
    expect(screen.getByTestId('startup-path')).toHaveTextContent(dbPath);
    expect(screen.getByTestId('unsent-writes')).toHaveTextContent('4');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Start afresh' })).toBeInTheDocument();
    expect(backend.calls).toEqual(['startup_state']);
  });

  it('keyring locked: asks to unlock or sign in again first, then offers start afresh', async () => {
    const { page } = await startWith(keyProblem('keyring_unavailable'));

    expect(
      screen.getByRole('heading', { level: 1, name: "Loopdesk cannot open this computer's keyring" }),
    ).toBeInTheDocument();
    expect(page).toHaveTextContent(/sign out of the computer, sign in again/);
    expect(page).toHaveTextContent(/If the keyring was reset and the key is gone for good/);
    expect(page).toHaveTextContent('The data file was not changed');
    expect(screen.getByTestId('unsent-writes')).toHaveTextContent('4');
    expect(within(page).getAllByRole('button').map((b) => b.textContent?.trim())).toEqual([
      'Try again',
      'Start afresh',
    ]);
  });

  it('keyring locked: start afresh says the keyring must open and what is lost', async () => {
    const user = userEvent.setup();
    const { backend } = await startWith(keyProblem('keyring_unavailable', 2), {
      create_fresh_database: new CommandFailure({
        code: 'unavailable',
        message: "Loopdesk could not use this computer's keyring.",
      }),
    });

    await user.click(screen.getByRole('button', { name: 'Start afresh' }));
    expect(screen.getByTestId('confirm-lost')).toHaveTextContent(
      '2 changes made on this desk had not been sent to CareLoop',
    );
    expect(screen.getByTestId('confirm-keyring')).toHaveTextContent(
      /If the keyring stays locked, nothing is changed/,
    );
    await user.click(screen.getByRole('button', { name: 'Yes, start afresh' }));
    expect(await screen.findByTestId('error-summary')).toHaveTextContent(
      "Loopdesk could not start afresh, and nothing was changed. Loopdesk could not use this computer's keyring.",
    );
    expect(screen.queryByTestId('shell')).not.toBeInTheDocument();
    expect(backend.calls.filter((c) => c === 'create_fresh_database')).toHaveLength(1);
  });

  it('another key: says the key does not open the file', async () => {
    await startWith(keyProblem('key_rejected'));
    expect(
      screen.getByRole('heading', {
        level: 1,
        name: 'The key in the keyring does not open this desk\'s data file',
      }),
    ).toBeInTheDocument();
  });

  it.each([
    [4, '4 changes made on this desk had not been sent to CareLoop'],
    [1, '1 change made on this desk had not been sent to CareLoop'],
    [0, 'No changes were waiting to be sent to CareLoop'],
    [null, 'Loopdesk cannot tell how many changes'],
  ])(
    'start afresh asks first, saying what is lost (%s unsent), and Cancel changes nothing',
    async (unsent, words) => {
      const user = userEvent.setup();
      const { backend } = await startWith(keyProblem('key_missing', unsent));

      await user.click(screen.getByRole('button', { name: 'Start afresh' }));

      expect(
        screen.getByRole('heading', { name: 'Start afresh with an empty data file?' }),
      ).toHaveFocus();
      expect(screen.getByTestId('confirm-lost')).toHaveTextContent(words);
      expect(screen.getByTestId('confirm-afresh')).toHaveTextContent(/renamed and kept/);
      await user.click(screen.getByRole('button', { name: 'Cancel' }));
      expect(screen.getByRole('button', { name: 'Start afresh' })).toHaveFocus();
      expect(backend.calls).toEqual(['startup_state']);
    },
  );

  it('after confirmation starts afresh once and continues to the shell', async () => {
    const user = userEvent.setup();
    const { backend } = await startWith(keyProblem('key_missing'), {
      create_fresh_database: { state: 'ready' },
    });

    await user.click(screen.getByRole('button', { name: 'Start afresh' }));
    await user.click(screen.getByRole('button', { name: 'Yes, start afresh' }));

    expect(await screen.findByTestId('shell')).toBeInTheDocument();
    expect(backend.calls.filter((c) => c === 'create_fresh_database')).toHaveLength(1);
  });

  it('Try again opens the shell once the keyring answers, or says it still cannot', async () => {
    const user = userEvent.setup();
    const answers: StartupState[] = [keyProblem('keyring_unavailable'), { state: 'ready' }];
    const { backend } = await startWith(keyProblem('keyring_unavailable'), {
      retry_startup: () => answers.shift(),
    });

    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('error-summary')).toHaveTextContent(
      'Loopdesk tried again and still cannot use the key',
    );
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('shell')).toBeInTheDocument();
    expect(backend.calls.filter((c) => c === 'retry_startup')).toHaveLength(2);
  });
});
