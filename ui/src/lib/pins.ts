// What a new PIN must be before it is sent (Rust checks the same again, and what only it can:
// that no one else has the PIN, that a manager is left), and the roles in words.
import type { CommandError } from '../bindings/CommandError';
import type { DeskRole } from '../bindings/DeskRole';
import type { Staff } from '../bindings/Staff';
import { staffRoles } from './format';

export const roleOptions: { value: DeskRole; label: string; hint: string }[] = [
  { value: 'receptionist', label: 'Receptionist', hint: 'This desk and alerts.' },
  { value: 'shift_lead', label: 'Shift lead', hint: 'Also residents, care notes, visits and the staff directory.' },
  { value: 'manager', label: 'Manager', hint: 'Also settings, staff PINs and the changes CareLoop refused.' },
];

/**
 * The problems with a new PIN typed twice, by field (`pin`, `pin_again`); none when it is fine.
 * A PIN is 4 to 8 digits.
 */
export function pinProblems(pin: string, again: string): Record<string, string> {
  const problems: Record<string, string> = {};
  if (!pin) problems.pin = 'Enter a PIN of 4 to 8 digits';
  else if (!/^[0-9]*$/.test(pin)) problems.pin = 'A PIN has digits only, 0 to 9: no letters or spaces';
  else if (pin.length < 4 || pin.length > 8) problems.pin = 'Enter 4 to 8 digits';
  if (!again) problems.pin_again = 'Enter the PIN again';
  else if (!problems.pin && again !== pin) problems.pin_again = 'The two PINs are not the same: enter it again';
  return problems;
}

/** Problems found here, as a CommandError like Rust's, for `formErrors`. */
export function invalid(fields: Record<string, string>): CommandError {
  return { code: 'invalid_input', message: 'Check the form', fields };
}

/** The active staff of the synced directory, by name, as choices ("Aisha Khan, Manager"). */
export function staffChoices(staff: Staff[], leaveOut: Set<string> = new Set()): { value: string; label: string }[] {
  return staff
    .filter((s) => s.status === 'active' && !leaveOut.has(s.id))
    .sort((a, b) => a.full_name.localeCompare(b.full_name, 'en-GB'))
    .map((s) => ({ value: s.id, label: `${s.full_name}, ${staffRoles[s.role] ?? s.role}` }));
}
