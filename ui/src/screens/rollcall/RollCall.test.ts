// The fire roll call: groups, the tick-off, the count of people not yet accounted for, how
// fresh the resident list is, and the A4 PDF.
import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { RollCallView } from '../../bindings/RollCallView';
import { mockCommands } from '../../test/ipc';
import RollCall from './RollCall.svelte';

function view(ticked: string[] = []): RollCallView {
  const person = (key: string, name: string, extra: Partial<RollCallView['visitors'][number]> = {}) => ({
    key,
    name,
    detail: null,
    notes: null,
    since: null,
    accounted: ticked.includes(key),
    ...extra,
  });
  const visitors = [person('visitor:v1', 'Anna Okonjo', { detail: 'Visiting Maggie Wilson · 07700 900321', since: 'since 10:05' })];
  const staff = [person('staff:s1', 'Aisha Khan', { since: 'since 07:02' })];
  const residentsIn = [person('resident:r1', 'Maggie Wilson', { detail: 'Room 105 · Floor 1', notes: 'Two staff and the evacuation chair' })];
  const all = [...visitors, ...staff, ...residentsIn];
  const accounted = all.filter((p) => p.accounted).length;
  return {
    id: 'rc_1',
    home_name: 'Rowan House',
    started_at: '2026-11-22T14:02:00Z',
    started_words: 'today at 14:02',
    started_by: 'Aisha Khan',
    ended_at: null,
    residents_updated_at: '2026-11-22T07:00:00Z',
    residents_freshness: 'Resident list from CareLoop today at 07:00',
    visitors,
    staff,
    residents_in: residentsIn,
    residents_out: [person('resident:r2', 'Harold Greenwood', { detail: 'Out with David Greenwood', since: 'since 11:00' })],
    in_building: all.length,
    accounted,
    unaccounted: all.length - accounted,
  };
}

describe('the fire roll call', () => {
  it('starts with one button and lists everyone in the building by group, with evacuation notes and freshness', async () => {
    const user = userEvent.setup();
    mockCommands({ current_roll_call: null, start_roll_call: view() });
    render(RollCall);

    await user.click(await screen.findByRole('button', { name: 'Start the fire roll call' }));

    expect(await screen.findByTestId('unaccounted-count')).toHaveTextContent('3 not yet accounted for');
    expect(screen.getByTestId('roll-call-started')).toHaveTextContent('Started today at 14:02 by Aisha Khan. Resident list from CareLoop today at 07:00.');
    const groups = screen.getAllByTestId('roll-call-group');
    expect(groups.map((g) => within(g).getByRole('heading').textContent)).toEqual([
      'Visitors (1)',
      'Staff on site (1)',
      'Residents in the building (1)',
      'Residents out (not in the building) (1)',
    ]);
    expect(screen.getByTestId('evacuation-notes')).toHaveTextContent('Two staff and the evacuation chair');
    // Residents out are not ticked off.
    expect(within(groups[3]!).queryByRole('button')).not.toBeInTheDocument();
  });

  it('ticks a person off and the count follows; the PDF is saved and says where', async () => {
    const user = userEvent.setup();
    const { log } = mockCommands({
      current_roll_call: view(),
      tick_roll_call: (args: Record<string, unknown>) => view(args.accounted ? [String(args.personKey)] : []),
      save_roll_call_pdf: { path: '/home/desk/Downloads/fire-roll-call-2026-11-22-1402.pdf', file_name: 'fire-roll-call-2026-11-22-1402.pdf', bytes: 40_000 },
    });
    render(RollCall);

    const tick = await screen.findByRole('button', { name: 'Mark accounted for: Anna Okonjo' });
    expect(tick).toHaveAttribute('aria-pressed', 'false');
    await user.click(tick);

    expect(await screen.findByRole('button', { name: /Accounted for: Anna Okonjo/ })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByTestId('unaccounted-count')).toHaveTextContent('2 not yet accounted for');
    expect(log.find((c) => c.cmd === 'tick_roll_call')?.args).toEqual({ rollCallId: 'rc_1', personKey: 'visitor:v1', accounted: true });

    await user.click(screen.getByRole('button', { name: 'Save as A4 PDF to print' }));
    expect(await screen.findByTestId('roll-call-saved')).toHaveTextContent(
      'Saved fire-roll-call-2026-11-22-1402.pdf in /home/desk/Downloads. Open it to print on A4.',
    );
  });
});
