// How an alert's kind reads at the desk.
import type { Alert } from '../../bindings/Alert';
import { alertRank } from '../../lib/alerts.svelte';
import { plural } from '../../lib/format';

export function alertKind(kind: string): string {
  switch (kind) {
    case 'incident.critical':
      return 'Critical incident';
    case 'visit.no_show':
      return 'Missed visit';
    case 'incident.observation_due':
      return 'Observation due';
    case 'incident.safeguarding':
      return 'Safeguarding concern';
    default:
      return kind.replace(/[._]/g, ' ');
  }
}

const kindWords: Record<string, [string, string]> = {
  'incident.critical': ['critical incident', 'critical incidents'],
  'visit.no_show': ['missed visit', 'missed visits'],
  'incident.observation_due': ['observation due', 'observations due'],
  'incident.safeguarding': ['safeguarding concern', 'safeguarding concerns'],
};

/**
 * How many alerts of which kinds, most urgent kind first: "1 critical incident, 2 missed
 * visits, 1 other".
 */
export function alertKindCounts(alerts: readonly Alert[]): string {
  const counts = new Map<string, number>();
  for (const alert of [...alerts].sort((a, b) => alertRank(a.kind) - alertRank(b.kind))) {
    const key = kindWords[alert.kind] ? alert.kind : 'other';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .map(([key, n]) => {
      const [one, many] = kindWords[key] ?? ['other', 'others'];
      return plural(n, one, many);
    })
    .join(', ');
}
