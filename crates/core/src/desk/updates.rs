//! Signed updates (issue 15): the update address and the kiosk's quiet time (managers), the
//! checks (at start and every [`updates::CHECK_EVERY`], sleeping in between), the status Settings and the
//! console's banner show, installing when it may ([`updates::may_install_now`]), and an audit
//! line for every check that found something, every refusal and every install.
//!
//! Fetching, verifying and installing is the app shell's [`UpdateSource`] (tauri-plugin-updater,
//! the signature checked against the key built into the app); the desk decides when.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::clock;
use crate::errors::lock;
use crate::ipc::{Code, CommandError};
use crate::store::repo;
use crate::updates::{
    self, Found, InstallDecision, Place, Problem, Refusal, UpdateSource, DEFAULT_QUIET_TIME,
    UPDATE_ADDRESS, UPDATE_QUIET_TIME,
};

use super::Desk;

/// Where the desk stands with updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
#[ts(export)]
pub enum UpdateState {
    /// No update address: no checks.
    NotConfigured,
    /// An address, not asked yet.
    NotChecked,
    /// Nothing newer.
    UpToDate,
    /// A newer version, downloaded and its signature verified.
    Ready {
        version: String,
        notes: Option<String>,
    },
    /// The last check or install was refused.
    Refused {
        problem: Problem,
        version: Option<String>,
    },
    /// Installed: Loopdesk starts the new version.
    Installed { version: String },
}

/// What Settings and the console's banner show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct UpdateStatus {
    /// The update address (none: no checks).
    pub address: Option<String>,
    /// The kiosk's quiet time to install (`HH:MM`, the home's time).
    pub quiet_time: String,
    /// This Loopdesk's version.
    pub running_version: String,
    pub state: UpdateState,
    /// The state in words.
    pub message: String,
    /// When the last check was, with its day ("today at 10:00").
    pub checked: Option<String>,
    /// When the next check is due, with its day.
    pub next_check: Option<String>,
    /// Kiosk mode: installs at the quiet time, never asks.
    pub kiosk_mode: bool,
    /// How this copy is updated when it cannot install an update itself (in words).
    pub install_note: Option<String>,
    /// The console may offer "Install" now (a verified update, this copy can install it).
    pub may_install: bool,
}

/// Settings' update section, as saved.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct SaveUpdateSettings {
    /// Empty: no update address, no checks.
    pub address: String,
    /// `HH:MM`.
    pub quiet_time: String,
}

/// The desk's update bookkeeping (in memory: a restart checks again at once).
#[derive(Default)]
pub(super) struct UpdateTracker {
    source: Option<Arc<dyn UpdateSource>>,
    last_check: Option<DateTime<Utc>>,
    state: Option<UpdateState>,
}

impl Desk {
    /// Starts the update checks with `source` (the app shell's updater): at once, then every
    /// [`updates::CHECK_EVERY`], in a task of the desk that sleeps until the next check is due (or the
    /// kiosk's quiet time, with an update waiting), or until the settings change or a form
    /// closes.
    pub fn start_updates(self: &Arc<Self>, source: Arc<dyn UpdateSource>) {
        self.set_update_source(source);
        tokio::spawn(self.clone().update_loop());
    }

    /// The updater without the schedule: checks and installs only when asked (tests).
    pub fn set_update_source(&self, source: Arc<dyn UpdateSource>) {
        lock(&self.updates).source = Some(source);
    }

    /// The window tells the desk whether a form or a visitor's sign-in is open: nothing is
    /// installed while one is.
    pub fn set_form_open(&self, open: bool) {
        let was = self.form_open.swap(open, Ordering::SeqCst);
        if was && !open {
            self.update_wake.notify_one();
        }
    }

