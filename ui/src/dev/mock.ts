// Development only (`--mode mock`): answers the Tauri commands in a plain browser so screens can
// be looked at and screenshotted without the desktop app. Never part of a production build.
//
//   ?mock=ready (default) | newer_schema | corrupt | corrupt_unmoved | migration_failed
//        | unavailable | failed | app_info_error
//   &area=reception (default) | console
//   &sync=online (default) | offline | degraded | auth_failed | not_configured | pulling
//   &alerts=none (default) | open | not_arriving | unknown
//   &attention=1           two changes CareLoop refused, on the "Needs attention" screen
//   &demo=1                the built-in demo CareLoop is in use
//   &type=<data-testid>:<text>  types into that element once it appears
//   &do=click:<id>;type:<id>:<text>;...  several steps in this order (each once its element appears)
//   &click=<id>,<id>,...   clicks each element (by data-testid) in turn once it appears
//   &focus=<data-testid>   focuses that element once it appears (to screenshot focus styles)
//   &lock=unlocked (default) | locked | setting_up | paused, &role=manager | shift_lead |
//        receptionist, &idle=<minutes>: the staff lock (mock-lock.ts, with the mock's PINs)
//   &outbreak=1, &policy=1, &visitors=<n>: reception (mock-reception.ts)
import { mockIPC } from '@tauri-apps/api/mocks';
import type { Alert } from '../bindings/Alert';
import type { AppInfo } from '../bindings/AppInfo';
import type { CareNoteView } from '../bindings/CareNoteView';
import type { CommandError } from '../bindings/CommandError';
import type { Resident } from '../bindings/Resident';
import type { ServerVisit } from '../bindings/ServerVisit';
import type { StartupState } from '../bindings/StartupState';
import type { SyncEvent } from '../bindings/SyncEvent';
import type { SyncStatus } from '../bindings/SyncStatus';
import type { VisitStatus } from '../bindings/VisitStatus';
import type { VisitView } from '../bindings/VisitView';
import type { WindowOptions } from '../bindings/WindowOptions';
import type { UpdateStatus } from '../bindings/UpdateStatus';
import type { AlertEvent } from '../bindings/AlertEvent';
import type { AlertFeedStatus } from '../bindings/AlertFeedStatus';
import type { SettingsView } from '../bindings/SettingsView';
import { byUrgency } from '../lib/alerts.svelte';
import { startOfDay, when } from '../lib/format';
import type { AreaId } from '../lib/router.svelte';
import { mockLock } from './mock-lock';
import { mockIncidents } from './mock-incidents';
import { mockReception } from './mock-reception';
import { mockTraining } from './mock-training';
import {
  acknowledgedAlerts,
  attentionEntries,
  contactsFor,
  locations,
  notesFor,
  openAlerts,
  residents,
  staff,
  visitsAround,
} from './mock-data';

const dataDir = '/home/reception/.local/share/uk.co.careloop.loopdesk';
const dbPath = `${dataDir}/loopdesk.db`;

const info: AppInfo = {
  version: '0.1.0',
  schema_version: 1,
  data_dir: dataDir,
  db_path: dbPath,
};

function startup(scenario: string): StartupState {
  switch (scenario) {
    case 'newer_schema':
      return { state: 'newer_schema', path: dbPath, found_version: 7, supported_version: 1 };
    case 'corrupt':
      return {
        state: 'corrupt',
        path: dbPath,
        moved_to: `${dataDir}/loopdesk.db.corrupt-20261122T130501Z`,
        message: 'file is not a database',
      };
    case 'key_missing':
    case 'key_rejected':
    case 'keyring_unavailable':
      return { state: 'data_key_problem', path: dbPath, problem: scenario, unsent_writes: 3 };
    case 'corrupt_unmoved':
      return {
        state: 'corrupt',
        path: dbPath,
        moved_to: null,
        message: 'file is not a database; renaming it failed: permission denied',
      };
    case 'migration_failed':
      return {
        state: 'migration_failed',
        path: dbPath,
        message: 'migration 2 failed: no such table: residents',
      };
    case 'unavailable':
      return {
        state: 'unavailable',
        path: dataDir,
        message: 'Permission denied (os error 13)',
      };
    default:
      return { state: 'ready' };
  }
}

type Args = Record<string, unknown>;
type Listener<T> = { onmessage: (message: T) => void };

