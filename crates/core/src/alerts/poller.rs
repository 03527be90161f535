//! The bridge poller: long-polls `GET /v1/events`, stores each batch with its cursor in one
//! transaction, raises alerts, asks for refreshes, and backs off (doubling, capped) when the
//! bridge cannot be reached.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::compose::{self, Composed};
use super::{settings, AlertEvent, Alerts};
use crate::errors::lock;
use crate::secret::Secret;
use crate::store::repo::{self, alerts::Alert, alerts::NewAlert, bridge_events::BridgeEvent};
use crate::sync::Resource;

/// One page of the feed.
#[derive(Debug, Deserialize)]
struct FeedPage {
    data: Vec<BridgeEvent>,
    next_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    code: String,
}

/// Why a poll failed.
#[derive(Debug)]
enum PollError {
    /// The bridge's store was reset: our cursor is beyond anything it issued.
    CursorAhead,
    /// Anything else: the words for the desk.
    Failed(String),
}

/// Waits after failed polls: `min`, then doubling, never more than `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        Self {
            next: min.min(max),
            max,
        }
    }

    /// The wait before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = self.next.saturating_mul(2).min(self.max);
        d
    }
}

fn backoff(alerts: &Alerts) -> Backoff {
    Backoff::new(alerts.config.retry_min, alerts.config.retry_max)
}

/// Runs until the service shuts down.
pub(super) async fn run(alerts: Arc<Alerts>) {
    let client = match reqwest::Client::builder()
        .timeout(alerts.config.wait + Duration::from_secs(15))
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the bridge HTTP client; no alerts");
            return;
        }
    };
    let mut delays = backoff(&alerts);
    // The first request after start, new settings or a failure does not wait for events: it
    // answers at once, so the desk knows within a moment whether alerts can arrive (a long-poll
    // would leave "not arriving" on screen for its whole wait).
    let mut quick = true;
    loop {
        if alerts.shutdown.is_cancelled() {
            break;
        }
        let Some((url, token)) = alerts.target() else {
            alerts.publish_feed().await;
            tokio::select! {
                _ = alerts.shutdown.cancelled() => break,
                _ = alerts.reconfigured.notified() => {
                    quick = true;
                    continue;
                }
            }
        };
        // Only the request is abandoned for a new bridge or a shutdown; a batch that arrived
        // is stored and announced whole.
        let fetched = tokio::select! {
            _ = alerts.shutdown.cancelled() => break,
            _ = alerts.reconfigured.notified() => {
                quick = true;
                continue;
            }
            f = fetch(&alerts, &client, &url, &token, if quick { Duration::ZERO } else { alerts.config.wait }) => f,
        };
        let outcome = match fetched {
            Ok((page, after)) => store_and_announce(&alerts, &url, page, after).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => {
                delays = backoff(&alerts);
                quick = false;
                succeeded(&alerts).await;
            }
            Err(PollError::CursorAhead) => {
                tracing::warn!(bridge = %url, "the bridge was reset; reading its feed from the start");
                let forgotten = crate::store::blocking(&alerts.store, |s| {
                    s.write(|tx| {
                        repo::settings::delete_setting(tx, settings::BRIDGE_CURSOR)?;
                        repo::settings::delete_setting(tx, settings::BRIDGE_CURSOR_URL)
                    })
                })
                .await;
                if let Err(e) = forgotten {
                    failed(&alerts, &mut delays, format!("the local data file: {e}")).await;
                    if !pause(&alerts).await {
                        break;
                    }
                }
            }
            Err(PollError::Failed(why)) => {
                quick = true;
                tracing::warn!(bridge = %url, error = %why, "bridge poll failed");
                failed(&alerts, &mut delays, why).await;
                if !pause(&alerts).await {
                    break;
                }
            }
        }
    }
    tracing::info!("alerts poller stopped");
}

/// Waits the current backoff delay; false when shutting down.
async fn pause(alerts: &Alerts) -> bool {
    let delay = lock(&alerts.feed)
        .current_delay
        .unwrap_or(alerts.config.retry_min);
    tokio::select! {
        _ = alerts.shutdown.cancelled() => false,
        _ = alerts.reconfigured.notified() => true,
        _ = tokio::time::sleep(delay) => true,
    }
}

