import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { CommandFailure, mockCommands } from '../../test/ipc';
import DemoPanel from './DemoPanel.svelte';

describe('demo panel: reset demo data', () => {
  it('says what is lost and resets only once confirmed, then starts the window again', async () => {
    const { calls } = mockCommands({ reset_demo_data: null });
    const onreset = vi.fn();
    const user = userEvent.setup();
    render(DemoPanel, { onreset });

    expect(screen.getByTestId('demo-note')).toHaveTextContent('What you do in the demo is kept when Loopdesk closes.');
    await user.click(screen.getByTestId('reset-demo'));
    const confirmation = screen.getByTestId('reset-demo-confirmation');
    expect(confirmation).toHaveAccessibleName(/Reset the demo data\?/);
    expect(confirmation).toHaveTextContent('everything the demo CareLoop holds');
    expect(confirmation).toHaveTextContent('every care note');
    expect(confirmation).toHaveTextContent('this desk’s copy of the demo');
    expect(confirmation).toHaveTextContent('alerts and who acknowledged them');
    expect(confirmation).toHaveTextContent('No real CareLoop is touched');
    expect(screen.getByTestId('keep-demo-data')).toHaveFocus();
    expect(calls).toEqual([]);

    await user.click(screen.getByTestId('confirm-reset-demo'));

    expect(calls).toEqual(['reset_demo_data']);
    expect(onreset).toHaveBeenCalledOnce();
  });

  it('keeps everything when the person changes their mind', async () => {
    const { calls } = mockCommands({});
    const onreset = vi.fn();
    const user = userEvent.setup();
    render(DemoPanel, { onreset });

    await user.click(screen.getByTestId('reset-demo'));
    await user.click(screen.getByTestId('keep-demo-data'));

    expect(screen.queryByTestId('reset-demo-confirmation')).not.toBeInTheDocument();
    expect(screen.getByTestId('reset-demo')).toHaveFocus();
    expect(calls).toEqual([]);
    expect(onreset).not.toHaveBeenCalled();
  });

  it('says why when the desk refuses, and stays as it was', async () => {
    const message = 'A real CareLoop or alert bridge is set up on this desk. Nothing was changed.';
    mockCommands({ reset_demo_data: new CommandFailure({ code: 'invalid_input', message }) });
    const onreset = vi.fn();
    const user = userEvent.setup();
    render(DemoPanel, { onreset });

    await user.click(screen.getByTestId('reset-demo'));
    await user.click(screen.getByTestId('confirm-reset-demo'));

    const error = await screen.findByTestId('reset-demo-error');
    expect(within(error).getByText(/Nothing was changed/)).toBeInTheDocument();
    expect(error).toHaveAttribute('role', 'alert');
    expect(onreset).not.toHaveBeenCalled();
    expect(screen.getByTestId('reset-demo')).toBeEnabled();
  });
});
