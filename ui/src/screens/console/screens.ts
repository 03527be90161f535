// The Staff console's screens, in navigation order. Adding a screen is one line here.
import type { Component } from 'svelte';
import Overview from './Overview.svelte';

export type ConsoleScreen = {
  /** Stable id, also used for `data-testid="console-nav-<id>"`. */
  id: string;
  /** The words in the left navigation and the page heading. */
  label: string;
  component: Component;
};

export const consoleScreens: readonly ConsoleScreen[] = [
  { id: 'overview', label: 'This desk', component: Overview },
];

export const defaultConsoleScreen = 'overview';
