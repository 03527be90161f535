import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import App from '../../App.svelte';
import { CommandFailure, readyBackend, sampleInfo } from '../../test/ipc';
import { navScreens } from '../console/screens';

async function startShell() {
  const backend = readyBackend();
  render(App);
  const shell = await screen.findByTestId('shell');
  return { backend, shell };
}

describe('shell', () => {
  it('opens on Reception with the product name and both areas', async () => {
    const { shell } = await startShell();

    expect(within(shell).getByRole('banner')).toHaveTextContent('Loopdesk');
    expect(screen.getByTestId('reception')).toBeInTheDocument();
    expect(screen.queryByTestId('console')).not.toBeInTheDocument();
    expect(document.getElementById('nav-reception')).toHaveAttribute('aria-current', 'page');
    expect(document.getElementById('nav-console')).not.toHaveAttribute('aria-current');
    expect(screen.queryByTestId('startup-error')).not.toBeInTheDocument();
  });

  it('switches between Reception and Staff console with the area buttons', async () => {
    const user = userEvent.setup();
    await startShell();

    await user.click(screen.getByRole('button', { name: 'Staff console' }));

    expect(screen.getByTestId('console')).toBeInTheDocument();
    expect(screen.queryByTestId('reception')).not.toBeInTheDocument();
    expect(screen.getByTestId('shell')).toHaveAttribute('data-area', 'console');
    expect(document.getElementById('nav-console')).toHaveAttribute('aria-current', 'page');
    expect(document.getElementById('nav-reception')).not.toHaveAttribute('aria-current');

    await user.click(screen.getByRole('button', { name: 'Reception' }));

    expect(screen.getByTestId('reception')).toBeInTheDocument();
    expect(screen.queryByTestId('console')).not.toBeInTheDocument();
    expect(document.getElementById('nav-reception')).toHaveAttribute('aria-current', 'page');
  });

  it('can be driven by keyboard: skip link first, then the areas in order', async () => {
    const user = userEvent.setup();
    await startShell();

    await user.tab();
    expect(screen.getByRole('link', { name: 'Skip to main content' })).toHaveFocus();
    await user.tab();
    expect(document.getElementById('nav-reception')).toHaveFocus();
    await user.tab();
    expect(document.getElementById('nav-console')).toHaveFocus();

    await user.keyboard('{Enter}');
    expect(screen.getByTestId('console')).toBeInTheDocument();

    await user.tab({ shift: true });
    await user.keyboard(' ');
    expect(screen.getByTestId('reception')).toBeInTheDocument();
  });

  it('the skip link moves focus to the main content', async () => {
    const user = userEvent.setup();
    await startShell();

    await user.click(screen.getByRole('link', { name: 'Skip to main content' }));

    expect(screen.getByRole('main')).toHaveFocus();
  });

  it('the Staff console opens on "This desk" with the values from app_info', async () => {
    const user = userEvent.setup();
    await startShell();

    await user.click(screen.getByRole('button', { name: 'Staff console' }));

    const console = screen.getByTestId('console');
    expect(within(console).getByRole('heading', { level: 1 })).toHaveTextContent('This desk');
    expect(await screen.findByTestId('overview-app-version')).toHaveTextContent(
      sampleInfo.version,
    );
    expect(screen.getByTestId('overview-schema-version')).toHaveTextContent(
      String(sampleInfo.schema_version),
    );
    expect(screen.getByTestId('overview-data-dir')).toHaveTextContent(sampleInfo.data_dir);
    expect(screen.getByTestId('overview-db-path')).toHaveTextContent(sampleInfo.db_path);
  });

  it('the console navigation lists exactly the registered screens, current one marked', async () => {
    const user = userEvent.setup();
    await startShell();
    await user.click(screen.getByRole('button', { name: 'Staff console' }));

    const nav = screen.getByRole('navigation', { name: 'Staff console' });
    const items = within(nav).getAllByRole('button');
    expect(items.map((item) => item.textContent?.trim())).toEqual(
      navScreens.map((s) => s.label),
    );
    expect(items[0]).toHaveAttribute('aria-current', 'page');
    expect(screen.getByTestId(`console-screen-${navScreens[0]?.id}`)).toBeInTheDocument();
  });
});

describe('status footer', () => {
  it('shows the public screen the app version only, not the schema or the data folder', async () => {
    const info = {
      version: '9.8.7',
      schema_version: 12,
      data_dir: '/var/lib/desk-7',
      db_path: '/var/lib/desk-7/loopdesk.db',
    };
    readyBackend(info);
    render(App);

    const version = await screen.findByTestId('app-version');
    expect(version.textContent).toBe('9.8.7');
    expect(screen.getByTestId('status-footer')).toBeInTheDocument();
    expect(screen.getByTestId('reception')).toBeInTheDocument();
    expect(screen.queryByTestId('schema-version')).not.toBeInTheDocument();
    expect(screen.queryByTestId('data-dir')).not.toBeInTheDocument();
    expect(screen.getByTestId('status-footer')).not.toHaveTextContent('/var/lib/desk-7');
  });

  it('adds the schema version and data folder in the open console, and drops them back at Reception', async () => {
    const user = userEvent.setup();
    await startShell();
    await screen.findByTestId('app-version');

    await user.click(screen.getByRole('button', { name: 'Staff console' }));
    expect(await screen.findByTestId('schema-version')).toHaveTextContent(
      String(sampleInfo.schema_version),
    );
    expect(screen.getByTestId('data-dir')).toHaveTextContent(sampleInfo.data_dir);
    await user.click(screen.getByRole('button', { name: 'Reception' }));
    expect(screen.getByTestId('app-version')).toHaveTextContent(sampleInfo.version);
    expect(screen.queryByTestId('data-dir')).not.toBeInTheDocument();
  });

  it('says plainly when app_info fails, instead of showing blanks', async () => {
    readyBackend(sampleInfo, {
      app_info: () => new CommandFailure({ code: 'internal', message: 'database is locked' }),
    });
    render(App);

    const problem = await screen.findByTestId('app-info-error');
    expect(problem).toHaveTextContent('Desk details not available');
    expect(problem).toHaveTextContent('database is locked');
    expect(screen.queryByTestId('app-version')).not.toBeInTheDocument();
  });
});
