// The one place the UI talks to the Rust side. Every command has one typed wrapper here;
// screens and components never call `invoke` themselves.
import { Channel, invoke } from '@tauri-apps/api/core';
import type { Alert } from '../bindings/Alert';
import type { AppInfo } from '../bindings/AppInfo';
import type { AttentionEntry } from '../bindings/AttentionEntry';
import type { CareNoteView } from '../bindings/CareNoteView';
import type { CommandError } from '../bindings/CommandError';
import type { DeskSummary } from '../bindings/DeskSummary';
import type { ConnectionTest } from '../bindings/ConnectionTest';
import type { Code } from '../bindings/ErrorCode';
import type { Location } from '../bindings/Location';
import type { Resident } from '../bindings/Resident';
import type { ResidentDetail } from '../bindings/ResidentDetail';
import type { ResidentStatus } from '../bindings/ResidentStatus';
import type { Staff } from '../bindings/Staff';
import type { StartupState } from '../bindings/StartupState';
import type { SyncEvent } from '../bindings/SyncEvent';
import type { SyncStatus } from '../bindings/SyncStatus';
import type { VisitView } from '../bindings/VisitView';
import type { AlertEvent } from '../bindings/AlertEvent';
import type { AlertFeedStatus } from '../bindings/AlertFeedStatus';
import type { AlertsView } from '../bindings/AlertsView';
import type { ServerVisit } from '../bindings/ServerVisit';
import type { SettingsView } from '../bindings/SettingsView';
import type { WindowOptions } from '../bindings/WindowOptions';
import type { DeskRole } from '../bindings/DeskRole';
import type { LockEvent } from '../bindings/LockEvent';
import type { LockStatus } from '../bindings/LockStatus';
import type { PinHolder } from '../bindings/PinHolder';
import type { HistoryQuery } from '../bindings/HistoryQuery';
import type { KioskPerson } from '../bindings/KioskPerson';
import type { KioskReception } from '../bindings/KioskReception';
import type { OutingView } from '../bindings/OutingView';
import type { PublicVisitor } from '../bindings/PublicVisitor';
import type { Purged } from '../bindings/Purged';
import type { ReceptionSettings } from '../bindings/ReceptionSettings';
import type { ResidentChoice } from '../bindings/ResidentChoice';
import type { ResidentReception } from '../bindings/ResidentReception';
import type { ReturningMatch } from '../bindings/ReturningMatch';
import type { ReturningVisitor } from '../bindings/ReturningVisitor';
import type { RollCallView } from '../bindings/RollCallView';
import type { SavedFile } from '../bindings/SavedFile';
import type { SignedOut } from '../bindings/SignedOut';
import type { SignInOutcome } from '../bindings/SignInOutcome';
import type { StaffMovement } from '../bindings/StaffMovement';
import type { StaffOnSiteView } from '../bindings/StaffOnSiteView';
import type { VisitorRecord } from '../bindings/VisitorRecord';
import type { VisitorSignInForm } from '../bindings/VisitorSignInForm';
import type { DueObservation } from '../bindings/DueObservation';
import type { FallsRegister } from '../bindings/FallsRegister';
import type { IncidentAssessment } from '../bindings/IncidentAssessment';
import type { IncidentDraft } from '../bindings/IncidentDraft';
import type { IncidentFilter } from '../bindings/IncidentFilter';
import type { IncidentForm } from '../bindings/IncidentForm';
import type { IncidentOptions } from '../bindings/IncidentOptions';
import type { IncidentSummary } from '../bindings/IncidentSummary';
import type { IncidentView } from '../bindings/IncidentView';
import type { ObservationProtocol } from '../bindings/ObservationProtocol';
import type { ObservationReading } from '../bindings/ObservationReading';
import type { MatrixFilter } from '../bindings/MatrixFilter';
import type { MayLead } from '../bindings/MayLead';
import type { RecordCertification } from '../bindings/RecordCertification';
import type { RecordedCertification } from '../bindings/RecordedCertification';
import type { SaveTrainingRules } from '../bindings/SaveTrainingRules';
import type { StaffTraining } from '../bindings/StaffTraining';
import type { TrainingMatrix } from '../bindings/TrainingMatrix';
import type { TrainingNotice } from '../bindings/TrainingNotice';
import type { TrainingRules } from '../bindings/TrainingRules';
import type { SaveUpdateSettings } from '../bindings/SaveUpdateSettings';
import type { UpdateStatus } from '../bindings/UpdateStatus';

/**
 * Wrapper name → command name, for every command of src-tauri (`app_commands!` in
 * src-tauri/src/lib.rs, written to `../bindings/commands.json` by `cargo test`).
 * `commands.test.ts` fails when the two lists differ.
 */
