//! Shared helpers for Loopdesk's cross-component tests.
//!
//! [`window`] drives the real app window through WebDriver (tauri-driver → WebKitWebDriver)
//! under Xvfb, with a temporary data folder per test, and checks each screen it shows with
//! axe-core ([`accessibility`]).

pub mod accessibility;
pub mod webdriver;
pub mod window;
