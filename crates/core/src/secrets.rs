//! Where secrets live: the OS keyring (`keyring` crate; on Linux the Secret Service, which
//! keeps them across reboots), behind a small trait so that tests that are not about the
//! keyring, and the demo, can keep a key in memory instead.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::secret::Secret;

/// The keyring service name Loopdesk's entries are filed under.
pub const SERVICE: &str = "loopdesk";
/// The entry holding the CareLoop API key.
pub const API_KEY: &str = "careloop-api-key";
/// The entry holding the data file's key (64 hex digits, 256 random bits; see
/// `store::encryption`).
pub const DATA_FILE_KEY: &str = "data-file-key";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The OS keyring is missing, locked or refused (message for the person at the desk).
    #[error("the system keyring is not available: {0}")]
    Unavailable(String),
}

/// A place to keep secrets by name. Implementations may block (D-Bus): call them from a
/// blocking context (`spawn_blocking`).
pub trait SecretStore: Send + Sync + std::fmt::Debug {
    fn get(&self, name: &str) -> Result<Option<Secret>, SecretError>;
    fn set(&self, name: &str, value: &Secret) -> Result<(), SecretError>;
    /// Removes the secret; removing an absent one is not an error.
    fn delete(&self, name: &str) -> Result<(), SecretError>;
}

/// The OS keyring.
#[derive(Debug, Clone)]
pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(&self.service, name).map_err(unavailable)
    }
}

impl Default for KeyringStore {
    fn default() -> Self {
        Self::new(SERVICE)
    }
}

fn unavailable(e: keyring::Error) -> SecretError {
    // keyring's messages name the platform problem, never the secret.
    SecretError::Unavailable(e.to_string())
}

impl SecretStore for KeyringStore {
    fn get(&self, name: &str) -> Result<Option<Secret>, SecretError> {
        match self.entry(name)?.get_password() {
            Ok(v) => Ok(Some(Secret::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    fn set(&self, name: &str, value: &Secret) -> Result<(), SecretError> {
        self.entry(name)?
            .set_password(value.expose())
            .map_err(unavailable)
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// A secret store whose every call gives up after `limit`: a locked keyring may show its own
/// password prompt and wait for it, and a desk left unattended (a kiosk after a restart) must
/// still come to a screen that says what is wrong. The call goes on in its thread; its answer,
/// if it comes late, is dropped (a person then uses "Try again").
#[derive(Debug, Clone)]
pub struct TimeLimited {
    inner: std::sync::Arc<dyn SecretStore>,
    limit: std::time::Duration,
}

impl TimeLimited {
    pub fn new(inner: std::sync::Arc<dyn SecretStore>, limit: std::time::Duration) -> Self {
        Self { inner, limit }
    }

    fn call<R: Send + 'static>(
        &self,
        what: &'static str,
        f: impl FnOnce(&dyn SecretStore) -> Result<R, SecretError> + Send + 'static,
    ) -> Result<R, SecretError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let inner = self.inner.clone();
        std::thread::Builder::new()
            .name(format!("keyring {what}"))
            .spawn(move || {
                let _ = tx.send(f(inner.as_ref()));
            })
            .map_err(|e| SecretError::Unavailable(e.to_string()))?;
        rx.recv_timeout(self.limit).unwrap_or_else(|_| {
            tracing::warn!(limit = ?self.limit, what, "the keyring did not answer in time");
            Err(SecretError::Unavailable(
                "the keyring did not answer in time".into(),
            ))
        })
    }
}

impl SecretStore for TimeLimited {
    fn get(&self, name: &str) -> Result<Option<Secret>, SecretError> {
        let name = name.to_owned();
        self.call("get", move |s| s.get(&name))
    }

    fn set(&self, name: &str, value: &Secret) -> Result<(), SecretError> {
        let (name, value) = (name.to_owned(), value.clone());
        self.call("set", move |s| s.set(&name, &value))
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        let name = name.to_owned();
        self.call("delete", move |s| s.delete(&name))
    }
}

/// Secrets in memory, gone when the process ends: for the demo backend and for tests that are
/// not about the keyring.
#[derive(Debug, Default)]
pub struct MemorySecretStore {
    values: Mutex<HashMap<String, Secret>>,
}

impl MemorySecretStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store already holding the API key.
    pub fn with_api_key(key: Secret) -> Self {
        let store = Self::default();
        store.lock().insert(API_KEY.to_owned(), key);
        store
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Secret>> {
        crate::errors::lock(&self.values)
    }
}

impl SecretStore for MemorySecretStore {
    fn get(&self, name: &str) -> Result<Option<Secret>, SecretError> {
        Ok(self.lock().get(name).cloned())
    }

    fn set(&self, name: &str, value: &Secret) -> Result<(), SecretError> {
        self.lock().insert(name.to_owned(), value.clone());
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), SecretError> {
        self.lock().remove(name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A keyring that waits (for a password prompt nobody answers).
    #[derive(Debug)]
    struct Waiting;

    impl SecretStore for Waiting {
        fn get(&self, _: &str) -> Result<Option<Secret>, SecretError> {
            std::thread::sleep(std::time::Duration::from_secs(5));
            Ok(None)
        }
        fn set(&self, _: &str, _: &Secret) -> Result<(), SecretError> {
            self.get("").map(|_| ())
        }
        fn delete(&self, _: &str) -> Result<(), SecretError> {
            self.get("").map(|_| ())
        }
    }

    #[test]
    fn a_keyring_that_does_not_answer_is_unavailable_in_time() {
        let limited = TimeLimited::new(
            std::sync::Arc::new(Waiting),
            std::time::Duration::from_millis(50),
        );
        // The store itself would answer `Ok(None)`, after the limit.
        assert!(matches!(
            limited.get(DATA_FILE_KEY),
            Err(SecretError::Unavailable(_))
        ));
        let answering = TimeLimited::new(
            std::sync::Arc::new(MemorySecretStore::new()),
            std::time::Duration::from_secs(30),
        );
        answering.set(API_KEY, &Secret::new("k")).unwrap();
        assert_eq!(answering.get(API_KEY).unwrap().unwrap().expose(), "k");
    }

    #[test]
    fn memory_store_round_trips_and_deletes() {
        let s = MemorySecretStore::new();
        assert!(s.get(API_KEY).unwrap().is_none());
        s.set(API_KEY, &Secret::new("cl_test_abcdefghijkl4f9e"))
            .unwrap();
        assert_eq!(s.get(API_KEY).unwrap().unwrap().hint(), "…4f9e");
        s.delete(API_KEY).unwrap();
        s.delete(API_KEY).unwrap();
        assert!(s.get(API_KEY).unwrap().is_none());
    }
}
