//! Signed updates (issue 15): the commands of Settings' update section and of the console's
//! banner, and the desk's [`UpdateSource`] over tauri-plugin-updater. When to check and install,
//! the status and the audit lines are `loopdesk_core::desk::updates`; here the plugin fetches the
//! update information, downloads the file and verifies its minisign signature against the
//! public key built into the app (`src-tauri/keys/update.pub`), and installs it.
//!
//! A build with the `demo` feature (never a release) trusts the key in
//! `LOOPDESK_UPDATE_TEST_PUBKEY` instead, when it is set: the tests sign their updates with a
//! key of their own.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use loopdesk_core::desk::updates::{SaveUpdateSettings, UpdateStatus};
use loopdesk_core::desk::Desk;
use loopdesk_core::ipc::CommandError;
use loopdesk_core::updates::{BoxFuture, Found, Place, Problem, Refusal, UpdateSource};
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_updater::{Error as UpdaterError, Update, UpdaterExt};

use crate::AppState;

/// The public key updates are signed with (minisign, as `tauri signer generate` writes it,
/// base64): the release manager holds its private key, never this repository.
pub const BUILT_IN_KEY: &str = include_str!("../keys/update.pub");

/// With the `demo` feature only: a key the tests sign their updates with.
#[cfg(feature = "demo")]
pub const TEST_KEY_ENV: &str = "LOOPDESK_UPDATE_TEST_PUBKEY";

/// The key an update's signature must verify with.
pub fn trusted_key() -> String {
    #[cfg(feature = "demo")]
    if let Some(key) = std::env::var(TEST_KEY_ENV)
        .ok()
        .filter(|k| !k.trim().is_empty())
    {
        return key.trim().to_string();
    }
    BUILT_IN_KEY.trim().to_string()
}

/// The updater plugin, with the built-in key. Its own commands are not in the window's
/// capabilities: the window goes through the commands below.
///
/// `tauri.conf.json` turns the plugin's `dangerousInsecureTransportProtocol` on, so that a
/// release build too can use an update server on this computer over `http`: which addresses
/// are allowed is Loopdesk's rule (`loopdesk_core::updates::parse_address`: `https`, or `http`
/// only for 127.0.0.1 and localhost), and every file is checked against its signature whatever
/// carried it.
pub fn plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R, tauri_plugin_updater::Config> {
    tauri_plugin_updater::Builder::new()
        .pubkey(trusted_key())
        .build()
}

/// How the app's updater works.
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// For the update information and for the download, each.
    pub timeout: Duration,
    /// Where a verified download waits for its install.
    pub download_dir: PathBuf,
    /// The file an install replaces, instead of the running AppImage (tests).
    pub install_to: Option<PathBuf>,
    /// Start the new version after an install (not in tests).
    pub restart: bool,
    /// Check at start and every few hours (tests check only when they ask).
    pub schedule: bool,
}

impl UpdateOptions {
    pub fn new(data_dir: &std::path::Path) -> Self {
        Self {
            timeout: Duration::from_secs(30),
            download_dir: data_dir.join("updates"),
            install_to: None,
            restart: true,
            schedule: true,
        }
    }
}

/// Starts the desk's update checks over the plugin (see [`UpdateOptions::schedule`]).
pub fn start_updates<R: Runtime>(app: &AppHandle<R>, desk: &Arc<Desk>, options: UpdateOptions) {
    let source = Arc::new(PluginSource {
        app: app.clone(),
        options,
        ready: Arc::default(),
    });
    if !source.options.schedule {
        desk.set_update_source(source);
        return;
    }
    let desk = desk.clone();
    tauri::async_runtime::spawn(async move { desk.start_updates(source) });
}

#[tauri::command]
pub async fn update_status(state: State<'_, AppState>) -> Result<UpdateStatus, CommandError> {
    state.desk_as("update_status").await?.update_status().await
}

