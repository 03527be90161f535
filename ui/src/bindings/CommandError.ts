// Written by hand until ts-rs generates it from src-tauri; keep the name and shape.

export type CommandError = { code: string; message: string };
