//! Alerts through the polling bridge.
//!
//! A desk behind a care home's router cannot receive webhooks; `loopdesk-bridge` receives them and
//! the [`Alerts`] service long-polls its feed (`GET /v1/events`) with this desk's device token:
//!
//! * every event is stored once (`bridge_events`, unique id), and the feed cursor is saved in the
//!   same transaction as the whole batch — a desk stopped at any moment neither loses nor repeats
//!   an event;
//! * `incident.critical` and `visit.no_show` raise an alert that stays until a staff member
//!   acknowledges it (who and when, once, in the audit log too);
//! * other events ask the sync engine to refresh the cache they change;
//! * the feed's state is `arriving` while polls succeed and `not_arriving` when the last good
//!   poll is older than [`AlertsConfig::stale_after`] (or there was none): silence must never
//!   look like safety. When the bridge cannot be reached the poller backs off, doubling up to
//!   [`AlertsConfig::retry_max`].
//!
//! Changes are broadcast as [`AlertEvent`]s for the app to forward to the webview.

pub mod compose;
mod poller;

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use tokio::sync::{broadcast, Notify};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::credentials::{Credential, Found};
use crate::errors::lock;

use crate::ipc::{Code, CommandError};
use crate::secret::Secret;
use crate::secrets::SecretStore;
use crate::store::repo::{self, alerts::Alert};
use crate::sync::Resource;
use crate::Store;

/// Setting names (not secret).
pub mod settings {
    /// The bridge's base URL, e.g. `https://bridge.example.org`.
    pub const BRIDGE_URL: &str = "bridge_url";
    /// The feed cursor: the last `next_cursor` whose whole batch is stored.
    pub const BRIDGE_CURSOR: &str = "bridge_cursor";
    /// The bridge the cursor belongs to (a cursor means nothing to another bridge).
    pub const BRIDGE_CURSOR_URL: &str = "bridge_cursor_url";
    /// The bridge address the saved device token was entered for (it is sent to no other).
    pub const BRIDGE_AUTH_URL: &str = "bridge_auth_url";
}

/// The device token and the bridge address it belongs to.
pub const BRIDGE_CREDENTIAL: Credential = Credential {
    entry: DEVICE_TOKEN,
    address: settings::BRIDGE_URL,
    bound_to: settings::BRIDGE_AUTH_URL,
    what: "the device token",
};

/// The keyring entry holding this desk's bridge device token.
pub const DEVICE_TOKEN: &str = "bridge-device-token";

/// How many alerts `recent` lists.
pub const RECENT_LIMIT: u32 = 100;

/// Whether alerts reach this desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FeedState {
    /// No bridge URL or device token.
    NotConfigured,
    /// The last poll of the bridge succeeded recently.
    Arriving,
    /// The last successful poll is too old, or there was none: alerts may be missed.
    NotArriving,
}

/// The feed state as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct AlertFeedStatus {
    pub state: FeedState,
    pub last_success_at: Option<DateTime<Utc>>,
    /// Why alerts are not arriving or not set up, in words for the desk.
    pub message: Option<String>,
    pub open_count: u32,
}

/// Open alerts and the recent ones.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct AlertsView {
    /// Not yet acknowledged, oldest first.
    pub open: Vec<Alert>,
    /// Open and acknowledged, newest first (the last [`RECENT_LIMIT`]).
    pub recent: Vec<Alert>,
}

/// What `watch_alerts` streams.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
#[ts(export)]
pub enum AlertEvent {
    Raised(Alert),
    Acknowledged(Alert),
    Feed(AlertFeedStatus),
}

/// The bridge settings the settings screen shows (the token only as a hint).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BridgeSettings {
    pub bridge_url: Option<String>,
    pub device_token_hint: Option<String>,
}

pub use crate::clock::{Clock, OffsetClock, SystemClock};

/// Asks the sync engine to pull a resource soon.
pub type Refresh = Arc<dyn Fn(Resource) + Send + Sync>;

/// The demo's in-process bridge (see the `loopdesk-demo` crate). Its device token lives only in
/// memory.
pub struct DemoFeed {
    pub bridge_url: String,
    pub token: Secret,
    /// A shorter "not arriving" threshold for demonstrations and window tests.
    pub stale_after: Option<Duration>,
}

