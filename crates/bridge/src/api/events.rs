//! `GET /v1/events`: the long-poll feed of a device's organisation.

use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tokio::time::Instant;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::polls::{PollEnd, Waiting};
use super::AppState;
use crate::store::{DeviceAuth, FeedQuery, StoredEvent};

/// The longest a request may be held.
pub const MAX_WAIT_SECS: u64 = 30;
/// Events per page when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 100;
/// The largest `limit`.
pub const MAX_LIMIT: u32 = 1000;
const MAX_TYPES: usize = 50;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(feed))
}

/// Query parameters of the feed.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// Return events after this cursor (a `cursor`/`next_cursor` from an earlier page).
    /// Without it, the feed starts at the oldest retained event.
    pub after: Option<String>,
    /// Seconds to hold the request when nothing is newer (0 to 30; default 0).
    pub wait: Option<String>,
    /// Comma-separated event types to return, e.g. `incident.critical,visit.no_show`.
    pub types: Option<String>,
    /// At most this many events (1 to 1000; default 100). A page also ends before the event
    /// that would take it past about 1 MiB (`--max-page-bytes`); its first event is always
    /// served, whatever its size.
    pub limit: Option<String>,
}

/// One event of the feed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedEvent {
    /// Its position in its organisation's feed (a decimal integer, increasing in the order
    /// received; counted per organisation).
    pub cursor: String,
    /// The provider's event id.
    pub id: String,
    /// The organisation it belongs to.
    pub org: String,
    /// The scheme it came through: `careloop`, `standard`, `lifeloop` or `loop`.
    pub source: String,
    /// Event type, e.g. `incident.critical`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When it happened, as the provider said.
    pub occurred_at: Option<String>,
    /// When the bridge stored it (RFC 3339, UTC).
    pub received_at: String,
    /// The resource it is about, when the payload names one.
    pub resource_id: Option<String>,
    /// The provider's JSON body exactly as received.
    #[schema(value_type = Object)]
    pub data: Box<RawValue>,
}

/// A page of the feed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedPage {
    /// Events in the order received.
    pub data: Vec<FeedEvent>,
    /// Pass as `after` for the next page: the last event's cursor, or `after` when empty.
    pub next_cursor: String,
}

struct Parsed {
    after: i64,
    wait: Duration,
    types: Option<Vec<String>>,
    limit: u32,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::BadRequest("invalid_parameter", message.into())
}

fn parse(p: FeedParams) -> Result<Parsed, ApiError> {
    let after = match p.after.as_deref() {
        None => 0,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0 && s.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| bad("after must be a cursor (a non-negative integer)"))?,
    };
    let wait = match p.wait.as_deref() {
        None => 0,
        Some(s) => s
            .parse::<u64>()
            .ok()
            .filter(|v| *v <= MAX_WAIT_SECS)
            .ok_or_else(|| {
                bad(format!(
                    "wait must be a whole number of seconds, 0 to {MAX_WAIT_SECS}"
                ))
            })?,
    };
    let limit = match p.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|v| (1..=MAX_LIMIT).contains(v))
            .ok_or_else(|| bad(format!("limit must be 1 to {MAX_LIMIT}")))?,
    };
    let types = match p.types.as_deref() {
        None => None,
        Some(s) => {
            let types: Vec<String> = s.split(',').map(|t| t.trim().to_owned()).collect();
            if types.len() > MAX_TYPES
                || types
                    .iter()
                    .any(|t| t.is_empty() || t.len() > crate::schemes::MAX_ID_LEN)
            {
                return Err(bad(format!(
                    "types must be 1 to {MAX_TYPES} comma-separated, non-empty event types"
                )));
            }
            Some(types)
        }
    };
    Ok(Parsed {
        after,
        wait: Duration::from_secs(wait),
        types,
        limit,
    })
}

async fn authenticate(st: &AppState, headers: &HeaderMap) -> Result<DeviceAuth, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::Unauthorized)?;
    st.metrics
        .time("device_lookup", st.store.device_for_token(token))
        .await?
        .ok_or(ApiError::Unauthorized)
}

/// Counts a waiting long-poll for as long as it lives (also when the client goes away).
struct OpenPoll(prometheus::IntGauge);

impl OpenPoll {
    fn new(g: &prometheus::IntGauge) -> Self {
        g.inc();
        OpenPoll(g.clone())
    }
}

