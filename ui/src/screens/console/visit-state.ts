// Where a visit stands at a moment, for the Visits screen's order and its counts by word.
import type { VisitView } from '../../bindings/VisitView';
import { plural } from '../../lib/format';

export type VisitState = 'overdue' | 'under_way' | 'upcoming' | 'completed' | 'missed' | 'cancelled';

/** The states in the order the counts name them. */
const order: VisitState[] = ['overdue', 'under_way', 'upcoming', 'completed', 'missed', 'cancelled'];

const words: Record<VisitState, string> = {
  overdue: 'overdue',
  under_way: 'under way',
  upcoming: 'upcoming',
  completed: 'completed',
  missed: 'missed',
  cancelled: 'cancelled',
};

/**
 * Overdue: still scheduled (not confirmed) after its start. Under way: confirmed and started.
 * Upcoming: scheduled or confirmed, not started yet.
 */
export function visitState(visit: VisitView, now: Date): VisitState {
  const started = Date.parse(visit.starts_at) <= now.getTime();
  switch (visit.status) {
    case 'scheduled':
      return started ? 'overdue' : 'upcoming';
    case 'confirmed':
      return started ? 'under_way' : 'upcoming';
    case 'completed':
      return 'completed';
    case 'no_show':
      return 'missed';
    default:
      return 'cancelled';
  }
}

/** What needs a person now — overdue, under way and upcoming, by start — then the rest by start. */
export function nowFirst(visits: readonly VisitView[], now: Date): { next: VisitView[]; rest: VisitView[] } {
  const byStart = [...visits].sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at) || a.id.localeCompare(b.id));
  const isNext = (v: VisitView) => ['overdue', 'under_way', 'upcoming'].includes(visitState(v, now));
  return { next: byStart.filter(isNext), rest: byStart.filter((v) => !isNext(v)) };
}

/** "3 overdue, 5 upcoming, 12 completed": each state there is, in words. */
export function visitCounts(visits: readonly VisitView[], now: Date): string {
  const counts = new Map<VisitState, number>();
  for (const v of visits) counts.set(visitState(v, now), (counts.get(visitState(v, now)) ?? 0) + 1);
  return order
    .filter((state) => counts.has(state))
    .map((state) => `${(counts.get(state) ?? 0).toLocaleString('en-GB')} ${words[state]}`)
    .join(', ');
}

/** "1 visit", "12 visits". */
export function visitTotal(count: number): string {
  return plural(count, 'visit');
}