function invalid(message: string, fields: Record<string, string>): never {
  throw { code: 'invalid_input', message, fields } satisfies CommandError;
}

function desk(params: URLSearchParams) {
  const now = new Date();
  const syncScenario = params.get('sync') || 'online';
  const alertScenario = params.get('alerts') || 'none';
  const demo = params.get('demo') === '1';
  let attention = params.get('attention') === '1' ? attentionEntries(now) : [];
  const visits: VisitView[] = visitsAround(now);
  const notes = new Map<string, CareNoteView[]>();
  let open: Alert[] = alertScenario === 'open' ? openAlerts(now) : [];
  let recent: Alert[] = [...open].reverse().concat(acknowledgedAlerts(now));
  let settings: SettingsView = {
    api_base_url: demo ? 'http://127.0.0.1:47110' : 'https://api.careloop.com',
    location_id: syncScenario === 'not_configured' ? null : 'loc_rowan',
    api_key_hint: syncScenario === 'not_configured' ? null : '…4f9e',
    demo,
    bridge_url: demo ? 'http://127.0.0.1:47111' : 'https://bridge.loopdesk.example',
    device_token_hint: '…9c2a',
  };
  const syncWatchers: Listener<SyncEvent>[] = [];
  const alertWatchers: Listener<AlertEvent>[] = [];
  const lock = mockLock(params, staff);
  /** The unlocked staff member's name, for what they write; the desk's while setting up. */
  const signer = () => lock.session()?.name ?? null;
  const reception = mockReception(params, residents, staff);
  const incidents = mockIncidents(
    () => signer() ?? 'Setting up this desk',
    (id) => residents.find((r) => r.id === id)?.full_name ?? 'a resident',
  );
  const training = mockTraining();

  const lastSync = new Date(now.getTime() - (syncScenario === 'offline' ? 25 * 60_000 : 40_000)).toISOString();
  const status: SyncStatus = {
    connection:
      syncScenario === 'pulling' ? 'online' : (syncScenario as SyncStatus['connection']),
    message:
      syncScenario === 'degraded'
        ? 'CareLoop had a problem (503): Service Unavailable'
        : syncScenario === 'auth_failed'
          ? 'API key lacks scope write:visits'
          : null,
    queued: syncScenario === 'offline' ? 3 : 0,
    needs_attention: attention.length,
    resources: ['locations', 'staff', 'residents', 'visits'].map((resource) => ({
      resource,
      cursor: null,
      last_full_at: lastSync,
      last_success_at: lastSync,
      last_error: null,
      last_error_at: null,
    })),
    progress: syncScenario === 'pulling' ? { resource: 'residents', done: 1200, total: 2000 } : null,
    demo,
  };

  const feed: AlertFeedStatus = {
    state: alertScenario === 'not_arriving' ? 'not_arriving' : 'arriving',
    last_success_at: new Date(now.getTime() - (alertScenario === 'not_arriving' ? 6 * 60_000 : 8_000)).toISOString(),
    message: alertScenario === 'not_arriving' ? 'The bridge did not answer: connection refused' : null,
    open_count: open.length,
  };

  function pushStatus(): void {
    status.needs_attention = attention.length;
    status.queued = visits.filter((v) => v.pending).length + [...notes.values()].flat().filter((n) => n.pending).length;
    if (syncScenario === 'offline') status.queued = Math.max(status.queued, 3);
    for (const w of syncWatchers) w.onmessage({ event: 'status', data: { ...status } });
  }

  /** As the app outside the demo: the demo-only commands refuse. */
  function onlyInDemo(): void {
    if (!settings.demo) {
      throw { code: 'invalid_input', message: 'This is only available in the demo (LOOPDESK_DEMO=1).' } satisfies CommandError;
    }
  }

  /** As Rust sends them: without their words while the desk is locked to the kiosk. */
  function pushAlert(event: AlertEvent): void {
    const out: AlertEvent =
      lock.locked() && event.event !== 'feed'
        ? {
            event: event.event,
            data: {
              ...event.data,
              key: '',
              event_id: null,
              title: 'Staff alert',
              detail: null,
              location_id: null,
              resident_id: null,
              resource_id: null,
              when_at: null,
            },
          }
        : event;
    for (const w of alertWatchers) w.onmessage(out);
  }

  function changeVisit(id: unknown, to: VisitStatus, reason?: string): VisitView {
    const visit = visits.find((v) => v.id === id);
    if (!visit) throw { code: 'not_found', message: 'This visit is not on this desk.' } satisfies CommandError;
    if (visit.status === 'cancelled' || visit.status === 'completed') {
      throw { code: 'invalid_input', message: `A ${visit.status} visit cannot be changed.` } satisfies CommandError;
    }
    visit.status = to;
    visit.pending = true;
    visit.changed_by = signer();
    if (to === 'cancelled') visit.cancel_reason = reason ?? null;
    setTimeout(pushStatus, 0);
    return { ...visit };
  }

  function residentDetail(id: unknown) {
    const resident = residents.find((r) => r.id === id);
    if (!resident) throw { code: 'not_found', message: 'This resident is not on this desk.' } satisfies CommandError;
    if (!notes.has(resident.id)) notes.set(resident.id, notesFor(resident, now));
    return {
      resident: { ...resident, contacts: contactsFor(resident) },
      location_name: locations.find((l) => l.id === resident.location_id)?.name ?? null,
      keyworker_name: resident.keyworker?.full_name ?? null,
      care_notes: notes.get(resident.id) ?? [],
    };
  }

  function search(args: Args): Resident[] {
    const text = String(args.text ?? '').trim().toLowerCase();
    return residents
      .filter((r) => !args.locationId || r.location_id === args.locationId)
      .filter((r) => !args.status || r.status === args.status)
      .filter(
        (r) =>
          !text ||
          r.full_name.toLowerCase().includes(text) ||
          (r.preferred_name ?? '').toLowerCase().includes(text) ||
          (r.room_number ?? '').toLowerCase().startsWith(text),
      )
      .sort((a, b) => a.full_name.localeCompare(b.full_name))
      .slice(0, Number(args.limit ?? 50));
  }

  return (cmd: string, args: Args): unknown => {
    lock.check(cmd);
    const locking = lock.answer(cmd, args);
    if (locking !== undefined) return locking;
    const received = reception.answer(cmd, args, () => signer() ?? 'Setting up this desk', lock.pinMatches);
    if (received !== undefined) return received;
    const incident = incidents.answer(cmd, args);
    if (incident !== undefined) return incident;
    const trained = training.answer(cmd, args);
    if (trained !== undefined) return trained;
    switch (cmd) {
      case 'search_residents':
        return search(args);
      case 'get_resident':
        return residentDetail(args.id);
      case 'add_care_note': {
        const fields: Record<string, string> = {};
        if (!String(args.body ?? '').trim()) fields.body = 'Write the note';
        else if ([...String(args.body).trim()].length > 10_000) fields.body = 'Write 10,000 characters or fewer';
        if (!args.category) fields.category = 'Choose a category';
        if (Object.keys(fields).length) invalid('Check the care note', fields);
        const note: CareNoteView = {
          id: `local_${Date.now()}`,
          resident_id: String(args.residentId),
          author_staff_id: lock.session()?.staff_id ?? null,
          author_name: signer() ?? 'Front desk',
          category: String(args.category),
          body: String(args.body).trim(),
          recorded_at: new Date().toISOString(),
          created_at: new Date().toISOString(),
          updated_at: new Date().toISOString(),
          pending: true,
        };
        notes.set(note.resident_id, [note, ...(notes.get(note.resident_id) ?? [])]);
        setTimeout(pushStatus, 0);
        return note;
      }
      case 'list_locations':
        return locations;
      case 'list_staff':
        return staff.filter((s) => !args.locationId || s.location_id === args.locationId);
      case 'list_visits': {
        const from = String(args.from);
        const to = String(args.to);
        return visits
          .filter((v) => v.starts_at >= from && v.starts_at < to)
          .filter((v) => !args.locationId || v.location_id === args.locationId)
          .map((v) => ({ ...v }));
      }
      case 'confirm_visit':
        return changeVisit(args.id, 'confirmed');
      case 'complete_visit':
        return changeVisit(args.id, 'completed');
      case 'cancel_visit':
        if (!String(args.reason ?? '').trim()) invalid('Say why the visit is cancelled', { reason: 'Enter why the visit is cancelled' });
        if (String(args.reason).trim().length > 1000) invalid('Say why the visit is cancelled', { reason: 'Enter a reason of 1,000 characters or fewer' });
        return changeVisit(args.id, 'cancelled', String(args.reason));
      case 'schedule_visit': {
        const fields: Record<string, string> = {};
        if (!locations.some((l) => l.id === args.locationId)) fields.location_id = 'Choose a home this desk knows';
        const member = staff.find((s) => s.id === args.staffUserId);
        if (!member) fields.staff_user_id = 'Choose a staff member';
        if (!args.visitType) fields.visit_type = 'Choose the kind of visit';
        if ([...String(args.notes ?? '').trim()].length > 10_000) fields.notes = 'Write 10,000 characters or fewer';
        const starts = Date.parse(String(args.startsAt ?? ''));
        const ends = Date.parse(String(args.endsAt ?? ''));
        if (Number.isNaN(starts)) fields.starts_at = 'Enter a date and time';
        if (Number.isNaN(ends)) fields.ends_at = 'Enter a date and time';
        else if (!Number.isNaN(starts) && ends <= starts) fields.ends_at = 'The end must be after the start';
        else if (!Number.isNaN(starts) && ends - starts > 24 * 3_600_000) fields.ends_at = 'A visit can last 24 hours at most: check the end';
        if (!Number.isNaN(starts) && starts > Date.now() + 366 * 86_400_000) {
          fields.starts_at = 'A visit can be scheduled up to a year ahead: check the year';
        }
        if (Object.keys(fields).length) invalid('Check the visit details', fields);
        // As the desk: a start in the past is only taken once the person has confirmed it.
        if (starts < Date.now() && args.confirmPast !== true) {
          const words = when(new Date(starts), new Date());
          throw {
            code: 'needs_confirmation',
            message: `This visit starts in the past (${words}). Save it as a visit that happened?`,
            fields: { starts_at: `This is in the past: ${words}` },
          } satisfies CommandError;
        }
        const resident = residents.find((r) => r.id === args.residentId);
        const visit: VisitView = {
          id: `local_${Date.now()}`,
          location_id: String(args.locationId),
          staff_user_id: member?.id ?? null,
          resident_id: resident?.id ?? null,
          visit_type: String(args.visitType),
          starts_at: new Date(starts).toISOString(),
          ends_at: new Date(ends).toISOString(),
          status: 'scheduled',
          notes: (args.notes as string | undefined) ?? null,
          confirmed_at: null,
          completed_at: null,
          cancelled_at: null,
          cancel_reason: null,
          created_at: new Date().toISOString(),
          updated_at: new Date().toISOString(),
          staff_name: member?.full_name ?? null,
          resident_name: resident?.full_name ?? null,
          pending: true,
          changed_by: signer(),
        };
        visits.push(visit);
        setTimeout(pushStatus, 0);
        return visit;
      }
      case 'sync_status':
        return { ...status };
      case 'watch_sync':
        syncWatchers.push(args.onEvent as Listener<SyncEvent>);
        return null;
      case 'sync_now':
        return new Promise<void>((resolve, reject) => {
          if (status.connection === 'offline' || status.connection === 'not_configured') {
            reject({ code: 'unavailable', message: 'CareLoop cannot be reached: the network is down.' } satisfies CommandError);
            return;
          }
          let done = 0;
          const timer = setInterval(() => {
            done += 400;
            for (const w of syncWatchers) w.onmessage({ event: 'progress', data: { resource: 'residents', done, total: 2000 } });
            if (done >= 2000) {
              clearInterval(timer);
              for (const v of visits) v.pending = false;
              for (const n of [...notes.values()].flat()) n.pending = false;
              status.progress = null;
              pushStatus();
              resolve();
            }
          }, 300);
        });
      case 'outbox_attention':
        return attention;
      case 'resubmit_outbox_entry': {
        const payload = args.payload as Record<string, unknown>;
        const entry = attention.find((e) => e.seq === args.seq);
        if (!entry) throw { code: 'not_found', message: 'This change is not waiting for a correction.' } satisfies CommandError;
        if (entry.op === 'care_note.create' && !String(payload.body ?? '').trim()) invalid('Check the care note', { body: 'Write the note' });
        attention = attention.filter((e) => e !== entry);
        setTimeout(pushStatus, 0);
        return null;
      }
      case 'discard_outbox_entry':
        attention = attention.filter((e) => e.seq !== args.seq);
        setTimeout(pushStatus, 0);
        return null;
      case 'get_settings':
        return { ...settings };
      case 'save_settings': {
        const url = String(args.apiBaseUrl ?? '').trim().replace(/\/+$/, '');
        if (!/^(https:\/\/|http:\/\/(127\.|localhost|\[::1\]))\S+$/.test(url))
          invalid('Check the settings', {
            api_base_url: 'Use an https:// address: a plain http:// address is only allowed for this computer (127.0.0.1 or localhost). For example https://api.careloop.com',
          });
        const key = args.apiKey as string | undefined;
        // A saved key belongs to its address: another address without a new key removes it.
        const kept = url === settings.api_base_url ? settings.api_key_hint : null;
        settings = {
          ...settings,
          api_base_url: url,
          location_id: (args.locationId as string | undefined) ?? null,
          api_key_hint: key ? `…${key.slice(-4)}` : kept,
          demo: false,
        };
        return { ...settings };
      }
      case 'desk_summary': {
        const home = settings.location_id;
        const ofHome = visits.filter((v) => !home || v.location_id === home);
        const nowMs = Date.now();
        const dayStart = startOfDay(new Date(nowMs));
        const start = (v: VisitView) => Date.parse(v.starts_at);
        return {
          location_id: home,
          location_name: locations.find((l) => l.id === home)?.name ?? null,
          open_alerts: open.length,
          critical_alerts: open.filter((a) => a.kind === 'incident.critical').length,
          visits_overdue: ofHome.filter((v) => v.status === 'scheduled' && start(v) >= dayStart.getTime() && start(v) <= nowMs).length,
          visits_due_next_hour: ofHome.filter(
            (v) => (v.status === 'scheduled' || v.status === 'confirmed') && start(v) > nowMs && start(v) <= nowMs + 3_600_000,
          ).length,
          writes_waiting: status.queued,
          writes_need_attention: attention.length,
          certifications_expired: staff.reduce((n, s) => n + (s.certification_summary?.expired ?? 0), 0),
        };
      }
      case 'test_connection':
        return {
          ok: true,
          message: `Connected to ${settings.api_base_url}.`,
          can_read: ['locations', 'residents', 'staff', 'certifications', 'courses', 'visits', 'incidents'],
          can_write: ['visits', 'care_notes', 'incidents'],
        };
      case 'save_bridge_settings': {
        const url = String(args.bridgeUrl ?? '').trim().replace(/\/+$/, '');
        if (!/^(https:\/\/|http:\/\/(127\.|localhost|\[::1\]))\S+$/.test(url))
          invalid('Check the alert bridge settings', {
            bridge_url: 'Use an https:// address: a plain http:// address is only allowed for this computer (127.0.0.1 or localhost). For example https://bridge.example.org',
          });
        const token = args.deviceToken as string | undefined;
        const kept = url === settings.bridge_url ? settings.device_token_hint : null;
        settings = { ...settings, bridge_url: url, device_token_hint: token ? `…${token.slice(-4)}` : kept };
        return { ...settings };
      }
      case 'list_alerts':
        // As the desk: the most urgent first.
        return { open: [...open].sort(byUrgency), recent };
      case 'alert_feed_status':
        if (alertScenario === 'unknown') throw { code: 'internal', message: 'The alert poller did not answer.' } satisfies CommandError;
        return { ...feed, open_count: open.length };
      case 'watch_alerts':
        alertWatchers.push(args.onEvent as Listener<AlertEvent>);
        return null;
      case 'acknowledge_alert': {
        const by = signer() ?? String(args.by ?? '').trim();
        if (!by) invalid('Say who is acknowledging', { by: 'Enter your name' });
        const alert = open.find((a) => a.id === args.id);
        if (!alert) throw { code: 'not_found', message: 'This alert is not open.' } satisfies CommandError;
        const done: Alert = { ...alert, acknowledged_at: new Date().toISOString(), acknowledged_by: by };
        open = open.filter((a) => a.id !== alert.id);
        recent = [done, ...recent.filter((a) => a.id !== alert.id)];
        return done;
      }
      case 'trigger_demo_alert': {
        if (!settings.demo) invalid('Only in demo mode', { kind: 'Test alerts need the demo CareLoop' });
        const kind = String(args.kind);
        const alert: Alert = {
          id: 100 + open.length + recent.length,
          key: `event:evt_demo_${Date.now()}`,
          when_at: null,
          event_id: `evt_demo_${Date.now()}`,
          kind,
          title: kind === 'visit.no_show' ? 'Missed visit: 11:00 wellbeing for Harold Greenwood' : 'Critical incident: choking, dining room',
          detail: 'A test alert from the demo CareLoop.',
          location_id: 'loc_rowan',
          resident_id: null,
          resource_id: null,
          raised_at: new Date().toISOString(),
          acknowledged_at: null,
          acknowledged_by: null,
        };
        setTimeout(() => {
          open = [...open, alert];
          recent = [alert, ...recent];
          pushAlert({ event: 'raised', data: alert });
        }, 800);
        return null;
      }
      case 'set_demo_sandbox':
        onlyInDemo();
        status.connection = args.running ? 'online' : 'offline';
        setTimeout(pushStatus, 0);
        return null;
      case 'set_demo_bridge':
        onlyInDemo();
        feed.state = args.running ? 'arriving' : 'not_arriving';
        feed.message = args.running ? null : 'The bridge did not answer: connection refused';
        setTimeout(() => pushAlert({ event: 'feed', data: { ...feed, open_count: open.length } }), 0);
        return null;
      case 'reset_demo_data':
        // The page reloads after it, and the mock desk starts again as it was.
        onlyInDemo();
        return null;
      case 'advance_demo_clock': {
        onlyInDemo();
        const minutes = Number(args.minutes);
        if (!Number.isInteger(minutes) || minutes < 1 || minutes > 24 * 60) {
          invalid('Check the minutes', { minutes: 'Move the clock 1 to 1,440 minutes' });
        }
        lock.clockMoved(minutes * 60_000);
        return null;
      }
      case 'demo_server_visit': {
        onlyInDemo();
        const visit = visits.find((v) => v.id === args.id);
        if (!visit) throw { code: 'not_found', message: 'The demo CareLoop has no such visit.' } satisfies CommandError;
        // No change log here: a synced visit that is no longer scheduled was changed once.
        const changes = visit.pending || visit.status === 'scheduled' ? 0 : 1;
        return { id: visit.id, status: visit.status, changes } satisfies ServerVisit;
      }
      default:
        throw { code: 'not_found', message: `No mock for ${cmd}` } satisfies CommandError;
    }
  };
}