impl Drop for OpenPoll {
    fn drop(&mut self) {
        self.0.dec();
    }
}

fn to_feed_event(e: StoredEvent) -> Result<FeedEvent, ApiError> {
    let data = RawValue::from_string(e.data)
        .map_err(|err| crate::Error::Write(format!("stored event is not JSON: {err}")))?;
    Ok(FeedEvent {
        cursor: e.cursor.to_string(),
        id: e.id,
        org: e.org,
        source: e.source,
        event_type: e.event_type,
        occurred_at: e.occurred_at,
        received_at: e.received_at,
        resource_id: e.resource_id,
        data,
    })
}

/// Read the device's organisation's events (long-poll).
///
/// Returns at once when events after `after` exist; otherwise holds the request until one
/// arrives (answered within milliseconds) or `wait` ends, then answers with an empty page.
#[utoipa::path(
    get,
    path = "/v1/events",
    tag = "feed",
    params(FeedParams),
    security(("device_token" = [])),
    responses(
        (status = 200, description = "Events in the order received", body = FeedPage),
        (status = 400, description = "A bad parameter", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked device token", body = ErrorBody),
        (status = 409, description = "`after` is beyond any cursor this bridge issued to the \
            device's organisation (its store was reset or replaced): restart from the beginning \
            without `after`", body = ErrorBody),
        (status = 500, description = "Storage failed; retry", body = ErrorBody),
        (status = 503, description = "The database cannot be reached now \
            (`store_unavailable`); retry", body = ErrorBody),
    )
)]
pub(crate) async fn feed(
    State(st): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<FeedParams>, QueryRejection>,
) -> Result<Json<FeedPage>, ApiError> {
    let device = authenticate(&st, &headers).await?;
    let Query(params) = params.map_err(|e| bad(e.body_text()))?;
    let p = parse(params)?;
    if p.after > 0 {
        let latest = st
            .metrics
            .time("latest_cursor", st.store.latest_cursor(&device.org))
            .await?;
        if p.after > latest {
            // Never hold such a poll quietly: the desk would wait for cursors that may not come
            // for a long time and miss every alert until then.
            return Err(ApiError::Conflict(
                "cursor_ahead",
                "after is beyond every cursor this bridge has issued to this organisation (its \
                 store was reset or replaced); restart without after"
                    .into(),
            ));
        }
    }
    let deadline = Instant::now() + p.wait;
    let query = FeedQuery {
        org: device.org.clone(),
        after: p.after,
        types: p.types,
        limit: p.limit,
        max_bytes: st.config.max_page_bytes,
    };
    // Subscribe before the first query: an event committed after it wakes us up.
    let mut wake = st.store.subscribe(&device.org);
    wake.borrow_and_update();
    let mut open: Option<(OpenPoll, Waiting<'_>)> = None;
    let events = loop {
        let events = st
            .metrics
            .time("feed_query", st.store.events_after(query.clone()))
            .await?;
        if !events.is_empty() || p.wait.is_zero() || st.shutdown.is_cancelled() {
            break events;
        }
        let (_, waiting) = open.get_or_insert_with(|| {
            (
                OpenPoll::new(&st.metrics.long_polls_open),
                st.polls.wait(&device.id),
            )
        });
        tokio::select! {
            _ = st.shutdown.cancelled() => break Vec::new(),
            _ = tokio::time::sleep_until(deadline) => break Vec::new(),
            end = &mut waiting.end => match end {
                Ok(PollEnd::Revoked) => return Err(ApiError::Unauthorized),
                // Replaced by a newer poll of this device: what it has, at once.
                Ok(PollEnd::Replaced) | Err(_) => break Vec::new(),
            },
            changed = wake.changed() => {
                if changed.is_err() {
                    break Vec::new();
                }
            }
        }
    };
    drop(open);
    if !events.is_empty() {
        // Revoked while the page was read (or while it waited, before the periodic check
        // noticed): nothing committed after the revocation reaches it.
        let active = st
            .metrics
            .time(
                "device_lookup",
                st.store.active_devices(vec![device.id.clone()]),
            )
            .await?;
        if !active.contains(&device.id) {
            return Err(ApiError::Unauthorized);
        }
    }
    let next_cursor = events.last().map_or(p.after, |e| e.cursor).to_string();
    st.metrics.events_served.inc_by(events.len() as u64);
    let data = events
        .into_iter()
        .map(to_feed_event)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(FeedPage { data, next_cursor }))
}
