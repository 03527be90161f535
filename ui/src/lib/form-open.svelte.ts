// Whether a person is in the middle of something: a visitor's sign-in or sign-out at the kiosk,
// or a console form someone has typed in. The desk installs no update while one is (Rust
// decides: `set_form_open`); the console's update banner stays away meanwhile too.
import { setFormOpen } from './api';

class FormOpen {
  /** A kiosk flow (sign in, sign out, staff, roll call) is under way. */
  kiosk = $state(false);
  /** Something was typed into a console form since its screen opened. */
  console = $state(false);
  #told: boolean | null = null;

  get open(): boolean {
    return this.kiosk || this.console;
  }

  setKiosk(open: boolean): void {
    this.kiosk = open;
    this.#tell();
  }

  setConsole(open: boolean): void {
    this.console = open;
    this.#tell();
  }

  /** Tells the desk when it changes (an error is not the person's business: it retries next time). */
  #tell(): void {
    const open = this.open;
    if (open === this.#told) return;
    this.#told = open;
    setFormOpen(open).catch(() => {
      this.#told = null;
    });
  }
}

export const formOpen = new FormOpen();