    /// The update section of Settings (and the console's banner).
    pub async fn update_status(&self) -> Result<UpdateStatus, CommandError> {
        let (address, quiet) = self.update_settings().await?;
        let zone = self.read(repo::settings::home_zone).await?;
        let now = self.clock.now();
        let (last_check, state, source) = {
            let t = lock(&self.updates);
            (t.last_check, t.state.clone(), t.source.clone())
        };
        let state = match (&address, state) {
            (None, _) => UpdateState::NotConfigured,
            (Some(_), None) => UpdateState::NotChecked,
            (Some(_), Some(s)) => s,
        };
        let running = crate::VERSION;
        let kiosk = self.kiosk_mode();
        let place = if kiosk { Place::Kiosk } else { Place::Console };
        let install_note = match &source {
            Some(s) => s.can_install(place).err(),
            None => Some("This copy of Loopdesk does not check for updates.".into()),
        };
        let message = match &state {
            UpdateState::NotConfigured => {
                "No update address is set, so Loopdesk does not check for updates.".into()
            }
            UpdateState::NotChecked => "Loopdesk has not checked for updates yet.".into(),
            UpdateState::UpToDate => format!("Loopdesk {running} is the newest version."),
            UpdateState::Ready { version, .. } if install_note.is_some() => {
                format!("Version {version} is available, and its signature is verified.")
            }
            UpdateState::Ready { version, .. } if kiosk => format!(
                "Version {version} is ready to install. This kiosk installs it at its quiet \
                 time, {}, when no visitor is signing in.",
                quiet.format("%H:%M")
            ),
            UpdateState::Ready { version, .. } => {
                format!("Version {version} is ready to install.")
            }
            UpdateState::Refused { problem, version } => {
                problem.message(version.as_deref(), running)
            }
            UpdateState::Installed { version } => {
                format!("Version {version} is installed. Loopdesk restarts to use it.")
            }
        };
        let may_install =
            matches!(state, UpdateState::Ready { .. }) && !kiosk && install_note.is_none();
        let next_check = address
            .as_ref()
            .map(|_| clock::when(updates::next_check(last_check, now).max(now), now, zone));
        Ok(UpdateStatus {
            address: address.map(|a| a.to_string()),
            quiet_time: quiet.format("%H:%M").to_string(),
            running_version: running.into(),
            state,
            message,
            checked: last_check.map(|t| clock::when(t, now, zone)),
            next_check,
            kiosk_mode: kiosk,
            install_note,
            may_install,
        })
    }

    /// Saves the update address and the quiet time (managers). An empty address turns the
    /// checks off; a new address is checked at once.
    pub async fn save_update_settings(
        &self,
        settings: SaveUpdateSettings,
    ) -> Result<UpdateStatus, CommandError> {
        let mut fields = Vec::new();
        let address = updates::parse_address(&settings.address)
            .map_err(|m| fields.push(("address".to_string(), m)))
            .ok()
            .flatten();
        let quiet = updates::parse_quiet_time(&settings.quiet_time)
            .map_err(|m| fields.push(("quiet_time".to_string(), m)))
            .ok();
        let Some(quiet) = quiet.filter(|_| fields.is_empty()) else {
            return Err(CommandError::invalid_fields(
                "Check the update settings",
                fields,
            ));
        };
        let (before, _) = self.update_settings().await?;
        let actor = self.actor().await?;
        let value = address.as_ref().map(|a| a.to_string());
        let audited = json!({
            "address": value,
            "quiet_time": quiet.format("%H:%M").to_string(),
        });
        self.save(move |tx| {
            match &value {
                Some(v) => repo::settings::set_setting(tx, UPDATE_ADDRESS, v)?,
                None => {
                    repo::settings::delete_setting(tx, UPDATE_ADDRESS)?;
                }
            }
            repo::settings::set_setting(tx, UPDATE_QUIET_TIME, &quiet.format("%H:%M").to_string())?;
            repo::audit::audit(tx, &actor, "update.settings", None, Some(&audited))?;
            Ok(())
        })
        .await?;
        if before != address {
            // A new address: what the old one said no longer holds; ask the new one now.
            let mut t = lock(&self.updates);
            t.last_check = None;
            t.state = None;
        }
        self.update_wake.notify_one();
        self.update_status().await
    }

    /// "Check now" (managers): asks the update address at once, and says what it found.
    pub async fn check_for_update(&self) -> Result<UpdateStatus, CommandError> {
        let actor = self.actor().await?;
        self.run_update_check(&actor).await?;
        self.update_status().await
    }