export const commands = {
  startupState: 'startup_state',
  appInfo: 'app_info',
  createFreshDatabase: 'create_fresh_database',
  retryStartup: 'retry_startup',
  searchResidents: 'search_residents',
  getResident: 'get_resident',
  addCareNote: 'add_care_note',
  listLocations: 'list_locations',
  listStaff: 'list_staff',
  listVisits: 'list_visits',
  confirmVisit: 'confirm_visit',
  completeVisit: 'complete_visit',
  cancelVisit: 'cancel_visit',
  scheduleVisit: 'schedule_visit',
  syncStatus: 'sync_status',
  watchSync: 'watch_sync',
  syncNow: 'sync_now',
  outboxAttention: 'outbox_attention',
  resubmitOutboxEntry: 'resubmit_outbox_entry',
  discardOutboxEntry: 'discard_outbox_entry',
  getSettings: 'get_settings',
  saveSettings: 'save_settings',
  testConnection: 'test_connection',
  deskSummary: 'desk_summary',
  saveBridgeSettings: 'save_bridge_settings',
  listAlerts: 'list_alerts',
  acknowledgeAlert: 'acknowledge_alert',
  alertFeedStatus: 'alert_feed_status',
  watchAlerts: 'watch_alerts',
  // Settings → This computer (managers).
  getWindowOptions: 'get_window_options',
  setKioskMode: 'set_kiosk_mode',
  setStartAtLogin: 'set_start_at_login',
  quitApp: 'quit_app',
  // Signed updates: Settings (managers) and the console's banner.
  updateStatus: 'update_status',
  saveUpdateSettings: 'save_update_settings',
  checkForUpdate: 'check_for_update',
  installUpdate: 'install_update',
  setFormOpen: 'set_form_open',
  lockStatus: 'lock_status',
  watchLock: 'watch_lock',
  pinHolders: 'pin_holders',
  unlock: 'unlock',
  stillHere: 'still_here',
  lockDesk: 'lock_desk',
  setFirstManagerPin: 'set_first_manager_pin',
  listPins: 'list_pins',
  setStaffPin: 'set_staff_pin',
  setStaffRole: 'set_staff_role',
  removeStaffPin: 'remove_staff_pin',
  setIdleLock: 'set_idle_lock',
  // Reception: the kiosk's (nothing private), then the console's.
  kioskReception: 'kiosk_reception',
  findReturningVisitors: 'find_returning_visitors',
  confirmReturningVisitor: 'confirm_returning_visitor',
  kioskFindResidents: 'kiosk_find_residents',
  kioskFindStaff: 'kiosk_find_staff',
  signInVisitor: 'sign_in_visitor',
  visitorSignInStatus: 'visitor_sign_in_status',
  kioskOnSite: 'kiosk_on_site',
  signOutVisitor: 'sign_out_visitor',
  signOutWithCode: 'sign_out_with_code',
  kioskStaffSignIn: 'kiosk_staff_sign_in',
  kioskStaffSignOut: 'kiosk_staff_sign_out',
  visitorsOnSite: 'visitors_on_site',
  staffSignOutVisitor: 'staff_sign_out_visitor',
  pendingVisitorApprovals: 'pending_visitor_approvals',
  approveVisitor: 'approve_visitor',
  declineVisitor: 'decline_visitor',
  visitorHistory: 'visitor_history',
  exportVisitorHistory: 'export_visitor_history',
  automaticSignOuts: 'automatic_sign_outs',
  reviewAutomaticSignOuts: 'review_automatic_sign_outs',
  staffOnSite: 'staff_on_site',
  staffSignOutStaff: 'staff_sign_out_staff',
  receptionFindResidents: 'reception_find_residents',
  residentsOut: 'residents_out',
  residentGoesOut: 'resident_goes_out',
  residentComesBack: 'resident_comes_back',
  startRollCall: 'start_roll_call',
  currentRollCall: 'current_roll_call',
  getRollCall: 'get_roll_call',
  tickRollCall: 'tick_roll_call',
  endRollCall: 'end_roll_call',
  saveRollCallPdf: 'save_roll_call_pdf',
  getResidentReception: 'get_resident_reception',
  setResidentReception: 'set_resident_reception',
  getReceptionSettings: 'get_reception_settings',
  saveReceptionSettings: 'save_reception_settings',
  purgeReceptionRecords: 'purge_reception_records',
  // Incidents and falls (shift leads; managers mark duties sent and set the protocol).
  incidentFormOptions: 'incident_form_options',
  assessIncident: 'assess_incident',
  saveIncident: 'save_incident',
  getIncident: 'get_incident',
  listIncidents: 'list_incidents',
  residentIncidents: 'resident_incidents',
  saveIncidentDraft: 'save_incident_draft',
  listIncidentDrafts: 'list_incident_drafts',
  discardIncidentDraft: 'discard_incident_draft',
  setIncidentStatus: 'set_incident_status',
  decideIncidentDuty: 'decide_incident_duty',
  markDutySent: 'mark_duty_sent',
  recordObservation: 'record_observation',
  missObservation: 'miss_observation',
  dueObservations: 'due_observations',
  getObservationProtocol: 'get_observation_protocol',
  saveObservationProtocol: 'save_observation_protocol',
  fallsRegister: 'falls_register',
  exportFallsRegister: 'export_falls_register',
  // The training matrix (managers; mayLeadList also shift leads).
  trainingMatrix: 'training_matrix',
  trainingRules: 'training_rules',
  saveTrainingRules: 'save_training_rules',
  staffTraining: 'staff_training',
  mayLeadList: 'may_lead_list',
  recordCertification: 'record_certification',
  trainingNotices: 'training_notices',
  saveTrainingMatrixCsv: 'save_training_matrix_csv',
  saveTrainingMatrixPdf: 'save_training_matrix_pdf',
  // Demo only: the app has these only in a build with the `demo` feature.
  setDemoSandbox: 'set_demo_sandbox',
  demoServerVisit: 'demo_server_visit',
  triggerDemoAlert: 'trigger_demo_alert',
  setDemoBridge: 'set_demo_bridge',
  resetDemoData: 'reset_demo_data',
  advanceDemoClock: 'advance_demo_clock',
} as const;

