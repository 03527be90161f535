// The Staff console's screens, in navigation order. Adding a screen is one line here.
import type { Component } from 'svelte';
import AlertsCentre from './AlertsCentre.svelte';
import NeedsAttention from './NeedsAttention.svelte';
import Overview from './Overview.svelte';
import FireRollCall from './FireRollCall.svelte';
import ReceptionDesk from './ReceptionDesk.svelte';
import ReceptionSettings from './ReceptionSettings.svelte';
import Residents from './Residents.svelte';
import Settings from './Settings.svelte';
import StaffDirectory from './StaffDirectory.svelte';
import Visits from './Visits.svelte';

export type ConsoleScreen = {
  /** Stable id, also used for `data-testid="console-nav-<id>"`. */
  id: string;
  /** The words in the left navigation and the page heading. */
  label: string;
  component: Component;
};

export const consoleScreens: readonly ConsoleScreen[] = [
  { id: 'overview', label: 'This desk', component: Overview },
  { id: 'reception', label: 'Reception desk', component: ReceptionDesk },
  { id: 'roll-call', label: 'Fire roll call', component: FireRollCall },
  { id: 'residents', label: 'Residents', component: Residents },
  { id: 'visits', label: 'Visits', component: Visits },
  { id: 'staff', label: 'Staff', component: StaffDirectory },
  { id: 'alerts', label: 'Alerts', component: AlertsCentre },
  { id: 'attention', label: 'Needs attention', component: NeedsAttention },
  { id: 'reception-settings', label: 'Reception settings', component: ReceptionSettings },
  { id: 'settings', label: 'Settings', component: Settings },
];

export const defaultConsoleScreen = 'overview';
