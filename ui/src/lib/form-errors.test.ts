import { describe, expect, it } from 'vitest';
import { formErrors } from './form-errors';

describe('formErrors', () => {
  it('lists field errors in the form order, linked to their inputs', () => {
    const result = formErrors(
      {
        code: 'invalid_input',
        message: 'Check the highlighted fields.',
        fields: { phone: 'Enter a phone number', name: 'Enter a name' },
      },
      ['name', 'phone'],
      (field) => `visitor-${field}`,
    );

    expect(result.summary).toEqual([
      { message: 'Enter a name', fieldId: 'visitor-name' },
      { message: 'Enter a phone number', fieldId: 'visitor-phone' },
    ]);
    expect(result.byField).toEqual({ name: 'Enter a name', phone: 'Enter a phone number' });
  });

  it('an error without fields becomes one summary line', () => {
    const result = formErrors({ code: 'store_unavailable', message: 'The data file is locked.' });

    expect(result.summary).toEqual([{ message: 'The data file is locked.' }]);
    expect(result.byField).toEqual({});
  });
});