export function isCommandError(value: unknown): value is CommandError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>).code === 'string' &&
    typeof (value as Record<string, unknown>).message === 'string'
  );
}

/**
 * Turns whatever a rejected invoke gave us into a CommandError. Our commands reject with
 * `{ code, message }`; Tauri itself rejects with a plain string (e.g. an unknown command),
 * and outside the desktop app there is no IPC at all: those become code `internal`.
 */
export function toCommandError(error: unknown): CommandError {
  if (isCommandError(error)) {
    const result: CommandError = { code: error.code as Code, message: error.message };
    const fields = stringFields((error as { fields?: unknown }).fields);
    if (fields) result.fields = fields;
    return result;
  }
  if (!hasIpc()) {
    return {
      code: 'internal',
      message: 'Loopdesk was opened outside the desktop app, so it cannot reach its data.',
    };
  }
  if (typeof error === 'string') return { code: 'internal', message: error };
  if (error instanceof Error) return { code: 'internal', message: error.message };
  return { code: 'internal', message: 'An unexpected error happened.' };
}

/** The per-field messages of an `invalid_input` error, if there are any. */
function stringFields(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const entries = Object.entries(value).filter(
    (entry): entry is [string, string] => typeof entry[1] === 'string',
  );
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function hasIpc(): boolean {
  if (typeof window === 'undefined') return false;
  const internals = (window as { __TAURI_INTERNALS__?: { invoke?: unknown } }).__TAURI_INTERNALS__;
  return typeof internals?.invoke === 'function';
}

/**
 * Told of every `locked` or `forbidden` answer, from any command: the staff lock (the shell's
 * lock store) reads the lock again and returns to the PIN pad when the desk locked.
 */
let onRefused: ((error: CommandError) => void) | null = null;

/** Sets the one listener for `locked` / `forbidden` answers; returns how to remove it. */
export function onAccessRefused(listener: (error: CommandError) => void): () => void {
  onRefused = listener;
  return () => {
    if (onRefused === listener) onRefused = null;
  };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    const failure = toCommandError(error);
    if (failure.code === 'locked' || failure.code === 'forbidden') onRefused?.(failure);
    throw failure;
  }
}

/** Whether the local data file opened, and if not, why. Called once at start. */
export function startupState(): Promise<StartupState> {
  return call<StartupState>(commands.startupState);
}

/** App version, local schema version and where the data lives. */
export function appInfo(): Promise<AppInfo> {
  return call<AppInfo>(commands.appInfo);
}

/**
 * After a corrupt data file was moved aside: create a new empty data file.
 * Only called after the user confirmed.
 */
export function createFreshDatabase(): Promise<StartupState> {
  return call<StartupState>(commands.createFreshDatabase);
}

/**
 * After the data file's key could not be used (the keyring was locked, say): open the data
 * file again, as at start. Returns how that went.
 */
export function retryStartup(): Promise<StartupState> {
  return call<StartupState>(commands.retryStartup);
}

// ---- residents and care notes ------------------------------------------------------------

export type ResidentSearch = {
  text?: string;
  locationId?: string;
  status?: ResidentStatus;
  limit?: number;
};

/** Residents by name, preferred name or room (contacts are left empty). */
export function searchResidents(search: ResidentSearch): Promise<Resident[]> {
  return call<Resident[]>(commands.searchResidents, compact(search));
}

/** A resident's page: details, contacts, keyworker and care notes (newest first). */
export function getResident(id: string): Promise<ResidentDetail> {
  return call<ResidentDetail>(commands.getResident, { id });
}

/** Works offline: the note is stored here and waits to sync (`pending`). */
export function addCareNote(residentId: string, category: string, body: string): Promise<CareNoteView> {
  return call<CareNoteView>(commands.addCareNote, { residentId, category, body });
}

// ---- locations and staff -------------------------------------------------------------------

export function listLocations(): Promise<Location[]> {
  return call<Location[]>(commands.listLocations);
}

export function listStaff(locationId?: string | null): Promise<Staff[]> {
  return call<Staff[]>(commands.listStaff, compact({ locationId: locationId ?? undefined }));
}

// ---- visits --------------------------------------------------------------------------------

/** Visits starting in [from, to) (RFC 3339), at one home or all. */
export function listVisits(from: string, to: string, locationId?: string | null): Promise<VisitView[]> {
  return call<VisitView[]>(commands.listVisits, compact({ from, to, locationId: locationId ?? undefined }));
}

export function confirmVisit(id: string): Promise<VisitView> {
  return call<VisitView>(commands.confirmVisit, { id });
}

export function completeVisit(id: string): Promise<VisitView> {
  return call<VisitView>(commands.completeVisit, { id });
}

export function cancelVisit(id: string, reason: string): Promise<VisitView> {
  return call<VisitView>(commands.cancelVisit, { id, reason });
}

