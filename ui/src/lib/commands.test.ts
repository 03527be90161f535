// The UI and the Rust side agree on the commands there are. The list is Rust's (`app_commands!`
// in src-tauri/src/lib.rs), written to src/bindings/commands.json by `cargo test`.
import { invoke } from '@tauri-apps/api/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import generated from '../bindings/commands.json';
import { installMock } from '../dev/mock';
import * as api from './api';
import { commands } from './api';

const rust = generated.commands;
const wrappers = Object.entries(commands) as [string, string][];

describe('the command list', () => {
  it('has a wrapper in api.ts for every Rust command, and nothing Rust does not have', () => {
    const wrapped = wrappers.map(([, name]) => name);
    const listed = rust.map((command) => command.name);

    const exported = api as unknown as Record<string, unknown>;

    expect(listed.length).toBeGreaterThan(20);
    expect({
      'Rust commands missing from `commands`': listed.filter((name) => !wrapped.includes(name)),
      'names in `commands` that Rust does not have': wrapped.filter((name) => !listed.includes(name)),
      'names in `commands` twice': wrapped.filter((name, i) => wrapped.indexOf(name) !== i),
      'keys of `commands` with no function of that name': wrappers
        .filter(([wrapper]) => typeof exported[wrapper] !== 'function')
        .map(([wrapper]) => wrapper),
    }).toEqual({
      'Rust commands missing from `commands`': [],
      'names in `commands` that Rust does not have': [],
      'names in `commands` twice': [],
      'keys of `commands` with no function of that name': [],
    });
  });

  it('calls the demo-only commands from demo UI code only (a Demo* file or a demo/ folder)', () => {
    const demoOnly = new Set(rust.filter((command) => command.demo).map((command) => command.name));
    // Each demo-only command by its own name and by its wrapper's.
    const words = [...demoOnly, ...wrappers.filter(([, name]) => demoOnly.has(name)).map(([wrapper]) => wrapper)];
    const sources = import.meta.glob(
      [
        '/src/**/*.{ts,svelte}',
        '!/src/lib/api.ts',
        '!/src/**/*.test.ts',
        '!/src/test/**',
        '!/src/test-setup.ts',
        '!/src/dev/**',
        '!/src/bindings/**',
      ],
      { query: '?raw', import: 'default', eager: true },
    ) as Record<string, string>;
    const isDemoCode = (file: string) => /\/demo\//.test(file) || /\/Demo[^/]*$/.test(file);

    const offenders = Object.entries(sources)
      .filter(([file]) => !isDemoCode(file))
      .flatMap(([file, source]) =>
        words.filter((word) => new RegExp(`\\b${word}\\b`).test(source)).map((word) => `${file}: ${word}`),
      );
    expect(Object.keys(sources).length).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });
});

describe('the mock desk (src/dev/mock.ts)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers every Rust command', async () => {
    vi.useFakeTimers();
    installMock(new URLSearchParams('demo=1'));
    // Made-up arguments: whether a command is handled is all that counts here, and a handler
    // may refuse them. A listener for the commands that stream.
    const args = { onEvent: { onmessage: () => {} } };
    const outcomes = rust.map(({ name }) =>
      invoke(name, args).then(
        () => 'answered',
        (error: unknown) => error,
      ),
    );
    await vi.runAllTimersAsync();
    const answers = await Promise.all(outcomes);

    const unhandled = rust
      .map(({ name }) => name)
      .filter((name, i) => {
        const answer = answers[i] as { message?: unknown } | undefined;
        return answer?.message === `No mock for ${name}`;
      });
    expect(unhandled, 'commands the mock falls through on').toEqual([]);
  });
});
