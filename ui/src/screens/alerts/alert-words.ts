// How an alert's kind reads at the desk.
export function alertKind(kind: string): string {
  switch (kind) {
    case 'incident.critical':
      return 'Critical incident';
    case 'visit.no_show':
      return 'Missed visit';
    default:
      return kind.replace(/[._]/g, ' ');
  }
}