impl std::fmt::Debug for DemoFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoFeed")
            .field("bridge_url", &self.bridge_url)
            .field("token", &self.token)
            .field("stale_after", &self.stale_after)
            .finish()
    }
}

/// How the alerts service polls.
#[derive(Debug, Clone)]
pub struct AlertsConfig {
    /// "Not arriving" once the last successful poll is older than this (90 s).
    pub stale_after: Duration,
    /// How long the bridge may hold a poll (the bridge allows at most 30 s).
    pub wait: Duration,
    /// Events per request.
    pub batch_limit: u32,
    /// After a failed poll, wait this long, doubling each time...
    pub retry_min: Duration,
    /// ...up to this.
    pub retry_max: Duration,
    /// The longest the feed state goes without a re-check. It is re-checked when it can have
    /// changed: when the last good poll gets older than `stale_after` (its deadline), when a poll
    /// or a setting changes the feed, when the clock is moved by hand ([`Clock::moves`]); this
    /// is only the safety net for a wall clock that jumps without notice.
    pub check_every: Duration,
    pub clock: Arc<dyn Clock>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            stale_after: Duration::from_secs(90),
            wait: Duration::from_secs(25),
            batch_limit: 100,
            retry_min: Duration::from_secs(1),
            retry_max: Duration::from_secs(30),
            check_every: Duration::from_secs(60),
            clock: Arc::new(SystemClock),
        }
    }
}

/// The bridge the poller uses.
#[derive(Debug, Clone, PartialEq)]
struct Target {
    url: String,
    token: Option<SecretEq>,
}

#[derive(Debug, Clone)]
struct SecretEq(Secret);

impl PartialEq for SecretEq {
    fn eq(&self, other: &Self) -> bool {
        self.0.expose() == other.0.expose()
    }
}

/// What the poller knows about the feed.
#[derive(Debug, Default, Clone)]
struct Feed {
    last_success: Option<DateTime<Utc>>,
    last_error: Option<String>,
    failures: u32,
    current_delay: Option<Duration>,
}

/// Numbers about the poller, for tests and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PollerStats {
    /// Failed polls in a row.
    pub failures: u32,
    /// The wait before the next attempt after the last failure.
    pub current_delay: Option<Duration>,
    /// The largest wait used so far.
    pub max_delay_used: Option<Duration>,
    pub successes: u64,
    pub last_error: Option<String>,
}

/// The alerts service: the bridge poller, the alerts, and their events.
pub struct Alerts {
    store: Arc<Store>,
    secrets: Arc<dyn SecretStore>,
    refresh: Refresh,
    config: AlertsConfig,
    demo: Mutex<Option<DemoFeed>>,
    target: RwLock<Option<Target>>,
    feed: Mutex<Feed>,
    stats: Mutex<PollerStats>,
    published: Mutex<Option<AlertFeedStatus>>,
    /// How many alerts are open, as last read; `None` once an alert was raised or acknowledged
    /// (read again when next needed), so that an idle re-check reads nothing from the file.
    open_count: Mutex<Option<u32>>,
    /// Why the saved device token could not be read, if it could not.
    keyring_error: Mutex<Option<String>>,
    events: broadcast::Sender<AlertEvent>,
    reconfigured: Notify,
    /// Wakes the feed re-check: a poll or a setting changed the feed.
    feed_changed: Notify,
    shutdown: CancellationToken,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for Alerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alerts").finish_non_exhaustive()
    }
}

/// A bridge address as typed, checked by [`crate::api::address::check`] (https, or http to this
/// computer only); trailing slashes, query and fragment go.
pub fn parse_bridge_url(input: &str) -> Result<String, String> {
    crate::api::address::check(input, "the alert bridge", "https://bridge.example.org")
        .map(|u| crate::api::address::display(&u))
        .map_err(|e| e.0)
}