/**
 * Settings → This computer. `?window=refused` refuses every change, as the desk does for anyone
 * but a manager.
 */
function windowOptions(params: URLSearchParams): (cmd: string, args: Args) => unknown {
  const options: WindowOptions = { kiosk_mode: false, start_at_login: false };
  return (cmd, args) => {
    if (cmd !== 'get_window_options' && params.get('window') === 'refused') {
      throw { code: 'forbidden', message: 'This needs a manager at this desk. Ask one to unlock it.' } satisfies CommandError;
    }
    if (cmd === 'set_kiosk_mode') options.kiosk_mode = args.enabled === true;
    if (cmd === 'set_start_at_login') options.start_at_login = args.enabled === true;
    return cmd === 'quit_app' ? null : { ...options };
  };
}

/**
 * Settings → Updates and the console's banner. `?update=ready` has version 9.9.9 verified and
 * ready; `?update=refused` a tampered one refused.
 */
function updates(params: URLSearchParams): (cmd: string, args: Args) => unknown {
  const scene = params.get('update');
  const status: UpdateStatus = {
    address: scene ? 'https://updates.example.org/loopdesk/latest.json' : null,
    quiet_time: '03:00',
    running_version: info.version,
    state: { state: 'not_configured' },
    message: 'No update address is set, so Loopdesk does not check for updates.',
    checked: null,
    next_check: null,
    kiosk_mode: false,
    install_note: null,
    may_install: false,
  };
  const checked = (): void => {
    status.checked = 'today at 09:00';
    status.next_check = 'today at 13:00';
    if (scene === 'refused') {
      status.state = { state: 'refused', problem: 'bad_signature', version: '9.9.9' };
      status.message = `Version 9.9.9 was refused: the downloaded file does not match its signature, so it may have been changed or damaged. Nothing was installed. Loopdesk carries on with version ${info.version}.`;
      status.may_install = false;
    } else {
      status.state = { state: 'ready', version: '9.9.9', notes: 'Faster visitor sign-in.' };
      status.message = 'Version 9.9.9 is ready to install.';
      status.may_install = true;
    }
  };
  if (scene) checked();
  return (cmd, args) => {
    switch (cmd) {
      case 'save_update_settings': {
        const settings = args.settings as { address: string; quiet_time: string };
        status.address = settings.address.trim() || null;
        status.quiet_time = settings.quiet_time;
        if (!status.address) {
          status.state = { state: 'not_configured' };
          status.message = 'No update address is set, so Loopdesk does not check for updates.';
          status.may_install = false;
        }
        return { ...status };
      }
      case 'check_for_update':
        if (!status.address) throw { code: 'not_configured', message: 'Set an update address first.' } satisfies CommandError;
        checked();
        return { ...status };
      case 'install_update':
        throw { code: 'unavailable', message: 'The mock desk does not install updates.' } satisfies CommandError;
      case 'set_form_open':
        return null;
      default:
        return { ...status };
    }
  };
}