export type NewVisit = {
  locationId: string;
  staffUserId: string;
  residentId?: string;
  visitType: string;
  /** RFC 3339 */
  startsAt: string;
  /** RFC 3339 */
  endsAt: string;
  notes?: string;
  /** The person confirmed a start in the past: the visit happened and is being recorded. */
  confirmPast?: boolean;
};

/**
 * Validated here first (errors per field: location_id, staff_user_id, starts_at, ...; a visit
 * lasts at most 24 hours and starts at most a year ahead). A start in the past is refused with
 * `needs_confirmation` (its message is the question to ask) until it is sent again with
 * `confirmPast: true`.
 */
export function scheduleVisit(visit: NewVisit): Promise<VisitView> {
  // Required fields always go (empty ones come back as field errors); optional ones only
  // when given.
  return call<VisitView>(commands.scheduleVisit, {
    ...compact({
      residentId: visit.residentId,
      notes: visit.notes?.trim(),
      confirmPast: visit.confirmPast === true ? true : undefined,
    }),
    locationId: visit.locationId,
    staffUserId: visit.staffUserId,
    visitType: visit.visitType,
    startsAt: visit.startsAt,
    endsAt: visit.endsAt,
  });
}

// ---- sync ----------------------------------------------------------------------------------

export function syncStatus(): Promise<SyncStatus> {
  return call<SyncStatus>(commands.syncStatus);
}

/** Streams the sync status and pull progress to `onEvent` for the life of the window. */
export function watchSync(onEvent: (event: SyncEvent) => void): Promise<void> {
  const channel = new Channel<SyncEvent>(onEvent);
  return call<void>(commands.watchSync, { onEvent: channel });
}

/** Push then pull; resolves when the cycle is done (or rejects with why it failed). */
export function syncNow(): Promise<void> {
  return call<void>(commands.syncNow);
}

/** Writes CareLoop refused (422), oldest first, with the server's field errors. */
export function outboxAttention(): Promise<AttentionEntry[]> {
  return call<AttentionEntry[]>(commands.outboxAttention);
}

/** Sends a corrected write back into the queue at its place. */
export function resubmitOutboxEntry(seq: number, payload: Record<string, unknown>): Promise<void> {
  return call<void>(commands.resubmitOutboxEntry, { seq, payload });
}

/**
 * Gives up a refused change that cannot be fixed (recorded in the desk's audit log). Only after
 * the person confirmed.
 */
export function discardOutboxEntry(seq: number): Promise<void> {
  return call<void>(commands.discardOutboxEntry, { seq });
}

// ---- settings ------------------------------------------------------------------------------

export function getSettings(): Promise<SettingsView> {
  return call<SettingsView>(commands.getSettings);
}

export type ApiSettings = { apiBaseUrl: string; locationId?: string | null; apiKey?: string };

/** The key goes only to the OS keyring; an empty key means "keep the saved one". */
export function saveSettings(settings: ApiSettings): Promise<SettingsView> {
  return call<SettingsView>(
    commands.saveSettings,
    {
      ...compact({ locationId: settings.locationId, apiKey: settings.apiKey }),
      apiBaseUrl: settings.apiBaseUrl,
    },
  );
}

export function testConnection(): Promise<ConnectionTest> {
  return call<ConnectionTest>(commands.testConnection);
}

/** "This desk": what needs attention now, counted from the local data. */
export function deskSummary(): Promise<DeskSummary> {
  return call<DeskSummary>(commands.deskSummary);
}

/** The token goes only to the OS keyring; an empty token means "keep the saved one". */
export function saveBridgeSettings(bridgeUrl: string, deviceToken?: string): Promise<SettingsView> {
  return call<SettingsView>(
    commands.saveBridgeSettings,
    { ...compact({ deviceToken }), bridgeUrl },
  );
}

// ---- alerts --------------------------------------------------------------------------------

export function listAlerts(): Promise<AlertsView> {
  return call<AlertsView>(commands.listAlerts);
}

/**
 * `by` is the name of the staff member acknowledging, typed only while the desk is being set up;
 * once someone has unlocked it, Rust records the unlocked staff member whatever `by` says.
 */
export function acknowledgeAlert(id: number, by: string): Promise<Alert> {
  return call<Alert>(commands.acknowledgeAlert, { id, by });
}

export function alertFeedStatus(): Promise<AlertFeedStatus> {
  return call<AlertFeedStatus>(commands.alertFeedStatus);
}

/** Streams raised / acknowledged alerts and feed changes to `onEvent`. */
export function watchAlerts(onEvent: (event: AlertEvent) => void): Promise<void> {
  const channel = new Channel<AlertEvent>(onEvent);
  return call<void>(commands.watchAlerts, { onEvent: channel });
}

// ---- this computer (managers) --------------------------------------------------------------

/** Kiosk mode and whether Loopdesk starts when this computer starts. */
export function getWindowOptions(): Promise<WindowOptions> {
  return call<WindowOptions>(commands.getWindowOptions);
}

/** Kiosk mode: full screen without a title bar, closed only by a manager. Applied at once. */
export function setKioskMode(enabled: boolean): Promise<WindowOptions> {
  return call<WindowOptions>(commands.setKioskMode, { enabled });
}

/** Adds or removes the computer's own entry that starts Loopdesk when it starts. */
export function setStartAtLogin(enabled: boolean): Promise<WindowOptions> {
  return call<WindowOptions>(commands.setStartAtLogin, { enabled });
}