    /// "Install" on the console's banner: the person asked. Never while a form is open, never
    /// in kiosk mode (the kiosk installs at its quiet time).
    pub async fn install_update(&self) -> Result<UpdateStatus, CommandError> {
        let actor = self.actor().await?;
        let place = if self.kiosk_mode() {
            Place::Kiosk
        } else {
            Place::Console
        };
        let (_, quiet) = self.update_settings().await?;
        let zone = self.read(repo::settings::home_zone).await?;
        let decision = updates::may_install_now(
            place,
            self.clock.now(),
            zone,
            quiet,
            self.form_open.load(Ordering::SeqCst),
            true,
        );
        match decision {
            InstallDecision::Now => {}
            InstallDecision::WaitForForm => {
                return Err(CommandError::new(
                    Code::InvalidInput,
                    "Finish or close the open form first, then install the update.",
                ))
            }
            InstallDecision::AskPerson | InstallDecision::WaitForQuietTime(_) => {
                return Err(CommandError::new(
                    Code::InvalidInput,
                    "This kiosk installs updates at its quiet time, not now.",
                ))
            }
        }
        self.install_ready(&actor, place).await?;
        self.update_status().await
    }

    /// The update address and the quiet time from the settings.
    async fn update_settings(&self) -> Result<(Option<reqwest::Url>, NaiveTime), CommandError> {
        self.read(|c| {
            let address = repo::settings::get_setting(c, UPDATE_ADDRESS)?;
            let quiet = repo::settings::get_setting(c, UPDATE_QUIET_TIME)?;
            Ok((address, quiet))
        })
        .await
        .map(|(address, quiet)| {
            (
                address.and_then(|a| updates::parse_address(&a).ok().flatten()),
                quiet
                    .and_then(|q| updates::parse_quiet_time(&q).ok())
                    .unwrap_or(DEFAULT_QUIET_TIME),
            )
        })
    }

    /// One check: asks the address, keeps what it found, and writes the audit line for
    /// anything found or refused.
    async fn run_update_check(&self, actor: &str) -> Result<(), CommandError> {
        // One check at a time: the schedule's and a manager's "Check now" never overlap.
        let _one = self.update_check.lock().await;
        let (address, _) = self.update_settings().await?;
        let source = lock(&self.updates).source.clone();
        let (Some(address), Some(source)) = (address, source) else {
            return Err(CommandError::new(
                Code::NotConfigured,
                "Set an update address first.",
            ));
        };
        // The check's time is when it was asked: the next one is due four hours after that,
        // however long the answer took (and whatever the clock did meanwhile).
        let now = self.clock.now();
        let found = source.check(address.clone()).await;
        let running = crate::VERSION;
        let host = address.host_str().unwrap_or_default().to_string();
        let (state, audit) = match found {
            Ok(Found::Nothing) => (UpdateState::UpToDate, None),
            Ok(Found::NotNewer { version }) if version == running => (UpdateState::UpToDate, None),
            Ok(Found::NotNewer { version }) => (
                UpdateState::Refused {
                    problem: Problem::NotNewer,
                    version: Some(version.clone()),
                },
                Some((
                    "update.refused",
                    json!({"reason": Problem::NotNewer, "version": version, "running": running,
                           "server": host}),
                )),
            ),
            Ok(Found::Ready { version, notes }) => (
                UpdateState::Ready {
                    version: version.clone(),
                    notes,
                },
                Some((
                    "update.found",
                    json!({"version": version, "running": running, "server": host}),
                )),
            ),
            Err(Refusal { problem, version }) => (
                UpdateState::Refused {
                    problem,
                    version: version.clone(),
                },
                Some((
                    "update.refused",
                    json!({"reason": problem, "version": version, "running": running,
                           "server": host}),
                )),
            ),
        };
        tracing::info!(?state, "update check");
        if let Some((action, detail)) = audit {
            self.write_update_audit(actor, action, detail).await?;
        }
        let mut t = lock(&self.updates);
        t.last_check = Some(now);
        t.state = Some(state);
        Ok(())
    }

