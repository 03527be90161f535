//! Events, signed webhook delivery with the documented retry schedule, and the scanners that
//! notice no-shows and expiring certifications on the sandbox clock.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::TimeDelta;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio_util::sync::CancellationToken;

use crate::http::state::{new_id, AppState, S};
use crate::model::*;
use crate::store::{Db, EventRecord};

/// Documented retry schedule after a failed attempt (sandbox seconds, divided by the time
/// scale): 1 min, 5 min, 30 min, 2 h, 6 h, then give up.
pub const RETRY_SCHEDULE: [u64; 5] = [60, 300, 1800, 7200, 21_600];

/// At most this many deliveries are in flight at once; the rest wait their turn.
const MAX_IN_FLIGHT: usize = 32;

/// `X-CareLoop-Signature` value for `body` signed at unix time `t`.
pub fn sign(secret: &str, t: i64, body: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(), // HMAC accepts keys of any length
    };
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Records an event and one pending delivery per configured URL, and wakes the worker.
pub fn emit(s: &AppState, db: &mut Db, event_type: &str, data: Value) -> WebhookEvent {
    let now = s.clock.now();
    let at = db.stamp(now);
    let event = WebhookEvent {
        id: new_id("evt"),
        event_type: event_type.to_string(),
        occurred_at: now,
        organization_id: db.meta.org_id.clone(),
        data,
    };
    let body = serde_json::to_string(&event).unwrap_or_default();
    db.events.insert(EventRecord {
        id: event.id.clone(),
        event: event.clone(),
        body,
        updated_at: at,
        deleted_at: None,
    });
    for t in &s.targets {
        new_delivery(db, &event, &t.url, at);
    }
    s.wake.notify_one();
    event
}

pub fn new_delivery(db: &mut Db, event: &WebhookEvent, url: &str, at: Ts) -> WebhookDelivery {
    let d = WebhookDelivery {
        id: new_id("dlv"),
        event_id: event.id.clone(),
        event_type: event.event_type.clone(),
        url: url.to_string(),
        status: DeliveryStatus::Pending,
        attempts: 0,
        last_status_code: None,
        last_error: None,
        next_attempt_at: Some(at),
        created_at: at,
        updated_at: at,
        deleted_at: None,
    };
    db.deliveries.insert(d.clone());
    d
}

pub fn incident_data(i: &Incident) -> Value {
    json!({
        "incident_id": i.id, "severity": i.severity, "type": i.incident_type,
        "resident_id": i.resident_id, "location_id": i.location_id, "title": i.title,
        "url": format!("https://app.careloop.com/incidents/{}", i.id),
    })
}

pub fn visit_data(v: &Visit) -> Value {
    json!({
        "visit_id": v.id, "staff_user_id": v.staff_user_id, "resident_id": v.resident_id,
        "location_id": v.location_id, "starts_at": v.starts_at, "status": v.status,
    })
}

pub fn cert_data(c: &Certification) -> Value {
    json!({
        "certification_id": c.id, "staff_id": c.staff_id, "course_id": c.course_id,
        "course_name": c.course_name, "expires_on": c.expires_on,
    })
}

pub fn resident_data(r: &Resident) -> Value {
    json!({"resident_id": r.id, "location_id": r.location_id, "status": r.status})
}

pub fn sign_in_data(v: &VisitorSignIn) -> Value {
    json!({"sign_in_id": v.id, "location_id": v.location_id, "visitor_name": v.visitor_name})
}

/// Emits the incident events for a new incident.
pub fn incident_events(s: &AppState, db: &mut Db, i: &Incident) {
    emit(s, db, "incident.created", incident_data(i));
    if i.severity == Severity::Critical {
        emit(s, db, "incident.critical", incident_data(i));
    }
    if i.incident_type == IncidentType::Fall {
        emit(s, db, "fall.logged", incident_data(i));
    }
}

