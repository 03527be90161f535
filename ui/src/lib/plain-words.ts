// Codes and technical text that reach a person, in plain words: CareLoop's field names and
// per-field codes (`staff_user_id`, `not_found`, `must_be_after_starts_at`), API scopes
// (`write:visits`), HTTP status codes, and the desk's technical problem texts ("CareLoop could
// not be reached: error sending request for url (…)"). The technical text is kept as a detail
// for IT support; the words lead.
import { capitalise } from './format';

const nouns: Record<string, string> = {
  location_id: 'the home',
  staff_user_id: 'the staff member',
  resident_id: 'the resident',
  visit_type: 'the kind of visit',
  starts_at: 'the start',
  ends_at: 'the end',
  notes: 'the notes',
  category: 'the category',
  body: 'the note',
  reason: 'the reason',
  cancel_reason: 'the reason',
  recorded_at: 'the time',
  author_name: 'the author',
  status: 'the status',
};

/** "the staff member" for `staff_user_id`; "the room number" for an unknown `room_number`. */
export function fieldNoun(name: string): string {
  return nouns[name] ?? `the ${name.replace(/_id$/, '').replace(/[_.]/g, ' ')}`;
}

/** A label for a field the desk has no form for: "Room number" for `room_number`. */
export function fieldLabel(name: string): string {
  return capitalise(fieldNoun(name).replace(/^the /, ''));
}

/**
 * CareLoop's code for what is wrong with a field, as a sentence: "CareLoop does not know the
 * staff member", "The end must be after the start". A message that is already words stays.
 */
export function fieldProblem(name: string, code: string): string {
  if (!/^[a-z0-9_]+$/.test(code)) return code;
  const noun = fieldNoun(name);
  const after = /^must_be_after_(.+)$/.exec(code);
  if (after) return capitalise(`${noun} must be after ${fieldNoun(after[1] ?? '')}`);
  switch (code) {
    case 'required':
      return capitalise(`CareLoop needs ${noun}`);
    case 'not_found':
      return capitalise(`CareLoop does not know ${noun}: choose another`);
    case 'inactive':
      return capitalise(`${noun} is no longer active: choose another`);
    case 'invalid':
      return capitalise(`CareLoop cannot use ${noun} as it is: check it`);
    case 'too_long':
      return capitalise(`${noun} is too long: shorten it`);
    case 'unknown_field':
      return capitalise(`CareLoop does not take ${noun}`);
    default:
      return capitalise(`${noun}: ${code.replace(/_/g, ' ')}`);
  }
}

/**
 * A message from CareLoop, without codes: field names become their nouns and HTTP status
 * codes go ("staff_user_id refers to nothing that exists (422)" → "The staff member refers to
 * nothing that exists").
 */
export function plainMessage(message: string): string {
  const words = message
    .replace(/\s*\(\d{3}(?:\s+[a-z_]+)?\)/g, '')
    .replace(/\b[a-z]+(?:_[a-z]+)+\b/g, (name) => fieldNoun(name));
  return capitalise(words);
}

const scopeVerbs: Record<string, string> = { read: 'read', write: 'change' };

/** "change visits" for `write:visits`, "read care notes" for `read:care_notes`. */
export function scopeWords(scope: string): string {
  const [verb = '', what = ''] = scope.split(':');
  return `${scopeVerbs[verb] ?? verb} ${what.replace(/_/g, ' ')}`.trim();
}

/**
 * One of the desk's technical problem texts as words a person at the desk can act on, with the
 * original as the detail (null when the text is already plain).
 */
export function plainProblem(text: string): { words: string; detail: string | null } {
  const rules: [RegExp, (m: RegExpExecArray) => string][] = [
    [/^CareLoop could not be reached\b/, () => 'CareLoop could not be reached'],
    [/^CareLoop did not answer\b/, () => 'CareLoop did not answer in time'],
    [/^CareLoop had a problem\b/, () => 'CareLoop had a problem on its side'],
    [/^too many requests\b/i, () => 'CareLoop asked this desk to slow down'],
    [/^API key lacks scope (\S+)/, (m) => `The API key may not ${scopeWords(m[1] ?? '')}`],
    [/^API key invalid\b/, () => 'CareLoop does not accept the API key'],
    [/^unexpected answer from CareLoop\b/, () => 'CareLoop sent an answer this desk cannot read'],
    [/^CareLoop refused the request\b/, () => 'CareLoop refused the request'],
    [/^refused by CareLoop: (.+)$/, (m) => `CareLoop refused it: ${plainMessage(m[1] ?? '')}`],
    [/^not found on CareLoop\b/, () => 'CareLoop does not have it'],
  ];
  for (const [pattern, words] of rules) {
    const m = pattern.exec(text);
    if (m) {
      const plain = words(m);
      return { words: plain, detail: plain === text ? null : text };
    }
  }
  return { words: text, detail: null };
}
