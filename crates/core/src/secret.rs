//! Secrets (the API key, the bridge device token): never logged, never shown whole.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// A secret string whose `Debug` and `Display` show at most a hint ("…4f9e"), so it can pass
/// through `tracing` fields and error messages without leaking.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The whole secret, for the one place that needs it (an HTTP header, the keyring).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The last four characters, for "key saved, ends in …4f9e". Short secrets show nothing.
    pub fn hint(&self) -> String {
        let s = self.expose();
        let count = s.chars().count();
        if count < 12 {
            return "…".to_owned();
        }
        let tail: String = s.chars().skip(count - 4).collect();
        format!("…{tail}")
    }

    pub fn is_empty(&self) -> bool {
        self.expose().trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.hint())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_shows_the_secret() {
        let s = Secret::new("cl_live_abcdefghijklmnop4f9e");
        assert_eq!(format!("{s}"), "…4f9e");
        assert_eq!(format!("{s:?}"), "Secret(…4f9e)");
        assert_eq!(s.expose(), "cl_live_abcdefghijklmnop4f9e");
    }

    #[test]
    fn short_secrets_show_no_characters() {
        assert_eq!(Secret::new("abc").hint(), "…");
    }
}