/** Closes Loopdesk (a manager; also in kiosk mode). */
export function quitApp(): Promise<void> {
  return call<void>(commands.quitApp);
}

// ---- signed updates ------------------------------------------------------------------------

/** The update address, the quiet time and what the last check found. */
export function updateStatus(): Promise<UpdateStatus> {
  return call<UpdateStatus>(commands.updateStatus);
}

/** Saves the update address (empty: no checks) and the kiosk's quiet time (managers). */
export function saveUpdateSettings(settings: SaveUpdateSettings): Promise<UpdateStatus> {
  return call<UpdateStatus>(commands.saveUpdateSettings, { settings });
}

/** Asks the update address now (managers). */
export function checkForUpdate(): Promise<UpdateStatus> {
  return call<UpdateStatus>(commands.checkForUpdate);
}

/** Installs the verified update; Loopdesk then restarts. */
export function installUpdate(): Promise<UpdateStatus> {
  return call<UpdateStatus>(commands.installUpdate);
}

/** Tells the desk whether a form or a visitor's sign-in is open (nothing installs meanwhile). */
export function setFormOpen(open: boolean): Promise<void> {
  return call<void>(commands.setFormOpen, { open });
}

// ---- the staff lock ------------------------------------------------------------------------
// Rust decides (every command checks the lock itself); these show and change it. A PIN is
// passed straight on and never kept by the UI once the command has answered.

/** Who is signed in (if anyone), whether the desk is being set up, a pause, the idle minutes. */
export function lockStatus(): Promise<LockStatus> {
  return call<LockStatus>(commands.lockStatus);
}

/** Streams the lock's changes (unlocked, locked, locked when idle, with why) to `onEvent`. */
export function watchLock(onEvent: (event: LockEvent) => void): Promise<void> {
  const channel = new Channel<LockEvent>(onEvent);
  return call<void>(commands.watchLock, { onEvent: channel });
}

/** The names (and roles) of the staff who can unlock this desk: the PIN pad's list. */
export function pinHolders(): Promise<PinHolder[]> {
  return call<PinHolder[]>(commands.pinHolders);
}

/**
 * Unlocks the console. A wrong PIN rejects with `invalid_input` (`fields.pin` says how many tries
 * are left), the fifth in a row with `paused`; neither says whether the name or the PIN was wrong.
 */
export function unlock(staffId: string, pin: string): Promise<LockStatus> {
  return call<LockStatus>(commands.unlock, { staffId, pin });
}

/** The person is still using the console: the idle time starts again. */
export function stillHere(): Promise<LockStatus> {
  return call<LockStatus>(commands.stillHere);
}

/** Locks the console back to the kiosk. */
export function lockDesk(): Promise<LockStatus> {
  return call<LockStatus>(commands.lockDesk);
}

/** Only while the desk is being set up: the first manager's PIN (they are then signed in). */
export function setFirstManagerPin(staffId: string, pin: string): Promise<LockStatus> {
  return call<LockStatus>(commands.setFirstManagerPin, { staffId, pin });
}

/** Managers: every PIN holder and their role. */
export function listPins(): Promise<PinHolder[]> {
  return call<PinHolder[]>(commands.listPins);
}

/** Managers: adds or resets a staff member's PIN, with their role (errors per field: staff_id, pin, role). */
export function setStaffPin(staffId: string, pin: string, role: DeskRole): Promise<PinHolder> {
  return call<PinHolder>(commands.setStaffPin, { staffId, pin, role });
}

/** Managers: changes a PIN holder's role (never leaves the desk without a manager: `fields.role`). */
export function setStaffRole(staffId: string, role: DeskRole): Promise<PinHolder> {
  return call<PinHolder>(commands.setStaffRole, { staffId, role });
}

/** Managers: removes a PIN (the last manager's is refused: `fields.staff_id`). After confirmation only. */
export function removeStaffPin(staffId: string): Promise<void> {
  return call<void>(commands.removeStaffPin, { staffId });
}

/** Managers: the minutes without use after which the console locks itself (1 to 60: `fields.minutes`). */
export function setIdleLock(minutes: number): Promise<LockStatus> {
  return call<LockStatus>(commands.setIdleLock, { minutes });
}

// ---- reception: the kiosk -----------------------------------------------------------------
// The locked kiosk may call these: they answer with first names and surname initials and opaque
// ids only. A visitor's mistakes come back as `invalid_input` with `fields` (first_name, surname,
// phone, visiting_kind, visiting_id, relationship, company, purpose, car_registration,
// screening_answers, accepted_policy_version, returning; code; phone_digits).

/** The home's name, the screening questions asked now (none when off), the visitor policy. */
export function kioskReception(): Promise<KioskReception> {
  return call<KioskReception>(commands.kioskReception);
}

/** Returning visitors whose name starts with `text` (three letters or more; fewer finds none). */
export function findReturningVisitors(text: string): Promise<ReturningMatch[]> {
  return call<ReturningMatch[]>(commands.findReturningVisitors, { text });
}

/** A returning visitor confirms with the last three digits of their phone (`fields.phone_digits`). */
export function confirmReturningVisitor(visitorId: string, lastDigits: string): Promise<ReturningVisitor> {
  return call<ReturningVisitor>(commands.confirmReturningVisitor, { visitorId, lastDigits });
}

