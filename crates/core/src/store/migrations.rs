//! The schema migrations, embedded from `migrations/` at build time (see `build.rs`).

use rusqlite_migration::{Migrations, M};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
}

/// The embedded migration files, in order: (file name, SQL).
pub const MIGRATION_FILES: &[(&str, &str)] = embedded::MIGRATIONS;

/// The schema version this build of Loopdesk writes: the number of migrations.
pub fn latest_version() -> u32 {
    u32::try_from(MIGRATION_FILES.len()).unwrap_or(u32::MAX)
}

/// All migrations of this build. Pending ones are applied in one transaction: all or nothing.
pub fn migrations() -> Migrations<'static> {
    migrations_with_extra(&[])
}

/// This build's migrations followed by `extra` SQL steps (for tests of upgrade failures).
pub fn migrations_with_extra<'a>(extra: &[&'a str]) -> Migrations<'a> {
    let steps = MIGRATION_FILES
        .iter()
        .map(|(_, sql)| M::up(sql).foreign_key_check())
        .chain(extra.iter().map(|sql| M::up(sql)))
        .collect();
    Migrations::new(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    #[test]
    fn latest_version_counts_the_files() {
        assert_eq!(latest_version() as usize, MIGRATION_FILES.len());
        assert!(MIGRATION_FILES[0].0.starts_with("0001_"));
    }
}
