import { screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { TrainingRules } from '../../bindings/TrainingRules';
import { startDesk } from '../../test/console';

/** The desk on the training matrix, then its "Training rules" link. */
async function openRules(answers: Record<string, unknown>) {
  const desk = await startDesk({ training_matrix: new Promise(() => {}), training_notices: [], ...answers }, { screen: 'training' });
  await desk.user.click(await screen.findByTestId('open-training-rules'));
  return desk;
}

function rules(overrides: Partial<TrainingRules> = {}): TrainingRules {
  return {
    configured: false,
    roles: [
      { role: 'carer', course_ids: ['crs_fs'] },
      { role: 'kitchen', course_ids: ['crs_fs', 'crs_food'] },
    ],
    courses: [
      { course_id: 'crs_fs', name: 'Fire safety', months: 12, default_months: 12 },
      { course_id: 'crs_food', name: 'Food hygiene', months: 36, default_months: 36 },
    ],
    missing_defaults: ['Oliver McGowan training on learning disability and autism'],
    ...overrides,
  };
}

describe('training rules', () => {
  it('shows the default rules, the default courses the catalogue lacks, and each role’s courses', async () => {
    await openRules({ training_rules: rules() });
    expect(await screen.findByTestId('rules-default')).toHaveTextContent('default rules for UK adult social care');
    expect(screen.getByTestId('rules-missing')).toHaveTextContent('Oliver McGowan training on learning disability and autism');
    expect(screen.getByTestId('rules-missing')).toHaveTextContent('nobody can be required to hold them yet');
    expect(screen.getByLabelText('Food hygiene', { selector: 'input[inputmode=numeric]' })).toHaveValue('36');
    const kitchen = screen.getAllByTestId('rules-role').find((f) => f.dataset.role === 'kitchen')!;
    expect(screen.getByRole('group', { name: 'Kitchen' })).toBe(kitchen);
    expect(within(kitchen).getByLabelText('Food hygiene')).toBeChecked();
    const carer = screen.getAllByTestId('rules-role').find((f) => f.dataset.role === 'carer')!;
    expect(within(carer).getByLabelText('Food hygiene')).not.toBeChecked();
  });

  it('refuses a period that is not a whole number here, beside the field, without asking', async () => {
    const { user, callsOf } = await openRules({ training_rules: rules() });
    const months = await screen.findByLabelText('Fire safety', { selector: 'input[inputmode=numeric]' });
    await user.clear(months);
    await user.type(months, 'a year');
    await user.click(screen.getByTestId('rules-save'));
    const summary = await screen.findByRole('alert');
    expect(summary).toHaveTextContent('Enter the renewal period for Fire safety as a whole number of months, like 12');
    expect(months).toHaveAttribute('aria-invalid', 'true');
    expect(months).toHaveAccessibleDescription(/whole number of months/);
    expect(callsOf('save_training_rules')).toEqual([]);
  });

  it('shows the desk’s refusal of a zero period beside the field, then saves the changes', async () => {
    let saved: TrainingRules | null = null;
    const { user, callsOf } = await openRules(
      {
        training_rules: rules(),
        save_training_rules: (args: Record<string, unknown>) => {
          const r = args.rules as { renewals: { course_id: string; months: number }[]; roles: TrainingRules['roles'] };
          if (r.renewals.some((x) => x.months === 0)) {
            throw { code: 'invalid_input', message: 'Check the training rules', fields: { 'months.crs_fs': 'Enter a renewal period of at least 1 month' } };
          }
          saved = rules({
            configured: true,
            roles: r.roles,
            courses: rules().courses.map((c) => ({ ...c, months: r.renewals.find((x) => x.course_id === c.course_id)!.months })),
          });
          return saved;
        },
      },
    );
    const months = await screen.findByLabelText('Fire safety', { selector: 'input[inputmode=numeric]' });
    await user.clear(months);
    await user.type(months, '0');
    await user.click(screen.getByTestId('rules-save'));
    expect(await screen.findByRole('alert')).toHaveTextContent('Enter a renewal period of at least 1 month');
    expect(months).toHaveAttribute('aria-invalid', 'true');
    expect(months).toHaveAccessibleDescription(/at least 1 month/);

    await user.clear(months);
    await user.type(months, '24');
    const carer = screen.getAllByTestId('rules-role').find((f) => f.dataset.role === 'carer')!;
    await user.click(within(carer).getByLabelText('Food hygiene'));
    await user.click(screen.getByTestId('rules-save'));
    await screen.findByTestId('rules-saved');
    expect(callsOf('save_training_rules').at(-1)).toEqual({
      rules: {
        roles: [
          { role: 'carer', course_ids: ['crs_fs', 'crs_food'] },
          { role: 'kitchen', course_ids: ['crs_fs', 'crs_food'] },
        ],
        renewals: [
          { course_id: 'crs_fs', months: 24 },
          { course_id: 'crs_food', months: 36 },
        ],
      },
    });
    await waitFor(() => expect(screen.queryByTestId('rules-default')).toBeNull());
    expect(months).not.toHaveAttribute('aria-invalid');
  });
});