/** Residents of this home by part of their name (three letters or more): "Maggie W." and an id. */
export function kioskFindResidents(text: string): Promise<KioskPerson[]> {
  return call<KioskPerson[]>(commands.kioskFindResidents, { text });
}

/** Staff of this home by part of their name (three letters or more). */
export function kioskFindStaff(text: string): Promise<KioskPerson[]> {
  return call<KioskPerson[]>(commands.kioskFindStaff, { text });
}

/** Saved here at once (the network is never waited for); see `SignInOutcome` for what follows. */
export function signInVisitor(form: VisitorSignInForm): Promise<SignInOutcome> {
  return call<SignInOutcome>(commands.signInVisitor, { form });
}

/** A sign-in waiting for a staff member's approval: still waiting, signed in or declined. */
export function visitorSignInStatus(signInId: string): Promise<SignInOutcome> {
  return call<SignInOutcome>(commands.visitorSignInStatus, { signInId });
}

/** Who is signed in now, to tap to sign out ("Jane D.", since "10:05"). */
export function kioskOnSite(): Promise<PublicVisitor[]> {
  return call<PublicVisitor[]>(commands.kioskOnSite);
}

/** A visitor tapped their own name. */
export function signOutVisitor(signInId: string): Promise<SignedOut> {
  return call<SignedOut>(commands.signOutVisitor, { signInId });
}

/** A visitor typed their sign-out code (`fields.code` when it matches nobody). */
export function signOutWithCode(code: string): Promise<SignedOut> {
  return call<SignedOut>(commands.signOutWithCode, { code });
}

/** A staff member signs in for their shift with their PIN (it does not unlock the console). */
export function kioskStaffSignIn(staffId: string, pin: string): Promise<StaffMovement> {
  return call<StaffMovement>(commands.kioskStaffSignIn, { staffId, pin });
}

/** A staff member signs out with their PIN. */
export function kioskStaffSignOut(staffId: string, pin: string): Promise<StaffMovement> {
  return call<StaffMovement>(commands.kioskStaffSignOut, { staffId, pin });
}

// ---- reception: the console (receptionists and up) ----------------------------------------

/** Visitors in the building now, with their time in it. */
export function visitorsOnSite(): Promise<VisitorRecord[]> {
  return call<VisitorRecord[]>(commands.visitorsOnSite);
}

/** A receptionist signs a visitor out. */
export function staffSignOutVisitor(signInId: string): Promise<VisitorRecord> {
  return call<VisitorRecord>(commands.staffSignOutVisitor, { signInId });
}

/** Visitors waiting at the kiosk for a staff member's approval. */
export function pendingVisitorApprovals(): Promise<VisitorRecord[]> {
  return call<VisitorRecord[]>(commands.pendingVisitorApprovals);
}

export function approveVisitor(signInId: string): Promise<VisitorRecord> {
  return call<VisitorRecord>(commands.approveVisitor, { signInId });
}

export function declineVisitor(signInId: string): Promise<VisitorRecord> {
  return call<VisitorRecord>(commands.declineVisitor, { signInId });
}

/** Past and present visits, newest first (`fields.from` / `fields.to` for a bad date). */
export function visitorHistory(query: HistoryQuery): Promise<VisitorRecord[]> {
  return call<VisitorRecord[]>(commands.visitorHistory, { query: compact(query) });
}

/** The same list as a CSV file written by the desk into the Downloads folder. */
export function exportVisitorHistory(query: HistoryQuery): Promise<SavedFile> {
  return call<SavedFile>(commands.exportVisitorHistory, { query: compact(query) });
}

/** Visitors signed out automatically that no one has looked at yet. */
export function automaticSignOuts(): Promise<VisitorRecord[]> {
  return call<VisitorRecord[]>(commands.automaticSignOuts);
}

/** Marks those as seen; resolves to how many. */
export function reviewAutomaticSignOuts(): Promise<number> {
  return call<number>(commands.reviewAutomaticSignOuts);
}

/** Staff signed in with their PIN at the kiosk. */
export function staffOnSite(): Promise<StaffOnSiteView[]> {
  return call<StaffOnSiteView[]>(commands.staffOnSite);
}

/** A receptionist signs a staff member out (they forgot). */
export function staffSignOutStaff(staffId: string): Promise<void> {
  return call<void>(commands.staffSignOutStaff, { staffId });
}

/** Residents of this home by name or room, with whether they are out. */
export function receptionFindResidents(text: string): Promise<ResidentChoice[]> {
  return call<ResidentChoice[]>(commands.receptionFindResidents, { text });
}

export function residentsOut(): Promise<OutingView[]> {
  return call<OutingView[]>(commands.residentsOut);
}

/** A resident goes out (`fields.with_whom` when empty or too long). */
export function residentGoesOut(residentId: string, withWhom: string): Promise<OutingView> {
  return call<OutingView>(commands.residentGoesOut, { residentId, withWhom });
}

export function residentComesBack(residentId: string): Promise<void> {
  return call<void>(commands.residentComesBack, { residentId });
}

// ---- the fire roll call (receptionists and up) --------------------------------------------