#[tauri::command]
pub async fn save_update_settings(
    state: State<'_, AppState>,
    settings: SaveUpdateSettings,
) -> Result<UpdateStatus, CommandError> {
    state
        .desk_as("save_update_settings")
        .await?
        .save_update_settings(settings)
        .await
}

#[tauri::command]
pub async fn check_for_update(state: State<'_, AppState>) -> Result<UpdateStatus, CommandError> {
    state
        .desk_as("check_for_update")
        .await?
        .check_for_update()
        .await
}

#[tauri::command]
pub async fn install_update(state: State<'_, AppState>) -> Result<UpdateStatus, CommandError> {
    state
        .desk_as("install_update")
        .await?
        .install_update()
        .await
}

/// The window says whether a form or a visitor's sign-in is open (nothing installs meanwhile).
#[tauri::command]
pub async fn set_form_open(state: State<'_, AppState>, open: bool) -> Result<(), CommandError> {
    state.desk_as("set_form_open").await?.set_form_open(open);
    Ok(())
}

/// The updater plugin as the desk's [`UpdateSource`].
struct PluginSource<R: Runtime> {
    app: AppHandle<R>,
    options: UpdateOptions,
    /// The last verified update and where its file waits.
    ready: Arc<Mutex<Option<(Update, PathBuf)>>>,
}

impl<R: Runtime> UpdateSource for PluginSource<R> {
    fn check(&self, address: tauri::Url) -> BoxFuture<Result<Found, Refusal>> {
        let app = self.app.clone();
        let options = self.options.clone();
        let ready = self.ready.clone();
        Box::pin(async move {
            // The version the server offered, also when it is not newer (the plugin then
            // answers "no update").
            let offered: Arc<Mutex<Option<String>>> = Arc::default();
            let seen = offered.clone();
            let mut builder = app
                .updater_builder()
                .pubkey(trusted_key())
                .timeout(options.timeout)
                .version_comparator(move |current, release| {
                    *lock(&seen) = Some(release.version.to_string());
                    release.version > current
                })
                .endpoints(vec![address])
                .map_err(|e| refused(check_problem(&e), None, &e))?;
            if let Some(path) = &options.install_to {
                builder = builder.executable_path(path);
            }
            let updater = builder
                .build()
                .map_err(|e| refused(check_problem(&e), None, &e))?;
            let update = match updater.check().await {
                Ok(Some(update)) => update,
                Ok(None) => {
                    return Ok(match lock(&offered).take() {
                        Some(version) => Found::NotNewer { version },
                        None => Found::Nothing,
                    })
                }
                Err(e) => return Err(refused(check_problem(&e), lock(&offered).take(), &e)),
            };
            let mut update = update;
            update.timeout = Some(options.timeout);
            let version = update.version.clone();
            let notes = update.body.clone();
            // Downloaded and verified now, so Settings says at once whether it can be had.
            let bytes = update
                .download(|_, _| {}, || {})
                .await
                .map_err(|e| refused(download_problem(&e), Some(version.clone()), &e))?;
            let file = options
                .download_dir
                .join(format!("loopdesk-{version}.update"));
            let kept = std::fs::create_dir_all(&options.download_dir)
                .and_then(|()| std::fs::write(&file, &bytes));
            if let Err(e) = kept {
                tracing::error!(error = %e, file = %file.display(), "the verified update could not be kept");
                return Err(Refusal::new(Problem::InstallFailed, Some(version)));
            }
            let before = lock(&ready).replace((update, file.clone()));
            if let Some((_, old)) = before.filter(|(_, old)| *old != file) {
                let _ = std::fs::remove_file(old);
            }
            Ok(Found::Ready { version, notes })
        })
    }