impl Alerts {
    /// Starts the service over `store`: reads the bridge settings (or uses `demo` while none are
    /// saved) and starts polling. Stops when `shutdown` is cancelled. Must be called inside a
    /// Tokio runtime.
    pub async fn start(
        store: Arc<Store>,
        secrets: Arc<dyn SecretStore>,
        refresh: Refresh,
        mut config: AlertsConfig,
        demo: Option<DemoFeed>,
        shutdown: CancellationToken,
    ) -> Result<Arc<Self>, CommandError> {
        crate::api::install_tls_provider();
        if let Some(stale) = demo.as_ref().and_then(|d| d.stale_after) {
            config.stale_after = stale;
            config.retry_max = config.retry_max.min(stale / 2);
            config.retry_min = config.retry_min.min(config.retry_max);
        }
        // A held poll must end well before it would count as silence.
        config.wait = config.wait.min(config.stale_after / 3);
        let (events, _) = broadcast::channel(256);
        let alerts = Arc::new(Self {
            store,
            secrets,
            refresh,
            config,
            demo: Mutex::new(demo),
            target: RwLock::new(None),
            feed: Mutex::new(Feed::default()),
            stats: Mutex::new(PollerStats::default()),
            published: Mutex::new(None),
            open_count: Mutex::new(None),
            keyring_error: Mutex::new(None),
            events,
            reconfigured: Notify::new(),
            feed_changed: Notify::new(),
            shutdown,
            tasks: Mutex::new(Vec::new()),
        });
        alerts.load_target().await?;
        let poll = tokio::spawn(poller::run(alerts.clone()));
        let check = tokio::spawn(poller::check_loop(alerts.clone()));
        lock(&alerts.tasks).extend([poll, check]);
        Ok(alerts)
    }

