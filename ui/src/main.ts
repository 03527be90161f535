import { mount } from 'svelte';
import App from './App.svelte';
import type { AreaId } from './lib/router.svelte';
import './styles/tokens.css';
import './styles/base.css';
import './styles/kiosk.css';

async function start(): Promise<void> {
  let initialArea: AreaId = 'reception';

  // Development only: `vite --mode mock` / `vite build --mode mock` answer the commands in the
  // browser (see src/dev/mock.ts). In a normal build MODE is "production", this branch is
  // removed and the mock module is not bundled at all.
  if (import.meta.env.MODE === 'mock') {
    const { installMock } = await import('./dev/mock');
    ({ initialArea } = installMock(new URLSearchParams(window.location.search)));
  }

  const target = document.getElementById('app');
  if (!target) throw new Error('index.html has no #app element');
  mount(App, { target, props: { initialArea } });
}

void start();
