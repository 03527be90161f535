// Written by hand until ts-rs generates it from loopdesk-core; keep the name and shape.

export type AppInfo = { version: string; schema_version: number; data_dir: string; db_path: string };
