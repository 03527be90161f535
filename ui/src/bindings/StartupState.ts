// Written by hand until ts-rs generates it from loopdesk-core; keep the name and shape.

export type StartupState =
  | { state: "ready" }
  | { state: "newer_schema"; path: string; found_version: number; supported_version: number }
  | { state: "corrupt"; path: string; moved_to: string | null; message: string }
  | { state: "migration_failed"; path: string; message: string }
  | { state: "unavailable"; path: string; message: string };
