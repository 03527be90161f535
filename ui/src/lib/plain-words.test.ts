import { describe, expect, it } from 'vitest';
import { fieldLabel, fieldProblem, plainMessage, plainProblem, scopeWords } from './plain-words';

describe('codes in plain words', () => {
  it.each([
    ['staff_user_id', 'not_found', 'CareLoop does not know the staff member: choose another'],
    ['ends_at', 'must_be_after_starts_at', 'The end must be after the start'],
    ['resident_id', 'required', 'CareLoop needs the resident'],
    ['staff_user_id', 'inactive', 'The staff member is no longer active: choose another'],
    ['room_number', 'too_long', 'The room number is too long: shorten it'],
    ['body', 'Body must be at least 10 characters', 'Body must be at least 10 characters'],
  ])('%s %s', (name, code, words) => {
    expect(fieldProblem(name, code)).toBe(words);
  });

  it('names fields the desk has no form for', () => {
    expect(fieldLabel('room_number')).toBe('Room number');
    expect(fieldLabel('staff_user_id')).toBe('Staff member');
  });

  it('takes the codes out of CareLoop’s messages', () => {
    expect(plainMessage('staff_user_id refers to nothing that exists; ends_at must be after starts_at')).toBe(
      'The staff member refers to nothing that exists; the end must be after the start',
    );
    expect(plainMessage('The request was invalid (422)')).toBe('The request was invalid');
    expect(plainMessage('CareLoop refused the request (409 conflict): already exists')).toBe(
      'CareLoop refused the request: already exists',
    );
  });

  it.each([
    ['API key lacks scope write:visits', 'The API key may not change visits'],
    ['CareLoop could not be reached: error sending request for url (http://127.0.0.1:1/v1/visits)', 'CareLoop could not be reached'],
    ['CareLoop had a problem (503): Service Unavailable', 'CareLoop had a problem on its side'],
    ['too many requests; CareLoop asked to wait 30s', 'CareLoop asked this desk to slow down'],
  ])('%s', (text, words) => {
    expect(plainProblem(text)).toEqual({ words, detail: text });
  });

  it('keeps plain text as it is, with no detail', () => {
    expect(plainProblem('Enter the CareLoop API address and key in Settings.')).toEqual({
      words: 'Enter the CareLoop API address and key in Settings.',
      detail: null,
    });
    expect(scopeWords('read:care_notes')).toBe('read care notes');
  });
});