/// Marks scheduled visits past their grace period as no-shows and announces certifications
/// entering the 30-day window or expiring. Each event is emitted once. Returns when a scan can
/// next find something with time alone: the next visit's end of grace, or the next UTC day
/// (certifications count days); a write through the API wakes the worker earlier.
pub fn scan(s: &AppState) -> Ts {
    let now = s.clock.now();
    let grace = TimeDelta::from_std(s.scaled(s.no_show_grace)).unwrap_or(TimeDelta::minutes(15));
    let today = now.date_naive();
    let tomorrow = today
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .unwrap_or(now + TimeDelta::days(1));
    let (no_shows, expiring, expired, next) = s.store.read(|db| {
        let mut next = tomorrow;
        let no_shows: Vec<String> = db
            .visits
            .live()
            // A visit recorded after it started was expected by no one: never a no-show.
            .filter(|v| v.status == VisitStatus::Scheduled && v.created_at <= v.starts_at)
            .filter(|v| {
                let due = v.starts_at + grace;
                if due > now {
                    next = next.min(due);
                }
                due <= now
            })
            .map(|v| v.id.clone())
            .collect();
        let mut expiring = Vec::new();
        let mut expired = Vec::new();
        for c in db.certifications.live() {
            let left = (c.expires_on - today).num_days();
            if left < 0 && !db.meta.expired_sent.contains(&c.id) {
                expired.push(c.id.clone());
            } else if (0..=30).contains(&left) && !db.meta.expiring_sent.contains(&c.id) {
                expiring.push(c.id.clone());
            }
        }
        (no_shows, expiring, expired, next)
    });
    if no_shows.is_empty() && expiring.is_empty() && expired.is_empty() {
        return next;
    }
    let r = s.store.write(|db| {
        for id in no_shows {
            let at = db.stamp(now);
            let changed = db.visits.update(&id, |v| {
                if v.status != VisitStatus::Scheduled {
                    return None;
                }
                v.status = VisitStatus::NoShow;
                v.updated_at = at;
                Some(v.clone())
            });
            if let Some(Some(v)) = changed {
                emit(s, db, "visit.no_show", visit_data(&v));
            }
        }
        // A concurrent scan may have announced some of these already: insert() says.
        for id in expiring {
            if let Some(c) = db.certifications.get(&id).cloned() {
                if db.meta.expiring_sent.insert(id) {
                    db.touch_meta();
                    emit(s, db, "cert.expiring", cert_data(&c));
                }
            }
        }
        for id in expired {
            if let Some(c) = db.certifications.get(&id).cloned() {
                db.meta.expiring_sent.insert(id.clone());
                if db.meta.expired_sent.insert(id) {
                    db.touch_meta();
                    emit(s, db, "cert.expired", cert_data(&c));
                }
            }
        }
    });
    if let Err(e) = r {
        tracing::error!(error = %e, "scanner could not persist its changes");
    }
    next
}

/// The longest the worker sleeps without a reason to wake (a safety net: every write through
/// the API and every test control that moves the clock wakes it).
const MAX_SLEEP: Duration = Duration::from_secs(60 * 60);

