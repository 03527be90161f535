//! The types that cross into the webview. TypeScript bindings are generated from them (ts-rs)
//! into `ui/src/bindings/` by `cargo test`; the UI imports those, never retypes them.

use serde::Serialize;
use ts_rs::TS;

pub use crate::store::{KeyProblem, StartupState};

/// What the status footer shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export, export_to = "AppInfo.ts")]
pub struct AppInfo {
    pub version: String,
    /// The schema version of the open data file; 0 when none is open.
    pub schema_version: u32,
    pub data_dir: String,
    pub db_path: String,
}

/// The codes the UI branches on. Everything else is `internal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export, export_to = "ErrorCode.ts")]
pub enum Code {
    /// The data file is not open (start-up did not finish); the UI shows the start-up screen.
    StoreUnavailable,
    /// What the person entered cannot be used; `message` says why.
    InvalidInput,
    /// What the person entered can be used, but is unusual: `message` asks them to confirm
    /// (the form sends it again with its confirmation), `fields` says where.
    NeedsConfirmation,
    NotFound,
    /// The staff console is locked: a staff member must unlock it with their PIN.
    Locked,
    /// The unlocked staff member's role does not allow this.
    Forbidden,
    /// PIN entry is paused after too many wrong PINs.
    Paused,
    /// The CareLoop connection is not set up (API address or key missing).
    NotConfigured,
    /// CareLoop does not accept the API key, or the key lacks a scope.
    AuthFailed,
    /// CareLoop cannot be reached or answers with errors; local work is kept and retried.
    Unavailable,
    Internal,
}

/// The one error every command returns: `{"code": ..., "message": ...}`. The message is written
/// for the person at the desk and never carries secrets or internals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
#[ts(export, export_to = "CommandError.ts")]
pub struct CommandError {
    pub code: Code,
    pub message: String,
    /// Per-field messages for a form, shown beside each field (with `invalid_input`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub fields: Option<std::collections::BTreeMap<String, String>>,
}

impl CommandError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: None,
        }
    }

    /// A question for the person before a save goes ahead (see [`Code::NeedsConfirmation`]).
    pub fn needs_confirmation(
        message: impl Into<String>,
        fields: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        Self {
            code: Code::NeedsConfirmation,
            message: message.into(),
            fields: Some(fields.into_iter().collect()),
        }
    }

    /// A form error: a summary and a message per field.
    pub fn invalid_fields(
        message: impl Into<String>,
        fields: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        Self {
            code: Code::InvalidInput,
            message: message.into(),
            fields: Some(fields.into_iter().collect()),
        }
    }
}

impl From<crate::StoreError> for CommandError {
    fn from(err: crate::StoreError) -> Self {
        use crate::StoreError as E;
        match err {
            E::NotFound { .. } => Self::new(Code::NotFound, err.to_string()),
            E::Invalid(msg) => Self::new(Code::InvalidInput, msg),
            E::Keyring(e) => {
                tracing::error!(error = %e, "the keyring could not keep the data file's key");
                Self::new(
                    Code::Unavailable,
                    "Loopdesk could not use this computer's keyring, where it keeps the key to \
                     its data file. Unlock the keyring (or sign out and sign in again), then try \
                     again.",
                )
            }
            other => {
                tracing::error!(error = %other, "store error");
                Self::new(
                    Code::Internal,
                    "Loopdesk could not read or save its data. Please try again; if it keeps \
                     happening, tell your IT contact.",
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_error_json_is_pinned() {
        let err = CommandError::new(Code::StoreUnavailable, "The data file is not open.");
        insta::assert_json_snapshot!(err, @r###"
        {
          "code": "store_unavailable",
          "message": "The data file is not open."
        }
        "###);
    }

    #[test]
    fn field_errors_are_pinned() {
        let err = CommandError::invalid_fields(
            "Check the visit times",
            [(
                "ends_at".to_owned(),
                "The end must be after the start".to_owned(),
            )],
        );
        insta::assert_json_snapshot!(err, @r###"
        {
          "code": "invalid_input",
          "message": "Check the visit times",
          "fields": {
            "ends_at": "The end must be after the start"
          }
        }
        "###);
    }

    #[test]
    fn internal_errors_do_not_leak_details() {
        let err: CommandError =
            crate::StoreError::Sqlite(rusqlite::Error::InvalidColumnName("secret_col".into()))
                .into();
        assert_eq!(err.code, Code::Internal);
        assert!(!err.message.contains("secret_col"));
    }

    #[test]
    fn startup_state_json_is_pinned() {
        insta::assert_json_snapshot!(StartupState::Ready, @r###"
        {
          "state": "ready"
        }
        "###);
        let corrupt = StartupState::Corrupt {
            path: "/d/loopdesk.db".into(),
            moved_to: Some("/d/loopdesk.db.corrupt-20261122T130000Z".into()),
            message: "it is not an SQLite database".into(),
        };
        insta::assert_json_snapshot!(corrupt, @r###"
        {
          "state": "corrupt",
          "path": "/d/loopdesk.db",
          "moved_to": "/d/loopdesk.db.corrupt-20261122T130000Z",
          "message": "it is not an SQLite database"
        }
        "###);
    }
}
