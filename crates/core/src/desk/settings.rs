//! Settings: the CareLoop address and key, this desk's home, the alert bridge; "Test
//! connection". Setting names are here; secrets never are (they live in the [`SecretStore`]).
//!
//! [`SecretStore`]: crate::secrets::SecretStore

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;
use serde_json::json;

use crate::api::connection_test::{self, ConnectionTest};
use crate::api::{self, address, ApiError};
use crate::clock;
use crate::credentials::{Credential, Found};
use crate::errors::{lock, secret_error};
use crate::ipc::{Code, CommandError};
use crate::secret::Secret;
use crate::secrets::API_KEY;
use crate::store::repo;
use crate::sync::{Resource, SyncError};

use super::{Desk, SettingsView};

/// The address of the CareLoop API.
pub const API_BASE_URL: &str = "api_base_url";
/// The home (location) this desk is in.
pub const LOCATION_ID: &str = "desk_location_id";
/// The name care notes written at this desk are signed with.
pub const AUTHOR_NAME: &str = "desk_author_name";
/// The home's time zone (an IANA name such as `Europe/London`, the default).
pub const TIME_ZONE: &str = clock::TIME_ZONE_SETTING;
/// The CareLoop address the saved API key was entered for (the key is used with no other).
pub const API_AUTH_URL: &str = "api_auth_url";

/// The API key and the CareLoop address it belongs to.
pub const API_CREDENTIAL: Credential = Credential {
    entry: API_KEY,
    address: API_BASE_URL,
    bound_to: API_AUTH_URL,
    what: "the API key",
};

/// The calendar date at `at` in the home's time zone.
pub(crate) fn home_date(c: &Connection, at: DateTime<Utc>) -> crate::store::Result<NaiveDate> {
    Ok(clock::date_in(repo::settings::home_zone(c)?, at))
}

/// A sync failure as a command error.
pub(super) fn sync_error(e: SyncError) -> CommandError {
    let (_, message) = crate::sync::engine::describe(&Err(e.clone()));
    let message = message.unwrap_or_else(|| e.to_string());
    let code = match &e {
        SyncError::NotConfigured => Code::NotConfigured,
        SyncError::Api(a) if a.is_auth() => Code::AuthFailed,
        SyncError::Api(ApiError::BadUrl(_)) => Code::NotConfigured,
        SyncError::Api(_) => Code::Unavailable,
        SyncError::Store(_) | SyncError::Stopped => Code::Internal,
    };
    CommandError::new(code, message)
}

impl Desk {
    pub async fn get_settings(&self) -> Result<SettingsView, CommandError> {
        let location_id = self
            .read(|c| repo::settings::get_setting(c, LOCATION_ID))
            .await?;
        let demo = self.is_demo();
        let (api_base_url, api_key_hint) = if demo {
            let guard = lock(&self.demo);
            let d = guard.as_ref();
            (
                d.map(|d| d.base_url.clone()),
                d.and_then(|d| d.key()).map(|k| k.hint()),
            )
        } else {
            match API_CREDENTIAL
                .load(self.store(), &self.secrets)
                .await?
                .map_err(|e| secret_error("the API key", e))?
            {
                Found::NoAddress => (None, None),
                Found::Address { url, secret } => (Some(url), secret.map(|k| k.hint())),
            }
        };
        let bridge = self.alerts.bridge_settings().await?;
        Ok(SettingsView {
            api_base_url,
            location_id,
            api_key_hint,
            demo,
            bridge_url: bridge.bridge_url,
            device_token_hint: bridge.device_token_hint,
        })
    }

    /// Saves the alert bridge address (settings) and, when given, this desk's device token (the
    /// OS keyring only). See [`crate::alerts::Alerts::save_bridge_settings`].
    pub async fn save_bridge_settings(
        &self,
        bridge_url: String,
        device_token: Option<Secret>,
    ) -> Result<SettingsView, CommandError> {
        self.alerts
            .save_bridge_settings(bridge_url, device_token)
            .await?;
        self.get_settings().await
    }

    /// Saves the API address and this desk's location in the settings, and a new key (when
    /// given) in the OS keyring only. Another address without a new key removes the saved key:
    /// a key is never sent to an address it was not entered for. Real settings replace the demo
    /// backend. A save that fails changes nothing.
    pub async fn save_settings(
        &self,
        api_base_url: String,
        location_id: Option<String>,
        api_key: Option<Secret>,
    ) -> Result<SettingsView, CommandError> {
        let mut fields = Vec::new();
        let url = match api::parse_base_url(&api_base_url) {
            Ok(url) => Some(address::display(&url)),
            Err(e) => {
                fields.push(("api_base_url".to_owned(), e.to_string()));
                None
            }
        };
        if api_key.as_ref().is_some_and(|k| k.is_empty()) {
            fields.push(("api_key".to_owned(), "Paste the whole API key".to_owned()));
        }
        let (Some(url), true) = (url, fields.is_empty()) else {
            return Err(CommandError::invalid_fields("Check the settings", fields));
        };
        let location_id = location_id
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty());
        let saved_url = url.clone();
        let actor = self.actor().await?;
        API_CREDENTIAL
            .save(
                self.store(),
                &self.secrets,
                url,
                api_key,
                move |tx, changed| {
                    match &location_id {
                        Some(l) => repo::settings::set_setting(tx, LOCATION_ID, l)?,
                        None => {
                            repo::settings::delete_setting(tx, LOCATION_ID)?;
                        }
                    }
                    if changed {
                        // Another server: refresh everything whole (rows it does not have go).
                        for r in Resource::ALL {
                            repo::sync_state::reset_sync_state(tx, r.name())?;
                        }
                    }
                    repo::audit::audit(
                        tx,
                        &actor,
                        "settings.save",
                        None,
                        Some(&json!({"api_base_url": saved_url, "address_changed": changed})),
                    )?;
                    Ok(())
                },
            )
            .await?;
        self.load_backend().await?;
        self.engine.reconfigure();
        self.get_settings().await
    }

    /// Says what the saved key can read and write (see [`connection_test`]).
    pub async fn test_connection(&self) -> Result<ConnectionTest, CommandError> {
        match self.shared.client() {
            Ok(client) => Ok(connection_test::test_connection(&client).await),
            Err(SyncError::NotConfigured) => Ok(ConnectionTest::failed(
                "Enter the API address and key first.",
            )),
            Err(e) => Err(sync_error(e)),
        }
    }
}
