// Turns a CommandError into what a form shows: the summary at the top (each entry linking to
// its field) and the message beside each field.
import type { CommandError } from '../bindings/CommandError';
import type { SummaryError } from './components/ErrorSummary.svelte';

export type FormErrors = {
  /** For <ErrorSummary errors={...}>; never empty. */
  summary: SummaryError[];
  /** For <TextField error={byField[name]}>, keyed by the backend's field name. */
  byField: Record<string, string>;
};

/**
 * `fieldId` maps the backend's field name to the id of the input on the page (by default the
 * same). Field errors come first in the order of `order` (the form's field order), then the
 * rest; an error without fields gives one summary line with its message.
 */
export function formErrors(
  error: CommandError,
  order: readonly string[] = [],
  fieldId: (field: string) => string = (field) => field,
): FormErrors {
  const byField = { ...(error.fields ?? {}) };
  const names = Object.keys(byField).sort((a, b) => rank(order, a) - rank(order, b));
  const summary = names.map((name) => ({ message: byField[name] ?? '', fieldId: fieldId(name) }));
  return {
    summary: summary.length > 0 ? summary : [{ message: error.message }],
    byField,
  };
}

function rank(order: readonly string[], name: string): number {
  const index = order.indexOf(name);
  return index === -1 ? order.length : index;
}
