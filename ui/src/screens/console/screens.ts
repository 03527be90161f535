// The Staff console's screens, in navigation order. Adding a screen is one line here.
import type { Component } from 'svelte';
import type { DeskRole } from '../../bindings/DeskRole';
import FirstManagerPin from '../lock/FirstManagerPin.svelte';
import StaffPins from '../lock/StaffPins.svelte';
import AlertsCentre from './AlertsCentre.svelte';
import FireRollCall from './FireRollCall.svelte';
import FallsRegister from './incidents/FallsRegister.svelte';
import Incidents from './incidents/Incidents.svelte';
import ObservationProtocol from './incidents/ObservationProtocol.svelte';
import NeedsAttention from './NeedsAttention.svelte';
import Overview from './Overview.svelte';
import ReceptionDesk from './ReceptionDesk.svelte';
import ReceptionSettings from './ReceptionSettings.svelte';
import Residents from './Residents.svelte';
import Settings from './Settings.svelte';
import StaffDirectory from './StaffDirectory.svelte';
import MayLeadList from './MayLeadList.svelte';
import TrainingMatrix from './TrainingMatrix.svelte';
import TrainingRules from './TrainingRules.svelte';
import Visits from './Visits.svelte';

export type ConsoleScreen = {
  /** Stable id, also used for `data-testid="console-nav-<id>"`. */
  id: string;
  /** The words in the left navigation and the page heading. */
  label: string;
  component: Component;
  /**
   * The least role that may open it: the role its commands need (`#[access(…)]` in
   * src-tauri/src/lib.rs). Rust refuses the commands anyway; this keeps the screen out of sight.
   */
  role: DeskRole;
  /** A page inside another screen (not in the navigation, which marks that screen instead). */
  parent?: string;
};

export const consoleScreens: readonly ConsoleScreen[] = [
  { id: 'overview', label: 'This desk', component: Overview, role: 'receptionist' },
  { id: 'reception', label: 'Reception desk', component: ReceptionDesk, role: 'receptionist' },
  { id: 'roll-call', label: 'Fire roll call', component: FireRollCall, role: 'receptionist' },
  { id: 'residents', label: 'Residents', component: Residents, role: 'shift_lead' },
  { id: 'incidents', label: 'Incidents', component: Incidents, role: 'shift_lead' },
  { id: 'falls', label: 'Falls register', component: FallsRegister, role: 'shift_lead' },
  { id: 'visits', label: 'Visits', component: Visits, role: 'shift_lead' },
  { id: 'staff', label: 'Staff', component: StaffDirectory, role: 'shift_lead' },
  { id: 'training', label: 'Training matrix', component: TrainingMatrix, role: 'manager' },
  { id: 'training-rules', label: 'Training rules', component: TrainingRules, role: 'manager', parent: 'training' },
  { id: 'may-lead', label: 'Who may lead', component: MayLeadList, role: 'shift_lead' },
  { id: 'alerts', label: 'Alerts', component: AlertsCentre, role: 'receptionist' },
  { id: 'attention', label: 'Needs attention', component: NeedsAttention, role: 'manager' },
  { id: 'reception-settings', label: 'Reception settings', component: ReceptionSettings, role: 'manager' },
  { id: 'settings', label: 'Settings', component: Settings, role: 'manager' },
  { id: 'observation-protocol', label: 'Post-fall observations', component: ObservationProtocol, role: 'manager', parent: 'settings' },
  { id: 'pins', label: 'Staff PINs', component: StaffPins, role: 'manager', parent: 'settings' },
  { id: 'manager-pin', label: 'Set a manager PIN', component: FirstManagerPin, role: 'receptionist', parent: 'settings' },
];

/** The screens in the navigation. */
export const navScreens: readonly ConsoleScreen[] = consoleScreens.filter((screen) => !screen.parent);

export const defaultConsoleScreen = 'overview';