/** Everyone in the building now, from this desk's data alone (works offline). */
export function startRollCall(): Promise<RollCallView> {
  return call<RollCallView>(commands.startRollCall);
}

/** The roll call still open, if any. */
export function currentRollCall(): Promise<RollCallView | null> {
  return call<RollCallView | null>(commands.currentRollCall);
}

export function getRollCall(id: string): Promise<RollCallView> {
  return call<RollCallView>(commands.getRollCall, { id });
}

/** A marshal accounts for a person (or takes it back); the counts come back with it. */
export function tickRollCall(rollCallId: string, personKey: string, accounted: boolean): Promise<RollCallView> {
  return call<RollCallView>(commands.tickRollCall, { rollCallId, personKey, accounted });
}

export function endRollCall(rollCallId: string): Promise<RollCallView> {
  return call<RollCallView>(commands.endRollCall, { rollCallId });
}

/** The roll call as an A4 PDF, made on the desk and written into the Downloads folder. */
export function saveRollCallPdf(rollCallId: string): Promise<SavedFile> {
  return call<SavedFile>(commands.saveRollCallPdf, { rollCallId });
}

// ---- reception: shift leads and managers ----------------------------------------------------

/** Shift leads: whether a resident's visits need approval, and their evacuation notes. */
export function getResidentReception(residentId: string): Promise<ResidentReception> {
  return call<ResidentReception>(commands.getResidentReception, { residentId });
}

export function setResidentReception(
  residentId: string,
  visitsNeedApproval: boolean,
  evacuationNotes: string | null,
): Promise<ResidentReception> {
  return call<ResidentReception>(commands.setResidentReception, {
    residentId,
    visitsNeedApproval,
    evacuationNotes: evacuationNotes?.trim() ? evacuationNotes.trim() : null,
  });
}

/** Managers: outbreak mode, screening, the visitor policy, the automatic sign-out, retention. */
export function getReceptionSettings(): Promise<ReceptionSettings> {
  return call<ReceptionSettings>(commands.getReceptionSettings);
}

export function saveReceptionSettings(settings: ReceptionSettings): Promise<ReceptionSettings> {
  return call<ReceptionSettings>(commands.saveReceptionSettings, { settings });
}

/** Managers: deletes what is past its retention now (counts only come back). */
export function purgeReceptionRecords(): Promise<Purged> {
  return call<Purged>(commands.purgeReceptionRecords);
}

// ---- incidents and falls --------------------------------------------------------------------
// Rust: crates/core/src/desk/incidents.rs. Field errors use IncidentForm's field names (and
// `fall_how`, `home`, `decisions`); a refused save changes nothing, so keep a draft.

/** The form's lists: types, severities, who was told, body-map regions, the duties. */
export function incidentFormOptions(): Promise<IncidentOptions> {
  return call<IncidentOptions>(commands.incidentFormOptions);
}

/** What the form says while it is filled in: duties, the 999 advice, observations. Saves nothing. */
export function assessIncident(form: IncidentForm): Promise<IncidentAssessment> {
  return call<IncidentAssessment>(commands.assessIncident, { form });
}

/** Saves a new incident, or (with `incidentId`) corrects one not yet on CareLoop. */
export function saveIncident(
  form: IncidentForm,
  incidentId: string | null = null,
  draftId: string | null = null,
): Promise<IncidentView> {
  return call<IncidentView>(commands.saveIncident, { form, incidentId, draftId });
}

export function getIncident(id: string): Promise<IncidentView> {
  return call<IncidentView>(commands.getIncident, { id });
}

export function listIncidents(filter: IncidentFilter): Promise<IncidentSummary[]> {
  return call<IncidentSummary[]>(commands.listIncidents, { filter });
}

/** The resident's incidents of the last 90 days (beside the form). */
export function residentIncidents(residentId: string): Promise<IncidentSummary[]> {
  return call<IncidentSummary[]>(commands.residentIncidents, { residentId });
}

export function saveIncidentDraft(
  form: IncidentForm,
  draftId: string | null = null,
  incidentId: string | null = null,
): Promise<IncidentDraft> {
  return call<IncidentDraft>(commands.saveIncidentDraft, { draftId, incidentId, form });
}

export function listIncidentDrafts(): Promise<IncidentDraft[]> {
  return call<IncidentDraft[]>(commands.listIncidentDrafts);
}

export function discardIncidentDraft(draftId: string): Promise<boolean> {
  return call<boolean>(commands.discardIncidentDraft, { draftId });
}

export function setIncidentStatus(incidentId: string, status: string): Promise<IncidentView> {
  return call<IncidentView>(commands.setIncidentStatus, { incidentId, status });
}

export function decideIncidentDuty(dutyId: string, decision: string, note: string | null = null): Promise<IncidentView> {
  return call<IncidentView>(commands.decideIncidentDuty, { dutyId, decision, note });
}

/** Managers: a duty sent, with its reference. */
export function markDutySent(dutyId: string, reference: string): Promise<IncidentView> {
  return call<IncidentView>(commands.markDutySent, { dutyId, reference });
}

export function recordObservation(observationId: string, reading: ObservationReading): Promise<IncidentView> {
  return call<IncidentView>(commands.recordObservation, { observationId, reading });
}

