//! Typed repository functions over the local schema, one module per group of tables.
//!
//! Functions take a `&Connection` (reads) or a `&Transaction` (writes, so that a domain row and
//! its outbox entry always commit together). Use them through [`crate::Store::read`] and
//! [`crate::Store::write`].

pub mod alerts;
pub mod audit;
pub mod bridge_events;
pub mod care;
pub mod digest;
pub mod incidents;
pub mod outbox;
pub mod people;
pub mod pins;
pub mod reception;
pub mod settings;
pub mod sync_state;
pub mod training;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

pub use crate::clock::now;

/// A timestamp as stored: RFC 3339, UTC, milliseconds, `Z` (sorts as text).
pub fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Defines a closed set of string values (a status, a role) stored and serialised as its
/// snake_case name. Unknown values from the server fail loudly rather than being guessed.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS)]
        #[ts(export)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("unknown {} {other:?}", stringify!($name))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::from(self.as_str()))
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                let s = value.as_str()?;
                s.parse().map_err(|e: String| rusqlite::types::FromSqlError::Other(e.into()))
            }
        }
    };
}
pub(crate) use string_enum;

/// A UTC timestamp stored in the fixed text form of [`ts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ts(pub DateTime<Utc>);

impl ToSql for Ts {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(ts(&self.0)))
    }
}

impl FromSql for Ts {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let s = value.as_str()?;
        DateTime::parse_from_rfc3339(s)
            .map(|t| Ts(t.with_timezone(&Utc)))
            .map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

/// `Option<DateTime>` ⇄ SQL through [`Ts`].
pub(crate) fn opt_ts(t: &Option<DateTime<Utc>>) -> Option<Ts> {
    t.map(Ts)
}

pub(crate) fn get_ts(row: &rusqlite::Row<'_>, col: &str) -> rusqlite::Result<DateTime<Utc>> {
    Ok(row.get::<_, Ts>(col)?.0)
}

pub(crate) fn get_opt_ts(
    row: &rusqlite::Row<'_>,
    col: &str,
) -> rusqlite::Result<Option<DateTime<Utc>>> {
    Ok(row.get::<_, Option<Ts>>(col)?.map(|t| t.0))
}

/// A page of a list query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u32,
}

impl Default for Page {
    fn default() -> Self {
        Self {
            limit: 100,
            offset: 0,
        }
    }
}
