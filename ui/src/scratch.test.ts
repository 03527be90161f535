import { render } from '@testing-library/svelte';
import { it, expect } from 'vitest';
import StatusTag from './lib/components/StatusTag.svelte';
it('x', () => {
  const { container } = render(StatusTag, { tone: 'ok', label: 'Hi' });
  const el = container.querySelector('strong')!;
  console.log('STYLE', getComputedStyle(el).display, getComputedStyle(el).borderLeftStyle, document.head.innerHTML.slice(0, 300));
  expect(1).toBe(1);
});