export function installMock(params: URLSearchParams): { initialArea: AreaId } {
  const scenario = params.get('mock') || 'ready';
  const answer = desk(params);
  const windowAnswer = windowOptions(params);
  const updateAnswer = updates(params);
  mockIPC((cmd, args) => {
    switch (cmd) {
      case 'update_status':
      case 'save_update_settings':
      case 'check_for_update':
      case 'install_update':
      case 'set_form_open':
        return updateAnswer(cmd, (args ?? {}) as Args);
      case 'get_window_options':
      case 'set_kiosk_mode':
      case 'set_start_at_login':
      case 'quit_app':
        return windowAnswer(cmd, (args ?? {}) as Args);
      case 'startup_state':
        if (scenario === 'failed') {
          throw { code: 'internal', message: 'The start-up check did not answer.' } satisfies CommandError;
        }
        return startup(scenario);
      case 'create_fresh_database':
        return { state: 'ready' } satisfies StartupState;
      case 'retry_startup':
        return startup(scenario);
      case 'app_info':
        if (scenario === 'app_info_error') {
          throw { code: 'internal', message: 'The data file could not be queried.' } satisfies CommandError;
        }
        return info;
      default:
        return answer(cmd, (args ?? {}) as Args);
    }
  });
  const typing = params.get('type');
  const clicks = (params.get('click') ?? '').split(',').filter(Boolean);
  const focus = params.get('focus');
  const steps: { id: string; action: (el: HTMLElement) => void }[] = [];
  // Sets a field's value as typing or choosing would (the text may hold colons: "10:00").
  const typeInto = (text: string) => (el: HTMLElement) => {
    (el as HTMLInputElement).value = text;
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  };
  if (typing) {
    const [id = '', ...text] = typing.split(':');
    steps.push({ id, action: typeInto(text.join(':')) });
  }
  for (const id of clicks) steps.push({ id, action: (el) => el.click() });
  for (const step of (params.get('do') ?? '').split(';').filter(Boolean)) {
    const [verb, id = '', ...text] = step.split(':');
    steps.push({ id, action: verb === 'type' ? typeInto(text.join(':')) : (el) => el.click() });
  }
  if (focus) steps.push({ id: focus, action: (el) => el.focus() });
  runSteps(steps);
  return { initialArea: params.get('area') === 'console' ? 'console' : 'reception' };
}

/** Runs each step once its element appears, one after another. */
function runSteps(steps: { id: string; action: (el: HTMLElement) => void }[]): void {
  const [step, ...rest] = steps;
  if (!step) return;
  whenPresent(`[data-testid="${CSS.escape(step.id)}"]`, (el) => {
    step.action(el);
    // Let the screen react before the next step looks for its element.
    setTimeout(() => runSteps(rest), 400);
  });
}

function whenPresent(selector: string, action: (element: HTMLElement) => void): void {
  const found = () => document.querySelector<HTMLElement>(selector);
  const now = found();
  if (now) {
    action(now);
    return;
  }
  const observer = new MutationObserver(() => {
    const element = found();
    if (element) {
      observer.disconnect();
      action(element);
    }
  });
  observer.observe(document.body, { childList: true, subtree: true });
}