    /// Stops polling and waits for the tasks (a batch being stored is committed or not at all).
    pub async fn shutdown(&self) {
        self.shutdown.cancel();
        let tasks: Vec<_> = lock(&self.tasks).drain(..).collect();
        for t in tasks {
            let _ = t.await;
        }
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Alerts raised, acknowledged, and feed state changes.
    pub fn watch(&self) -> broadcast::Receiver<AlertEvent> {
        self.events.subscribe()
    }

    /// Streams alert events to `send` (the app passes a Tauri channel): the current feed state
    /// first, then every event, until `send` returns `false` (the window went away) or the
    /// service stops. A receiver that fell behind gets the current feed state again (and
    /// re-reads the list on it).
    pub fn forward_events(
        self: &Arc<Self>,
        send: impl FnMut(AlertEvent) -> bool + Send + 'static,
    ) -> JoinHandle<()> {
        let alerts = self.clone();
        crate::events::forward(
            self.events.subscribe(),
            self.shutdown.clone(),
            move || {
                let alerts = alerts.clone();
                async move { alerts.alert_feed_status().await.ok().map(AlertEvent::Feed) }
            },
            send,
        )
    }

    /// Tells the windows about an alert this desk raised itself (a reception notice), after
    /// the transaction that stored it committed.
    pub(crate) fn announce_raised(&self, alert: Alert) {
        tracing::info!(alert = alert.id, kind = %alert.kind, "notice raised");
        let _ = self.events.send(AlertEvent::Raised(alert));
        self.open_alerts_changed();
    }

    /// Tells the windows about an alert this desk closed itself (an observation recorded),
    /// after the transaction that stored it committed.
    pub(crate) fn announce_acknowledged(&self, alert: Alert) {
        self.open_alerts_changed();
        let _ = self.events.send(AlertEvent::Acknowledged(alert));
    }

    /// Whether the demo feed is in use.
    pub fn is_demo(&self) -> bool {
        lock(&self.demo).is_some()
    }

    /// Poller numbers (failures in a row, backoff), for tests and diagnostics.
    pub fn poller_stats(&self) -> PollerStats {
        lock(&self.stats).clone()
    }

    // ---- commands ------------------------------------------------------------------------

    pub async fn list_alerts(&self) -> Result<AlertsView, CommandError> {
        let now = self.config.clock.now();
        let (open, recent) = self
            .read(move |c| {
                Ok((
                    repo::alerts::open_alerts_at(c, now)?,
                    repo::alerts::recent_alerts_at(c, RECENT_LIMIT, now)?,
                ))
            })
            .await?;
        Ok(AlertsView { open, recent })
    }

    /// A staff member acknowledges an alert: who and when are recorded once (also in the audit
    /// log); acknowledging it again changes nothing and returns it as it is.
    pub async fn acknowledge_alert(&self, id: i64, by: String) -> Result<Alert, CommandError> {
        let by = by.trim().to_owned();
        if by.is_empty() {
            return Err(CommandError::invalid_fields(
                "Say who is acknowledging the alert",
                [("by".to_owned(), "Enter your name".to_owned())],
            ));
        }
        if by.chars().count() > 100 {
            return Err(CommandError::invalid_fields(
                "Say who is acknowledging the alert",
                [(
                    "by".to_owned(),
                    "Keep the name under 100 characters".to_owned(),
                )],
            ));
        }
        let (alert, newly) = self
            .write(move |tx| {
                let before = repo::alerts::open_alerts(tx)?
                    .into_iter()
                    .any(|a| a.id == id);
                let alert = repo::alerts::acknowledge_alert(tx, id, &by)?;
                if before {
                    repo::audit::audit(
                        tx,
                        &by,
                        "alert.acknowledge",
                        Some(("alert", &id.to_string())),
                        Some(&json!({"kind": alert.kind, "event_id": alert.event_id})),
                    )?;
                }
                Ok((alert, before))
            })
            .await
            .map_err(|e| match e.code {
                Code::NotFound => {
                    CommandError::new(Code::NotFound, "This alert is not on this desk.")
                }
                _ => e,
            })?;
        if newly {
            self.open_alerts_changed();
            let _ = self.events.send(AlertEvent::Acknowledged(alert.clone()));
            self.publish_feed().await;
        }
        Ok(alert)
    }

    /// The feed's state now (the open alerts counted afresh).
    pub async fn alert_feed_status(&self) -> Result<AlertFeedStatus, CommandError> {
        let open = self.read(repo::alerts::count_open_alerts).await?;
        *lock(&self.open_count) = Some(open);
        Ok(self.feed_status_with(open))
    }

    /// The feed's state now, with the open alerts as last counted (counted only when an alert
    /// was raised or acknowledged since).
    async fn feed_status(&self) -> Result<AlertFeedStatus, CommandError> {
        let known = *lock(&self.open_count);
        match known {
            Some(open) => Ok(self.feed_status_with(open)),
            None => self.alert_feed_status().await,
        }
    }

    /// An alert was raised or acknowledged: the open count is read again when next needed.
    fn open_alerts_changed(&self) {
        *lock(&self.open_count) = None;
    }

    /// The poller or the settings changed the feed: its re-check looks again.
    fn feed_changed(&self) {
        self.feed_changed.notify_one();
    }

    /// How long until the feed state can change with time alone: until the last good poll gets
    /// older than `stale_after`; `None` when only a poll or a setting can change it (not set up,
    /// or not arriving already).
    fn until_stale(&self) -> Option<Duration> {
        let configured = crate::errors::read(&self.target)
            .as_ref()
            .is_some_and(|t| t.token.is_some());
        let last = lock(&self.feed).last_success?;
        if !configured {
            return None;
        }
        let stale = chrono::TimeDelta::from_std(self.config.stale_after).ok()?;
        // Fresh while `now - last <= stale`: look again just after.
        let left = last + stale - self.config.clock.now();
        left.to_std().ok().map(|d| d + Duration::from_millis(1))
    }

    fn feed_status_with(&self, open_count: u32) -> AlertFeedStatus {
        let target = crate::errors::read(&self.target).clone();
        let feed = lock(&self.feed).clone();
        let configured = target.as_ref().is_some_and(|t| t.token.is_some());
        if target.is_some() && !configured {
            if let Some(why) = lock(&self.keyring_error).clone() {
                return AlertFeedStatus {
                    state: FeedState::NotArriving,
                    last_success_at: feed.last_success,
                    message: Some(why),
                    open_count,
                };
            }
        }
        if !configured {
            let message = match target {
                None => "Enter the alert bridge address and this desk's device token in Settings.",
                Some(_) => "Enter this desk's device token for the alert bridge in Settings.",
            };
            return AlertFeedStatus {
                state: FeedState::NotConfigured,
                last_success_at: feed.last_success,
                message: Some(message.to_owned()),
                open_count,
            };
        }
        let now = self.config.clock.now();
        let stale = chrono::TimeDelta::from_std(self.config.stale_after)
            .unwrap_or(chrono::TimeDelta::seconds(90));
        let fresh = feed.last_success.is_some_and(|at| now - at <= stale);
        if fresh {
            return AlertFeedStatus {
                state: FeedState::Arriving,
                last_success_at: feed.last_success,
                message: None,
                open_count,
            };
        }
        // The cause only: the window says "Alerts are not arriving" and what to do itself.
        let why = feed
            .last_error
            .unwrap_or_else(|| "the alert bridge has not answered yet".to_owned());
        let mut message: String = why.chars().take(1).flat_map(char::to_uppercase).collect();
        message.push_str(&why.chars().skip(1).collect::<String>());
        message.push('.');
        AlertFeedStatus {
            state: FeedState::NotArriving,
            last_success_at: feed.last_success,
            message: Some(message),
            open_count,
        }
    }

    /// The bridge settings for the settings screen.
    pub async fn bridge_settings(&self) -> Result<BridgeSettings, CommandError> {
        if let Some(d) = lock(&self.demo).as_ref() {
            return Ok(BridgeSettings {
                bridge_url: Some(d.bridge_url.clone()),
                device_token_hint: Some(d.token.hint()),
            });
        }
        // The settings screen still opens when the keyring cannot be read (the feed says why).
        Ok(
            match BRIDGE_CREDENTIAL.load(&self.store, &self.secrets).await? {
                Ok(Found::NoAddress) => BridgeSettings::default(),
                Ok(Found::Address { url, secret }) => BridgeSettings {
                    bridge_url: Some(url),
                    device_token_hint: secret.map(|t| t.hint()),
                },
                Err(e) => {
                    tracing::warn!(error = %e, "device token hint unavailable");
                    BridgeSettings {
                        bridge_url: self.read(|c| BRIDGE_CREDENTIAL.address_in(c)).await?,
                        device_token_hint: None,
                    }
                }
            },
        )
    }

    /// Saves the bridge address (settings) and, when given, the device token (the OS keyring
    /// only). Real settings replace the demo feed. Another bridge starts from its beginning.
    pub async fn save_bridge_settings(
        &self,
        bridge_url: String,
        device_token: Option<Secret>,
    ) -> Result<BridgeSettings, CommandError> {
        let mut fields = Vec::new();
        let url = match parse_bridge_url(&bridge_url) {
            Ok(url) => Some(url),
            Err(e) => {
                fields.push(("bridge_url".to_owned(), e));
                None
            }
        };
        if device_token
            .as_ref()
            .is_some_and(|t| t.is_empty() || t.expose().chars().any(char::is_whitespace))
        {
            fields.push((
                "device_token".to_owned(),
                "Paste the whole device token".to_owned(),
            ));
        }
        let (Some(url), true) = (url, fields.is_empty()) else {
            return Err(CommandError::invalid_fields(
                "Check the alert bridge settings",
                fields,
            ));
        };
        let saved = url.clone();
        BRIDGE_CREDENTIAL
            .save(
                &self.store,
                &self.secrets,
                url,
                device_token,
                move |tx, changed| {
                    if changed {
                        // Another bridge: its feed is read from its beginning.
                        repo::settings::delete_setting(tx, settings::BRIDGE_CURSOR)?;
                        repo::settings::delete_setting(tx, settings::BRIDGE_CURSOR_URL)?;
                    }
                    repo::audit::audit(
                        tx,
                        "desk",
                        "settings.bridge.save",
                        None,
                        Some(&json!({"bridge_url": saved, "address_changed": changed})),
                    )?;
                    Ok(())
                },
            )
            .await?;
        lock(&self.demo).take();
        self.load_target().await?;
        self.bridge_settings().await
    }

    // ---- internals -----------------------------------------------------------------------

    /// Reads which bridge to poll and tells the poller.
    async fn load_target(&self) -> Result<(), CommandError> {
        let demo = lock(&self.demo)
            .as_ref()
            .map(|d| (d.bridge_url.clone(), d.token.clone()));
        let target = match demo {
            Some((url, token)) => Some(Target {
                url,
                token: Some(SecretEq(token)),
            }),
            // A keyring that cannot be read must not stop the desk: the feed says alerts are
            // not arriving, and why.
            None => match BRIDGE_CREDENTIAL.load(&self.store, &self.secrets).await? {
                Ok(Found::NoAddress) => {
                    *lock(&self.keyring_error) = None;
                    None
                }
                Ok(Found::Address { url, secret }) => {
                    *lock(&self.keyring_error) = None;
                    Some(Target {
                        url,
                        token: secret.map(SecretEq),
                    })
                }
                Err(e) => {
                    tracing::error!(error = %e, "device token unreadable");
                    *lock(&self.keyring_error) = Some(format!(
                        "The device token could not be read from the system keyring: {e}"
                    ));
                    Some(Target {
                        url: self
                            .read(|c| BRIDGE_CREDENTIAL.address_in(c))
                            .await?
                            .unwrap_or_default(),
                        token: None,
                    })
                }
            },
        };
        let changed = {
            let mut current = crate::errors::write(&self.target);
            let changed = *current != target;
            *current = target;
            changed
        };
        if changed {
            *lock(&self.feed) = Feed::default();
            self.reconfigured.notify_one();
            self.feed_changed();
        }
        self.publish_feed().await;
        Ok(())
    }

    fn target(&self) -> Option<(String, Secret)> {
        let t = crate::errors::read(&self.target);
        t.as_ref()
            .and_then(|t| t.token.as_ref().map(|k| (t.url.clone(), k.0.clone())))
    }

    /// Sends the feed state when it changed.
    async fn publish_feed(&self) {
        let Ok(status) = self.feed_status().await else {
            return;
        };
        let changed = {
            let mut last = lock(&self.published);
            let changed = last.as_ref().is_none_or(|l| feed_differs(l, &status));
            if changed {
                *last = Some(status.clone());
            }
            changed
        };
        if changed {
            let _ = self.events.send(AlertEvent::Feed(status));
        }
    }

    async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> crate::store::Result<R> + Send + 'static,
    ) -> Result<R, CommandError> {
        Ok(crate::store::blocking(&self.store, move |s| s.read(f)).await?)
    }