async fn succeeded(alerts: &Alerts) {
    let now = alerts.config.clock.now();
    {
        let mut feed = lock(&alerts.feed);
        feed.last_success = Some(now);
        feed.last_error = None;
        feed.failures = 0;
        feed.current_delay = None;
    }
    {
        let mut stats = lock(&alerts.stats);
        stats.successes += 1;
        stats.failures = 0;
        stats.current_delay = None;
        stats.last_error = None;
    }
    alerts.feed_changed();
    alerts.publish_feed().await;
}

async fn failed(alerts: &Alerts, delays: &mut Backoff, why: String) {
    let delay = delays.next_delay();
    {
        let mut feed = lock(&alerts.feed);
        feed.last_error = Some(why.clone());
        feed.failures += 1;
        feed.current_delay = Some(delay);
    }
    {
        let mut stats = lock(&alerts.stats);
        stats.failures += 1;
        stats.current_delay = Some(delay);
        stats.max_delay_used = Some(stats.max_delay_used.map_or(delay, |m| m.max(delay)));
        stats.last_error = Some(why);
    }
    alerts.feed_changed();
    alerts.publish_feed().await;
}

/// Re-checks the feed state when it can have changed with time alone (it turns "not arriving"
/// once the last good poll is older than `stale_after`): it sleeps until that deadline, woken
/// early when a poll or a setting changes the feed (the deadline moves) or the clock is moved
/// by hand, and at the latest after `check_every`. An idle re-check reads nothing from the
/// data file (the open count is kept between alerts raised and acknowledged).
pub(super) async fn check_loop(alerts: Arc<Alerts>) {
    let mut moves = alerts.config.clock.moves();
    loop {
        alerts.publish_feed().await;
        let wait = alerts.until_stale().map_or(alerts.config.check_every, |d| {
            d.min(alerts.config.check_every)
        });
        let moved = async {
            let moved = match moves.as_mut() {
                Some(m) => m.changed().await.is_ok(),
                None => false,
            };
            if !moved {
                // A clock that never moves by hand (or is gone): only the other wake-ups.
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            _ = alerts.shutdown.cancelled() => break,
            _ = alerts.feed_changed.notified() => {}
            _ = moved => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// One request of the feed after the stored cursor.
async fn fetch(
    alerts: &Alerts,
    client: &reqwest::Client,
    base: &str,
    token: &Secret,
    wait: Duration,
) -> Result<(FeedPage, Option<String>), PollError> {
    let cursor_url = base.to_owned();
    let after = crate::store::blocking(&alerts.store, move |s| {
        s.read(|c| {
            let url = repo::settings::get_setting(c, settings::BRIDGE_CURSOR_URL)?;
            if url.as_deref() != Some(cursor_url.as_str()) {
                return Ok(None);
            }
            repo::settings::get_setting(c, settings::BRIDGE_CURSOR)
        })
    })
    .await
    .map_err(|e| PollError::Failed(format!("the local data file: {e}")))?;

    let mut url = reqwest::Url::parse(&format!("{base}/v1/events")).map_err(|e| {
        tracing::warn!(error = %e, "the bridge address is not usable");
        PollError::Failed("the alert bridge's address is not usable (check it in Settings)".into())
    })?;
    {
        let mut q = url.query_pairs_mut();
        if let Some(after) = &after {
            q.append_pair("after", after);
        }
        q.append_pair("wait", &wait.as_secs().to_string());
        q.append_pair("limit", &alerts.config.batch_limit.to_string());
    }
    let response = client
        .get(url)
        .bearer_auth(token.expose())
        .send()
        .await
        .map_err(|e| PollError::Failed(network_words(&e)))?;
    let status = response.status();
    if !status.is_success() {
        let code = response
            .json::<ErrorBody>()
            .await
            .map(|b| b.error.code)
            .unwrap_or_default();
        return Err(match (status.as_u16(), code.as_str()) {
            (409, "cursor_ahead") => PollError::CursorAhead,
            (401, _) => PollError::Failed(
                "the alert bridge does not accept this desk's device token".into(),
            ),
            (s, _) => PollError::Failed(format!("the alert bridge answered {s}")),
        });
    }
    let page: FeedPage = response.json().await.map_err(|e| {
        tracing::warn!(error = %e, "the alert bridge's answer could not be read");
        PollError::Failed("the alert bridge sent an answer this desk cannot read".into())
    })?;
    Ok((page, after))
}

/// Stores a page (events + alerts + cursor in one transaction), then announces what it raised
/// and asks for the refreshes.
async fn store_and_announce(
    alerts: &Alerts,
    base: &str,
    page: FeedPage,
    after: Option<String>,
) -> Result<(), PollError> {
    let next = page.next_cursor.clone().or(after.clone());
    // An empty page that leaves the cursor where it was changes nothing: no write.
    if page.data.is_empty() && (next.is_none() || next == after) {
        return Ok(());
    }
    let base = base.to_owned();
    let events = page.data;
    let now = alerts.config.clock.now();
    let (raised, refresh) = crate::store::blocking(&alerts.store, move |s| {
        s.write(|tx| store_batch(tx, &base, &events, next.as_deref(), now))
    })
    .await
    .map_err(|e| PollError::Failed(format!("the local data file: {e}")))?;
    if !raised.is_empty() {
        alerts.open_alerts_changed();
    }
    for a in raised {
        tracing::warn!(alert = a.id, kind = %a.kind, "alert raised");
        let _ = alerts.events.send(AlertEvent::Raised(a));
    }
    for r in refresh {
        (alerts.refresh)(r);
    }
    Ok(())
}

/// Stores a batch: each new event once, an alert for each new alerting event, and the cursor —
/// all in the caller's one transaction.
fn store_batch(
    tx: &rusqlite::Transaction<'_>,
    bridge: &str,
    events: &[BridgeEvent],
    next_cursor: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> crate::store::Result<(Vec<Alert>, Vec<Resource>)> {
    let mut raised_ids = Vec::new();
    let mut refresh = Vec::new();
    for e in events {
        if !repo::bridge_events::insert_bridge_event(tx, e)? {
            continue;
        }
        if let Some(r) = compose::resource_for(&e.kind) {
            if !refresh.contains(&r) {
                refresh.push(r);
            }
        }
        if compose::raises_alert(&e.kind) {
            let Composed {
                title,
                detail,
                location_id,
                resident_id,
                resource_id,
                when_at,
            } = compose::compose(tx, &e.kind, &e.data, e.resource_id.as_deref())?;
            let resource_id = resource_id.or_else(|| e.resource_id.clone());
            // A critical incident is one alert whether this desk raised it when it was saved
            // here or the webhook raises it now.
            let key = match (e.kind.as_str(), &resource_id) {
                (compose::INCIDENT_CRITICAL, Some(incident)) => {
                    // Saved here and not yet acknowledged by CareLoop: the webhook names
                    // CareLoop's id, which this desk does not know yet; the incident is
                    // recognised by its home, resident and title.
                    let twin =
                        repo::incidents::local_twin(tx, incident, compose::payload(&e.data))?;
                    repo::alerts::incident_key(twin.as_deref().unwrap_or(incident))
                }
                _ => repo::alerts::event_key(&e.id),
            };
            let id = repo::alerts::raise_alert(
                tx,
                &NewAlert {
                    key: &key,
                    event_id: Some(&e.id),
                    kind: &e.kind,
                    title: &title,
                    detail: detail.as_deref(),
                    location_id: location_id.as_deref(),
                    resident_id: resident_id.as_deref(),
                    resource_id: resource_id.as_deref(),
                    when_at,
                },
            )?;
            if let Some(id) = id {
                raised_ids.push(id);
            }
        }
    }
    if let Some(next) = next_cursor {
        repo::settings::set_setting(tx, settings::BRIDGE_CURSOR, next)?;
        repo::settings::set_setting(tx, settings::BRIDGE_CURSOR_URL, bridge)?;
    }
    let raised = if raised_ids.is_empty() {
        Vec::new()
    } else {
        repo::alerts::open_alerts_at(tx, now)?
            .into_iter()
            .filter(|a| raised_ids.contains(&a.id))
            .collect()
    };
    Ok((raised, refresh))
}

fn network_words(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the alert bridge did not answer in time".into()
    } else if e.is_connect() {
        "the alert bridge cannot be reached".into()
    } else {
        "the connection to the alert bridge failed".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops_at_the_cap() {
        let ms = Duration::from_millis;
        let mut b = Backoff::new(ms(250), ms(2000));
        let got: Vec<_> = (0..7).map(|_| b.next_delay()).collect();
        assert_eq!(
            got,
            [
                ms(250),
                ms(500),
                ms(1000),
                ms(2000),
                ms(2000),
                ms(2000),
                ms(2000)
            ]
        );
        let mut odd = Backoff::new(ms(5000), ms(1000));
        assert_eq!(odd.next_delay(), ms(1000));
    }
}