/// Sends due deliveries, runs the scanners, and sleeps until the next due attempt, the next
/// time a scan can find something ([`scan`]) or a wake-up (a write through the API, a new
/// event, the clock advanced or resumed): never on a fixed beat, so an idle sandbox (the
/// demo's, inside the kiosk app all day) costs nothing.
pub async fn worker(s: S, shutdown: CancellationToken) {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook HTTP client; no deliveries");
            return;
        }
    };
    let inflight: Arc<Mutex<HashSet<String>>> = Arc::default();
    loop {
        let next_scan = scan(&s);
        let now = s.clock.now();
        let (due, next) = s.store.read(|db| {
            let busy = inflight.lock().unwrap_or_else(|e| e.into_inner());
            let capacity = MAX_IN_FLIGHT.saturating_sub(busy.len());
            let mut due = Vec::new();
            let mut next: Option<Ts> = None;
            for d in db.deliveries.live() {
                if d.status != DeliveryStatus::Pending || busy.contains(&d.id) {
                    continue;
                }
                let Some(at) = d.next_attempt_at else {
                    continue;
                };
                if at <= now {
                    if let Some(e) = db.events.get_any(&d.event_id) {
                        due.push((d.clone(), e.body.clone()));
                    }
                } else {
                    next = Some(next.map_or(at, |n: Ts| n.min(at)));
                }
            }
            // Oldest first, and no more at once than the receivers should have to take.
            due.sort_by(|(a, _), (b, _)| {
                (a.next_attempt_at, a.created_at, &a.id).cmp(&(
                    b.next_attempt_at,
                    b.created_at,
                    &b.id,
                ))
            });
            due.truncate(capacity);
            (due, next)
        });
        for (d, body) in due {
            let Some(target) = s.targets.iter().find(|t| t.url == d.url).cloned() else {
                continue;
            };
            inflight
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(d.id.clone());
            let (s2, client, inflight) = (s.clone(), client.clone(), inflight.clone());
            tokio::spawn(async move {
                let outcome = send(&client, &target.url, &target.secret, &d, &body).await;
                record_attempt(&s2, &d.id, outcome);
                inflight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&d.id);
                s2.wake.notify_one();
            });
        }
        let until = next.map_or(next_scan, |n| n.min(next_scan));
        let wait = (until - s.clock.now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            .max(Duration::from_millis(1))
            .min(MAX_SLEEP);
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = s.wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Ok(status) for any HTTP answer, Err(message) when none came.
async fn send(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    d: &WebhookDelivery,
    body: &str,
) -> Result<u16, String> {
    let t = chrono::Utc::now().timestamp();
    let resp = client
        .post(url)
        .header("Content-Type", "application/json")
        .header("X-CareLoop-Event", &d.event_type)
        .header("X-CareLoop-Signature", sign(secret, t, body))
        .header("X-CareLoop-Delivery", &d.id)
        .body(body.to_string())
        .send()
        .await;
    match resp {
        Ok(r) => Ok(r.status().as_u16()),
        Err(e) => Err(if e.is_timeout() {
            "timed out".to_string()
        } else if e.is_connect() {
            "could not connect".to_string()
        } else {
            "request failed".to_string()
        }),
    }
}

fn record_attempt(s: &AppState, id: &str, outcome: Result<u16, String>) {
    let now = s.clock.now();
    let r = s.store.write(|db| {
        let at = db.stamp(now);
        db.deliveries.update(id, |d| {
            d.attempts += 1;
            d.updated_at = at;
            let ok = matches!(outcome, Ok(code) if (200..300).contains(&code));
            match &outcome {
                Ok(code) => {
                    d.last_status_code = Some(*code);
                    d.last_error = (!ok).then(|| format!("HTTP {code}"));
                }
                Err(e) => {
                    d.last_status_code = None;
                    d.last_error = Some(e.clone());
                }
            }
            if ok {
                d.status = DeliveryStatus::Succeeded;
                d.next_attempt_at = None;
            } else if let Some(secs) = RETRY_SCHEDULE.get(d.attempts as usize - 1) {
                let delay = s.scaled(Duration::from_secs(*secs));
                // Counted from the recorded attempt time, so next_attempt_at - updated_at is
                // exactly the scheduled delay.
                d.next_attempt_at =
                    Some(at + TimeDelta::from_std(delay).unwrap_or(TimeDelta::seconds(1)));
            } else {
                d.status = DeliveryStatus::Failed;
                d.next_attempt_at = None;
            }
        });
    });
    if let Err(e) = r {
        tracing::error!(error = %e, "could not record a webhook attempt");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_fixed_vector() {
        // Computed independently: printf '1747900800.{"a":1}' | openssl dgst -sha256 -hmac whsec
        assert_eq!(
            sign("whsec", 1_747_900_800, r#"{"a":1}"#),
            "t=1747900800,v1=498d53b0cf2480553dc67d782b27a256c104108e0761098898f023d33ca596f1"
        );
    }
}