    async fn write<R: Send + 'static>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> crate::store::Result<R> + Send + 'static,
    ) -> Result<R, CommandError> {
        Ok(crate::store::blocking(&self.store, move |s| s.write(f)).await?)
    }
}

/// Whether the window must hear of `now` after `published`: not for a poll whose only news is a
/// later `last_success_at` while alerts keep arriving (each long-poll, every half minute or so;
/// "arriving" already says the last good poll is under `stale_after` old, and the window says
/// so). A change of state, message or open count, and any poll after "not arriving" (the
/// window says when alerts were last received) are sent.
fn feed_differs(published: &AlertFeedStatus, now: &AlertFeedStatus) -> bool {
    if published.state == FeedState::Arriving && now.state == FeedState::Arriving {
        let mut now = now.clone();
        now.last_success_at = published.last_success_at;
        return *published != now;
    }
    published != now
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_poll_that_only_refreshed_its_last_success_is_not_sent() {
        let t = chrono::Utc::now();
        let status = |state, last: chrono::DateTime<chrono::Utc>| AlertFeedStatus {
            state,
            last_success_at: Some(last),
            message: None,
            open_count: 0,
        };
        let shown = status(FeedState::Arriving, t);
        let later = t + chrono::TimeDelta::seconds(25);
        assert!(!feed_differs(&shown, &status(FeedState::Arriving, later)));
        assert!(feed_differs(&shown, &status(FeedState::NotArriving, t)));
        let more_open = AlertFeedStatus {
            open_count: 1,
            ..status(FeedState::Arriving, later)
        };
        assert!(feed_differs(&shown, &more_open));
        // After "not arriving", a poll that gets through is news.
        let not = status(FeedState::NotArriving, t);
        assert!(feed_differs(&not, &status(FeedState::Arriving, later)));
    }

    use super::*;

    #[test]
    fn bridge_urls_are_checked_and_tidied() {
        assert_eq!(
            parse_bridge_url(" https://bridge.example.org/ ").unwrap(),
            "https://bridge.example.org"
        );
        assert_eq!(
            parse_bridge_url("http://127.0.0.1:8788/?x=1#y").unwrap(),
            "http://127.0.0.1:8788"
        );
        for bad in [
            "",
            "bridge.example.org",
            "ftp://bridge",
            "https://u:p@bridge.example.org",
        ] {
            assert!(parse_bridge_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn alert_events_are_tagged_for_the_webview() {
        let status = AlertFeedStatus {
            state: FeedState::NotArriving,
            last_success_at: None,
            message: Some("m".into()),
            open_count: 2,
        };
        insta::assert_json_snapshot!(AlertEvent::Feed(status), @r###"
        {
          "event": "feed",
          "data": {
            "state": "not_arriving",
            "last_success_at": null,
            "message": "m",
            "open_count": 2
          }
        }
        "###);
    }
}
