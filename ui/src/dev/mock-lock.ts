// Development only: the staff lock of the mock desk (see mock.ts), behaving as Rust's does
// (crates/core/src/desk/staff_lock.rs): PINs of 4 to 8 digits no two people share, roles, five
// wrong PINs pause entry for five minutes (doubling), the idle lock, never without a manager,
// and who may call each command as the app's command list says (commands.json).
//
//   &lock=unlocked (default) | locked | setting_up | paused
//   &role=manager (default) | shift_lead | receptionist   who is signed in when unlocked
//   &idle=<minutes>                                        the idle lock (default 5)
//
// The mock's PINs: Jack Ali (manager) 2468, Femi Hughes (shift lead) 1357, Aisha Khan
// (receptionist) 8642; the others' are in `holders` below.
import generated from '../bindings/commands.json';
import type { CommandError } from '../bindings/CommandError';
import type { DeskRole } from '../bindings/DeskRole';
import type { LockEvent } from '../bindings/LockEvent';
import type { LockStatus } from '../bindings/LockStatus';
import type { PinHolder } from '../bindings/PinHolder';
import type { Session } from '../bindings/Session';
import type { Staff } from '../bindings/Staff';

type Args = Record<string, unknown>;
type Listener<T> = { onmessage: (message: T) => void };

const rank: Record<DeskRole, number> = { receptionist: 1, shift_lead: 2, manager: 3 };
const words: Record<DeskRole, string> = { receptionist: 'receptionist', shift_lead: 'shift lead', manager: 'manager' };
const maxFailures = 5;
const firstPauseMs = 5 * 60_000;

/** Who may call each command, from the app's command list. */
const levels = new Map<string, string>(
  generated.commands.map((c) => [c.name, (c as { access?: string | null }).access ?? 'manager']),
);

const holders: [string, DeskRole, string][] = [
  ['stf_010', 'manager', '2468'],
  ['stf_006', 'shift_lead', '1357'],
  ['stf_001', 'receptionist', '8642'],
  ['stf_002', 'shift_lead', '1212'],
  ['stf_003', 'receptionist', '3434'],
  ['stf_005', 'receptionist', '5656'],
  ['stf_007', 'shift_lead', '7878'],
  ['stf_009', 'manager', '9090'],
];

function refuse(code: CommandError['code'], message: string, fields?: Record<string, string>): never {
  throw (fields ? { code, message, fields } : { code, message }) satisfies CommandError;
}

