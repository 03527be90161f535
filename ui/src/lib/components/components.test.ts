import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import FormExample from './FormExample.test.svelte';
import StatusTag from './StatusTag.svelte';

describe('StatusTag', () => {
  it.each(['ok', 'info', 'warning', 'error', 'neutral'] as const)(
    'shows the word and an icon for %s (never colour alone)',
    (tone) => {
      render(StatusTag, { tone, label: `Status ${tone}`, testid: 'tag' });

      const tag = screen.getByTestId('tag');
      expect(tag).toHaveTextContent(`Status ${tone}`);
      const icon = tag.querySelector('svg');
      expect(icon).not.toBeNull();
      expect(icon).toHaveAttribute('aria-hidden', 'true');
    },
  );
});

describe('ErrorSummary with a TextField', () => {
  it('summarises at the top, shows the error beside the field, and links to it', async () => {
    const user = userEvent.setup();
    render(FormExample);

    const summary = screen.getByTestId('error-summary');
    expect(summary).toHaveFocus();
    expect(summary).toHaveAttribute('role', 'alert');

    const field = screen.getByLabelText('Visitor name');
    expect(field).toHaveAttribute('aria-invalid', 'true');
    expect(field).toHaveAccessibleDescription('Error: Enter the visitor’s name');

    await user.click(screen.getByRole('link', { name: 'Enter the visitor’s name' }));
    expect(field).toHaveFocus();
  });
});