    /// Installs the verified update (the decision is made), writes the audit line, and asks
    /// the app to start the new version.
    async fn install_ready(&self, actor: &str, place: Place) -> Result<(), CommandError> {
        let (state, source) = {
            let t = lock(&self.updates);
            (t.state.clone(), t.source.clone())
        };
        let (Some(UpdateState::Ready { version, .. }), Some(source)) = (state, source) else {
            return Err(CommandError::new(
                Code::NotFound,
                "There is no update ready to install.",
            ));
        };
        let running = crate::VERSION;
        let outcome = match source.can_install(place) {
            Err(_) => Err(Refusal::new(
                Problem::CannotInstallHere,
                Some(version.clone()),
            )),
            Ok(()) => source.install(version.clone()).await,
        };
        match outcome {
            Ok(()) => {
                self.write_update_audit(
                    actor,
                    "update.installed",
                    json!({"version": version, "from": running}),
                )
                .await?;
                lock(&self.updates).state = Some(UpdateState::Installed {
                    version: version.clone(),
                });
                tracing::info!(version, "update installed; restarting");
                source.restart();
                Ok(())
            }
            Err(Refusal { problem, .. }) => {
                self.write_update_audit(
                    actor,
                    "update.refused",
                    json!({"reason": problem, "version": version, "running": running}),
                )
                .await?;
                let message = problem.message(Some(&version), running);
                lock(&self.updates).state = Some(UpdateState::Refused {
                    problem,
                    version: Some(version),
                });
                Err(CommandError::new(Code::Unavailable, message))
            }
        }
    }

    async fn write_update_audit(
        &self,
        actor: &str,
        action: &'static str,
        detail: serde_json::Value,
    ) -> Result<(), CommandError> {
        let actor = actor.to_string();
        self.save(move |tx| {
            repo::audit::audit(tx, &actor, action, None, Some(&detail))?;
            Ok(())
        })
        .await
    }

    /// The desk's update task: a check when one is due; on a kiosk with a verified update, the
    /// install at the quiet time when no visitor flow is open. Sleeps until the next of those
    /// (never waking more often), or until the settings change, a form closes, or the desk's
    /// clock is moved.
    async fn update_loop(self: Arc<Self>) {
        let mut moves = self.clock.moves();
        loop {
            let wake_at = match self.update_pass().await {
                Ok(at) => at,
                Err(e) => {
                    tracing::warn!(error = %e.message, "the update check could not run");
                    Some(self.clock.now() + chrono::TimeDelta::minutes(10))
                }
            };
            let wait = wake_at.map(|t| (t - self.clock.now()).to_std().unwrap_or_default());
            let moved = crate::clock::moved(&mut moves);
            let timer = crate::clock::sleep_for(wait);
            tokio::select! {
                _ = self.shutdown.cancelled() => return,
                _ = timer => {}
                _ = self.update_wake.notified() => {}
                _ = moved => {}
            }
        }
    }

    /// What is due now, done; and when to look again (`None`: only when woken).
    async fn update_pass(&self) -> Result<Option<DateTime<Utc>>, CommandError> {
        let (address, quiet) = self.update_settings().await?;
        if address.is_none() {
            return Ok(None);
        }
        let now = self.clock.now();
        let last = lock(&self.updates).last_check;
        if updates::next_check(last, now) <= now {
            if let Err(e) = self.run_update_check("system").await {
                tracing::warn!(error = %e.message, "update check");
            }
        }
        let now = self.clock.now();
        let last = lock(&self.updates).last_check.unwrap_or(now);
        let mut wake_at = updates::next_check(Some(last), now);
        let (ready, source) = {
            let t = lock(&self.updates);
            (
                matches!(t.state, Some(UpdateState::Ready { .. })),
                t.source.clone(),
            )
        };
        // A kiosk that cannot install by itself (a Debian package: apt updates it) says so in
        // Settings and does not try each night.
        let can = source.is_some_and(|s| s.can_install(Place::Kiosk).is_ok());
        if ready && can && self.kiosk_mode() {
            let zone = self.read(repo::settings::home_zone).await?;
            match updates::may_install_now(
                Place::Kiosk,
                now,
                zone,
                quiet,
                self.form_open.load(Ordering::SeqCst),
                false,
            ) {
                InstallDecision::Now => {
                    if let Err(e) = self.install_ready("system", Place::Kiosk).await {
                        tracing::warn!(error = %e.message, "the kiosk's update was not installed");
                    }
                }
                InstallDecision::WaitForQuietTime(at) => wake_at = wake_at.min(at),
                // Woken when the form closes.
                InstallDecision::WaitForForm | InstallDecision::AskPerson => {}
            }
        }
        Ok(Some(wake_at))
    }
}
