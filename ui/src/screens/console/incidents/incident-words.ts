// How an incident's states read at the desk: always a word and an icon, the colour only repeats.
import type { IncidentForm } from '../../../bindings/IncidentForm';
import type { IconName } from '../../../lib/components/Icon.svelte';
import type { Tone } from '../../../lib/components/StatusTag.svelte';

export type Tag = { tone: Tone; label: string; icon: IconName };

/** pending / synced / needs attention. */
export function syncTag(state: string): Tag {
  switch (state) {
    case 'synced':
      return { tone: 'ok', label: 'Synced', icon: 'tick' };
    case 'needs_attention':
      return { tone: 'error', label: 'Needs attention', icon: 'warning' };
    default:
      return { tone: 'info', label: 'Pending: not on CareLoop yet', icon: 'clock' };
  }
}

export function severityTag(severity: string, label?: string): Tag {
  const words = label ?? severity.charAt(0).toUpperCase() + severity.slice(1);
  switch (severity) {
    case 'critical':
      return { tone: 'error', label: words, icon: 'warning' };
    case 'high':
      return { tone: 'warning', label: words, icon: 'warning' };
    case 'moderate':
      return { tone: 'info', label: words, icon: 'info' };
    default:
      return { tone: 'neutral', label: words, icon: 'dot' };
  }
}

export function statusWords(status: string): string {
  switch (status) {
    case 'open':
      return 'Open';
    case 'under_review':
      return 'Under review';
    case 'closed':
      return 'Closed';
    default:
      return status;
  }
}

export function observationTag(state: string): Tag {
  switch (state) {
    case 'due':
      return { tone: 'warning', label: 'Due now', icon: 'clock' };
    case 'overdue':
      return { tone: 'error', label: 'Overdue', icon: 'warning' };
    case 'recorded':
      return { tone: 'ok', label: 'Recorded', icon: 'tick' };
    case 'missed':
      return { tone: 'neutral', label: 'Missed', icon: 'cross' };
    default:
      return { tone: 'neutral', label: 'Later', icon: 'dot' };
  }
}

export const avpuOptions = [
  { value: 'alert', label: 'Alert' },
  { value: 'voice', label: 'Responds to voice' },
  { value: 'pain', label: 'Responds to pain' },
  { value: 'unresponsive', label: 'Unresponsive' },
];

/** An empty form, as "Log an incident" opens it. */
export function emptyForm(): IncidentForm {
  return {
    subject: 'resident',
    resident_id: null,
    person_name: null,
    type: '',
    severity: '',
    occurred_at: '',
    found_at: null,
    place: '',
    title: '',
    description: null,
    witnessed: false,
    witnesses: [],
    body_regions: [],
    immediate_actions: null,
    notified: [],
    hospital_transfer: false,
    died: false,
    abuse_suspected: false,
    work_related: false,
    specified_injury: false,
    over_seven_day_incapacity: false,
    fall: null,
    decisions: [],
  };
}

/** The form's field order (for the error summary) and each field's element id. */
export const fieldOrder = [
  'home',
  'subject',
  'resident_id',
  'person_name',
  'type',
  'severity',
  'occurred_at',
  'found_at',
  'place',
  'title',
  'description',
  'witnesses',
  'body_regions',
  'immediate_actions',
  'notified',
  'fall_how',
  'decisions',
];

export const fieldIds: Record<string, string> = {
  subject: 'incident-subject',
  resident_id: 'incident-resident-search',
  person_name: 'incident-person-name',
  type: 'incident-type',
  severity: 'incident-severity',
  occurred_at: 'incident-occurred',
  found_at: 'incident-found',
  place: 'incident-place',
  title: 'incident-title',
  description: 'incident-description',
  witnesses: 'incident-witnesses',
  body_regions: 'body-map-heading',
  immediate_actions: 'incident-actions',
  notified: 'incident-notified',
  fall_how: 'incident-fall-how',
  decisions: 'incident-advice-heading',
  home: 'incident-form-heading',
};

/** The desk's "happened 0 min ago" as a person says it: "happened just now". */
export function tidy(words: string): string {
  return words.replace(/\b0 min ago\b/g, 'just now');
}
