//! A secret and the address it was entered for: the CareLoop API key with the CareLoop address,
//! the bridge device token with the bridge address.
//!
//! The secret lives in the OS keyring ([`SecretStore`]); the address in the settings; and beside
//! it, in the settings too, the address the secret was entered for. A secret is only ever used
//! with that address: saving another address without a new secret removes the old one from the
//! keyring, and a secret whose address does not match the one in use is not read at all, so a
//! key is never sent to an address it was not entered for.
//!
//! A save is all or nothing: the keyring is changed first (if that fails, nothing is), then the
//! settings in one transaction (if that fails, the keyring is put back as it was).

use std::sync::Arc;

use rusqlite::{Connection, Transaction};

use crate::errors::{blocking, secret_error};
use crate::ipc::CommandError;
use crate::secret::Secret;
use crate::secrets::{SecretError, SecretStore};
use crate::store::repo::settings;
use crate::Store;

/// Where one secret and its address are kept.
#[derive(Debug, Clone, Copy)]
pub struct Credential {
    /// The keyring entry.
    pub entry: &'static str,
    /// The setting holding the address in use.
    pub address: &'static str,
    /// The setting holding the address the secret was entered for.
    pub bound_to: &'static str,
    /// The secret in words ("the API key").
    pub what: &'static str,
}

/// What reading a credential found.
#[derive(Debug, Clone)]
pub enum Found {
    /// No address saved.
    NoAddress,
    /// An address, and the secret entered for it (none when none was entered for it).
    Address { url: String, secret: Option<Secret> },
}

impl Credential {
    /// The address in use and its secret. A secret saved before secrets were bound to an
    /// address (an older Loopdesk) is bound to the address in use now.
    pub async fn load(
        &self,
        store: &Arc<Store>,
        secrets: &Arc<dyn SecretStore>,
    ) -> Result<Result<Found, SecretError>, CommandError> {
        let me = *self;
        let (url, bound) = crate::store::blocking(store, move |s| {
            s.read(|c| Ok((me.address_in(c)?, settings::get_setting(c, me.bound_to)?)))
        })
        .await?;
        let Some(url) = url else {
            return Ok(Ok(Found::NoAddress));
        };
        if bound.as_deref().is_some_and(|b| b != url) {
            // Entered for another address: never read, never sent.
            return Ok(Ok(Found::Address { url, secret: None }));
        }
        let secrets = secrets.clone();
        let entry = self.entry;
        let secret = match blocking(move || secrets.get(entry)).await? {
            Ok(s) => s.filter(|s| !s.is_empty()),
            Err(e) => return Ok(Err(e)),
        };
        if bound.is_none() && secret.is_some() {
            let (address, bound_to) = (url.clone(), self.bound_to);
            crate::store::blocking(store, move |s| {
                s.write(|tx| settings::set_setting(tx, bound_to, &address))
            })
            .await?;
        }
        Ok(Ok(Found::Address { url, secret }))
    }

    /// The address in use.
    pub fn address_in(&self, c: &Connection) -> crate::store::Result<Option<String>> {
        settings::get_setting(c, self.address)
    }

    /// Saves `url` (already checked) and, when given, a new `secret` for it; `write` adds what
    /// else the save changes, in the same transaction (it is told whether the address
    /// changed). Another address without a new secret removes the old secret.
    pub async fn save<R: Send + 'static>(
        &self,
        store: &Arc<Store>,
        secrets: &Arc<dyn SecretStore>,
        url: String,
        secret: Option<Secret>,
        write: impl FnOnce(&Transaction<'_>, bool) -> Result<R, CommandError> + Send + 'static,
    ) -> Result<R, CommandError> {
        let me = *self;
        let previous = crate::store::blocking(store, move |s| s.read(|c| me.address_in(c))).await?;
        let changed = previous.as_deref() != Some(url.as_str());
        // The keyring first: if it cannot be changed, nothing is.
        let change = match (&secret, changed) {
            (Some(s), _) => Some(Some(s.clone())),
            (None, true) => Some(None),
            (None, false) => None,
        };
        let before = match change {
            Some(change) => Some(self.replace(secrets, change).await?),
            None => None,
        };
        let entered = secret.is_some();
        let saved = url.clone();
        let written = crate::store::blocking(store, move |s| {
            s.transact(|tx| {
                settings::set_setting(tx, me.address, &saved)?;
                if entered {
                    settings::set_setting(tx, me.bound_to, &saved)?;
                } else if changed {
                    settings::delete_setting(tx, me.bound_to)?;
                }
                write(tx, changed)
            })
        })
        .await;
        if written.is_err() {
            if let Some(before) = before {
                // Put the keyring back as it was; the failed save has changed nothing.
                if let Err(e) = self.replace(secrets, before).await {
                    tracing::error!(error = %e.message, what = self.what, "keyring not restored");
                }
            }
        }
        written
    }

    /// Sets (`Some`) or removes (`None`) the secret; returns what was there before.
    async fn replace(
        &self,
        secrets: &Arc<dyn SecretStore>,
        value: Option<Secret>,
    ) -> Result<Option<Secret>, CommandError> {
        let (secrets, entry) = (secrets.clone(), self.entry);
        blocking(move || {
            let before = secrets.get(entry)?;
            match &value {
                Some(v) => secrets.set(entry, v)?,
                None => secrets.delete(entry)?,
            }
            Ok(before)
        })
        .await?
        .map_err(|e| secret_error(self.what, e))
    }
}