export function mockLock(params: URLSearchParams, staff: Staff[]) {
  const scenario = params.get('lock') || 'unlocked';
  const role = (params.get('role') as DeskRole | null) ?? 'manager';
  const pins = new Map<string, { role: DeskRole; pin: string }>(
    scenario === 'setting_up' ? [] : holders.map(([id, r, pin]) => [id, { role: r, pin }]),
  );
  let idleMinutes = Number(params.get('idle') ?? 5) || 5;
  let failures = 0;
  let lockouts = 0;
  let pausedUntil: number | null = scenario === 'paused' ? Date.now() + firstPauseMs : null;
  let session: Session | null = null;
  let lastUsed = Date.now();
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const watchers: Listener<LockEvent>[] = [];

  const nameOf = (id: string) => staff.find((s) => s.id === id)?.full_name ?? id;
  const settingUp = () => pins.size === 0;
  const holderList = (): PinHolder[] =>
    [...pins.entries()]
      .map(([staff_id, p]) => ({ staff_id, name: nameOf(staff_id), role: p.role }))
      .sort((a, b) => a.name.localeCompare(b.name));

  function status(): LockStatus {
    return {
      session: settingUp() ? null : session,
      setting_up: settingUp(),
      paused_until: pausedUntil && pausedUntil > Date.now() ? new Date(pausedUntil).toISOString() : null,
      idle_minutes: idleMinutes,
    };
  }

  function announce(reason: string | null): void {
    const event: LockEvent = { status: status(), reason };
    for (const w of watchers) w.onmessage(event);
  }

  function signIn(id: string): void {
    const held = pins.get(id);
    if (!held) return;
    session = { staff_id: id, name: nameOf(id), role: held.role };
    used();
  }

  /** Use of the console: the idle time starts again. */
  function used(): void {
    lastUsed = Date.now();
    clearTimeout(idleTimer);
    if (!session) return;
    idleTimer = setTimeout(() => {
      if (!session || Date.now() - lastUsed < idleMinutes * 60_000) return;
      session = null;
      announce(`Locked after ${idleMinutes} minute${idleMinutes === 1 ? '' : 's'} without use`);
    }, idleMinutes * 60_000);
  }

  if (scenario === 'unlocked') {
    const who = holders.find(([, r]) => r === role)?.[0] ?? 'stf_010';
    signIn(who);
  }

  /** Refuses `cmd` as Rust would in the desk's state now (`locked`, `forbidden`). */
  function check(cmd: string): void {
    const level = levels.get(cmd);
    if (!level || level === 'kiosk' || settingUp()) return;
    if (!session) refuse('locked', 'The staff console is locked. Unlock it with your PIN.');
    const need = level as DeskRole;
    if (rank[session.role] < rank[need]) refuse('forbidden', `This needs a ${words[need]} at this desk. Ask one to unlock it.`);
    used();
  }

  function checkPin(pin: unknown): string {
    const p = String(pin ?? '');
    if (!/^[0-9]{4,8}$/.test(p)) refuse('invalid_input', 'Check the PIN', { pin: 'Enter 4 to 8 digits' });
    return p;
  }

  function leaveAManager(field: string): void {
    if ([...pins.values()].filter((p) => p.role === 'manager').length <= 1) {
      refuse('invalid_input', 'This desk needs a manager', {
        [field]: 'This is the only manager’s PIN: make someone else a manager first',
      });
    }
  }

  function store(staffId: unknown, pin: unknown, newRole: DeskRole): string {
    const p = checkPin(pin);
    const id = String(staffId ?? '');
    if (!staff.some((s) => s.id === id)) {
      refuse('invalid_input', 'Check the staff member', { staff_id: 'Choose a staff member from the directory' });
    }
    if ([...pins.entries()].some(([other, held]) => other !== id && held.pin === p)) {
      refuse('invalid_input', 'Choose another PIN', { pin: 'Someone at this desk already has this PIN: choose another' });
    }
    const current = pins.get(id);
    if (current?.role === 'manager' && newRole !== 'manager') leaveAManager('role');
    pins.set(id, { role: newRole, pin: p });
    return id;
  }

  /** After a PIN changed: the session of its holder follows (their role) or ends. */
  function afterChange(id: string): void {
    if (session?.staff_id !== id) {
      announce(null);
      return;
    }
    const held = pins.get(id);
    if (held) {
      session = { ...session, role: held.role };
      announce(null);
    } else {
      session = null;
      announce('Your PIN was removed');
    }
  }

  function holder(id: string): PinHolder {
    const held = pins.get(id);
    if (!held) refuse('not_found', 'This staff member has no PIN at this desk.');
    return { staff_id: id, name: nameOf(id), role: held.role };
  }

  /** The lock's own commands; `undefined` for any other. */
  function answer(cmd: string, args: Args): unknown {
    switch (cmd) {
      case 'lock_status':
        return status();
      case 'watch_lock':
        watchers.push(args.onEvent as Listener<LockEvent>);
        return null;
      case 'pin_holders':
        return holderList();
      case 'unlock': {
        const now = Date.now();
        if (pausedUntil && pausedUntil > now) {
          const minutes = Math.floor((pausedUntil - now) / 60_000) + 1;
          refuse('paused', `PIN entry is paused after ${maxFailures} wrong PINs. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`);
        }
        const id = String(args.staffId ?? '');
        const held = pins.get(id);
        if (held && held.pin === String(args.pin ?? '')) {
          failures = 0;
          signIn(id);
          announce(null);
          return status();
        }
        failures += 1;
        if (failures >= maxFailures) {
          const pause = firstPauseMs * 2 ** Math.min(lockouts, 10);
          pausedUntil = now + pause;
          lockouts += 1;
          failures = 0;
          refuse('paused', `That name and PIN do not match. PIN entry is paused for ${pause / 60_000} minutes.`);
        }
        const left = maxFailures - failures;
        refuse('invalid_input', 'That name and PIN do not match', {
          pin: `That name and PIN do not match. ${left} tr${left === 1 ? 'y' : 'ies'} left before PIN entry pauses.`,
        });
      }
      case 'still_here':
        return status();
      case 'lock_desk':
        if (session) {
          session = null;
          clearTimeout(idleTimer);
          announce('Locked');
        }
        return status();
      case 'set_first_manager_pin': {
        if (!settingUp()) refuse('forbidden', 'A manager PIN is set already: a manager adds the others in Settings.');
        const id = store(args.staffId, args.pin, 'manager');
        signIn(id);
        announce(null);
        return status();
      }
      case 'list_pins':
        return holderList();
      case 'set_staff_pin': {
        const newRole = String(args.role ?? '') as DeskRole;
        if (!(newRole in rank)) refuse('invalid_input', 'Check the role', { role: 'Choose a role' });
        const id = store(args.staffId, args.pin, newRole);
        afterChange(id);
        return holder(id);
      }
      case 'set_staff_role': {
        const id = String(args.staffId ?? '');
        const newRole = String(args.role ?? '') as DeskRole;
        const current = pins.get(id);
        if (!current) return holder(id);
        if (!(newRole in rank)) refuse('invalid_input', 'Check the role', { role: 'Choose a role' });
        if (current.role === 'manager' && newRole !== 'manager') leaveAManager('role');
        pins.set(id, { ...current, role: newRole });
        afterChange(id);
        return holder(id);
      }
      case 'remove_staff_pin': {
        const id = String(args.staffId ?? '');
        const current = pins.get(id);
        if (!current) return holder(id);
        if (current.role === 'manager') leaveAManager('staff_id');
        pins.delete(id);
        afterChange(id);
        return null;
      }
      case 'set_idle_lock': {
        const minutes = Number(args.minutes);
        if (!Number.isInteger(minutes) || minutes < 1 || minutes > 60) {
          refuse('invalid_input', 'Check the time', { minutes: 'Choose from 1 to 60 minutes' });
        }
        idleMinutes = minutes;
        used();
        return status();
      }
      default:
        return undefined;
    }
  }

  /**
   * The desk's clock moved `ms` forward (`advance_demo_clock`): as Rust's idle lock, the console
   * locks when the idle time has passed since it was last used; a pause ends sooner.
   */
  function clockMoved(ms: number): void {
    lastUsed -= ms;
    if (pausedUntil) pausedUntil -= ms;
    if (session && Date.now() - lastUsed > idleMinutes * 60_000) {
      session = null;
      clearTimeout(idleTimer);
      announce(`Locked after ${idleMinutes} minute${idleMinutes === 1 ? '' : 's'} without use`);
    }
  }

  return {
    answer,
    check,
    clockMoved,
    /** The unlocked staff member (none on the kiosk or while setting up). */
    session: () => (settingUp() ? null : session),
    /** Whether the desk is locked to the kiosk. */
    locked: () => !settingUp() && session === null,
    /** Whether `pin` is this staff member's (the kiosk's staff sign-in checks it, unlocking nothing). */
    pinMatches: (id: string, pin: string) => pins.get(id)?.pin === pin,
  };
}