    fn install(&self, version: String) -> BoxFuture<Result<(), Refusal>> {
        let ready = lock(&self.ready).take();
        Box::pin(async move {
            let Some((update, file)) = ready.filter(|(u, _)| u.version == version) else {
                return Err(Refusal::new(Problem::InstallFailed, Some(version)));
            };
            let installed = tauri::async_runtime::spawn_blocking(move || {
                let bytes = std::fs::read(&file).map_err(UpdaterError::Io)?;
                // `install` verifies the file against the signature again before it is used.
                let done = update.install(bytes);
                let _ = std::fs::remove_file(&file);
                done
            })
            .await;
            match installed {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(refused(install_problem(&e), Some(version), &e)),
                Err(e) => {
                    tracing::error!(error = %e, "the install stopped");
                    Err(Refusal::new(Problem::InstallFailed, Some(version)))
                }
            }
        })
    }

    fn can_install(&self, place: Place) -> Result<(), String> {
        use tauri::utils::{config::BundleType, platform::bundle_type};
        if self.options.install_to.is_some() {
            return Ok(());
        }
        match (bundle_type(), place) {
            (Some(BundleType::AppImage), _) => Ok(()),
            // The plugin installs a .deb with an elevated dpkg (pkexec asks for an
            // administrator's password): never in front of visitors.
            (Some(BundleType::Deb), Place::Console) => Ok(()),
            (Some(BundleType::Deb), Place::Kiosk) => Err(
                "This kiosk was installed from a Debian package, which only an administrator \
                 can update: update it with apt (an apt repository with unattended upgrades), \
                 or run the AppImage, which updates itself."
                    .into(),
            ),
            _ => Err(
                "This copy of Loopdesk was not installed from a package, so it cannot install \
                 updates itself."
                    .into(),
            ),
        }
    }

    fn restart(&self) {
        if self.options.restart {
            self.app.request_restart();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A refusal, logged with the plugin's own words (never shown to a person).
fn refused(problem: Problem, version: Option<String>, e: &UpdaterError) -> Refusal {
    tracing::warn!(error = %e, ?problem, ?version, "update refused");
    Refusal::new(problem, version)
}

/// Asking for the update information.
fn check_problem(e: &UpdaterError) -> Problem {
    match e {
        UpdaterError::Reqwest(r) if r.is_timeout() => Problem::TimedOut,
        UpdaterError::Reqwest(r) if r.is_decode() || r.is_body() => Problem::Garbage,
        UpdaterError::Reqwest(_) | UpdaterError::Io(_) => Problem::Unreachable,
        // Every address answered with something other than a 2xx (404, 500).
        UpdaterError::ReleaseNotFound | UpdaterError::Network(_) => Problem::ServerError,
        UpdaterError::TargetNotFound(_) | UpdaterError::TargetsNotFound(_) => {
            Problem::NoBuildForThisComputer
        }
        UpdaterError::UnsupportedArch | UpdaterError::UnsupportedOs => {
            Problem::NoBuildForThisComputer
        }
        _ => Problem::Garbage,
    }
}

/// Downloading and verifying the file.
fn download_problem(e: &UpdaterError) -> Problem {
    match e {
        UpdaterError::Reqwest(r) if r.is_timeout() => Problem::TimedOut,
        UpdaterError::Reqwest(r) if r.is_connect() => Problem::Unreachable,
        // The answer began and then stopped (the connection closed before its length).
        UpdaterError::Reqwest(_) => Problem::Truncated,
        UpdaterError::Io(_) => Problem::Unreachable,
        UpdaterError::Network(_) => Problem::ServerError,
        UpdaterError::Minisign(minisign_verify::Error::UnexpectedKeyId) => Problem::WrongKey,
        _ => Problem::BadSignature,
    }
}

/// Installing the verified file.
fn install_problem(e: &UpdaterError) -> Problem {
    match e {
        UpdaterError::Minisign(minisign_verify::Error::UnexpectedKeyId) => Problem::WrongKey,
        UpdaterError::Minisign(_)
        | UpdaterError::Base64(_)
        | UpdaterError::SignatureUtf8(_)
        | UpdaterError::SignedVersionMismatch { .. }
        | UpdaterError::MissingSignedVersion => Problem::BadSignature,
        _ => Problem::InstallFailed,
    }
}