export function missObservation(observationId: string, reason: string): Promise<IncidentView> {
  return call<IncidentView>(commands.missObservation, { observationId, reason });
}

/** Observations due or overdue and not yet recorded or missed. */
export function dueObservations(): Promise<DueObservation[]> {
  return call<DueObservation[]>(commands.dueObservations);
}

export function getObservationProtocol(): Promise<ObservationProtocol> {
  return call<ObservationProtocol>(commands.getObservationProtocol);
}

/** Managers: the post-fall observation protocol new schedules follow. */
export function saveObservationProtocol(protocol: ObservationProtocol): Promise<ObservationProtocol> {
  return call<ObservationProtocol>(commands.saveObservationProtocol, { protocol });
}

export function fallsRegister(): Promise<FallsRegister> {
  return call<FallsRegister>(commands.fallsRegister);
}

/** Writes the falls register as CSV into Downloads; where it went. */
export function exportFallsRegister(): Promise<SavedFile> {
  return call<SavedFile>(commands.exportFallsRegister);
}

// ---- the training matrix (managers; may-lead also shift leads) -----------------------------

/** Managers: the training matrix as filtered, counted on the home's date. */
export function trainingMatrix(filter: MatrixFilter): Promise<TrainingMatrix> {
  return call<TrainingMatrix>(commands.trainingMatrix, { filter });
}

/** Managers: which courses each role must hold, and each course's renewal period. */
export function trainingRules(): Promise<TrainingRules> {
  return call<TrainingRules>(commands.trainingRules);
}

/** Managers: saves the rules (refused per field: a period of zero, an unknown course). */
export function saveTrainingRules(rules: SaveTrainingRules): Promise<TrainingRules> {
  return call<TrainingRules>(commands.saveTrainingRules, { rules });
}

/** Managers: a staff member's training page. */
export function staffTraining(staffId: string): Promise<StaffTraining> {
  return call<StaffTraining>(commands.staffTraining, { staffId });
}

/** Shift leads and managers: whether each shift lead may lead the next shift. */
export function mayLeadList(locationId?: string | null): Promise<MayLead[]> {
  return call<MayLead[]>(commands.mayLeadList, { locationId: locationId ?? null });
}

/** Managers: records a renewal or a new certification (saved here, pending until synced). */
export function recordCertification(form: RecordCertification): Promise<RecordedCertification> {
  return call<RecordedCertification>(commands.recordCertification, { form });
}

/** Managers: certifications entering the 30-day window or expired (CareLoop's and the desk's). */
export function trainingNotices(): Promise<TrainingNotice[]> {
  return call<TrainingNotice[]>(commands.trainingNotices);
}

/** Managers: the matrix as filtered, to CSV in Downloads. */
export function saveTrainingMatrixCsv(filter: MatrixFilter): Promise<SavedFile> {
  return call<SavedFile>(commands.saveTrainingMatrixCsv, { filter });
}

/** Managers: the matrix as filtered, to an A4 landscape PDF in Downloads. */
export function saveTrainingMatrixPdf(filter: MatrixFilter): Promise<SavedFile> {
  return call<SavedFile>(commands.saveTrainingMatrixPdf, { filter });
}

// ---- demo only ---------------------------------------------------------------------------
// A build with the `demo` feature on the demo backend (LOOPDESK_DEMO=1); elsewhere these reject
// with `invalid_input`. Only demo UI code (a `Demo*` file or a `demo/` folder) calls them.

export type DemoAlertKind = 'incident.critical' | 'visit.no_show';

/** The demo CareLoop sends a webhook that raises an alert. */
export function triggerDemoAlert(kind: DemoAlertKind): Promise<void> {
  return call<void>(commands.triggerDemoAlert, { kind });
}

/**
 * Stops (`running: false`: requests are refused, as with no network) or restarts the demo
 * CareLoop. No screen has it; the window tests call it.
 */
export function setDemoSandbox(running: boolean): Promise<void> {
  return call<void>(commands.setDemoSandbox, { running });
}

/** A visit as the demo CareLoop has it. No screen has it; the window tests call it. */
export function demoServerVisit(id: string): Promise<ServerVisit> {
  return call<ServerVisit>(commands.demoServerVisit, { id });
}

/** Stops or restarts the demo bridge. No screen has it; the window tests call it. */
export function setDemoBridge(running: boolean): Promise<void> {
  return call<void>(commands.setDemoBridge, { running });
}

/**
 * "Reset demo data": the demo starts afresh, as on its first day. Deletes what the demo CareLoop
 * holds and this desk's data file (on the demo it holds only the demo's); refused, changing
 * nothing, when a real CareLoop or bridge is set up. The window reloads afterwards: what it
 * watched belonged to the desk that is gone.
 */
export function resetDemoData(): Promise<void> {
  return call<void>(commands.resetDemoData);
}

/**
 * Moves the desk's clock `minutes` forward (1 to 1,440; never back): the idle lock comes without
 * waiting. No screen has it; the window tests call it.
 */
export function advanceDemoClock(minutes: number): Promise<void> {
  return call<void>(commands.advanceDemoClock, { minutes });
}

/** Leaves out arguments that are not given, so Rust sees `None` rather than an empty value. */
function compact<T extends Record<string, unknown>>(args: T): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(args).filter(([, value]) => value !== undefined && value !== null && value !== ''),
  );
}
