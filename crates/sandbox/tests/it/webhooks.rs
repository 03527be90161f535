//! Signed webhook delivery, checked by an independent receiver that verifies the document's
//! signature algorithm itself, and the retry schedule driven by the sandbox clock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use loopdesk_sandbox::WebhookTarget;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::sync::mpsc;

use crate::common::*;

const SECRET: &str = "whsec_test_secret";

#[derive(Debug, Clone)]
pub struct Got {
    pub event: String,
    pub delivery: String,
    pub content_type: String,
    pub signature_ok: bool,
    pub body: Value,
}

type Policy = Arc<dyn Fn(&str, usize) -> u16 + Send + Sync>;

#[derive(Clone)]
struct Rx {
    tx: mpsc::UnboundedSender<Got>,
    policy: Policy,
    count: Arc<AtomicUsize>,
}

/// The document's algorithm, written here from the document: `t=<unix>,v1=<hex>` where hex is
/// HMAC-SHA256(secret, "<t>.<body>").
fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", x)) if x.chars().all(|c| c.is_ascii_digit()) && !x.is_empty() => t = Some(x),
            Some(("v1", x)) if x.chars().all(|c| c.is_ascii_hexdigit()) => v1 = Some(x),
            _ => return false,
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    let Ok(sig) = hex::decode(v1) else {
        return false;
    };
    mac.verify_slice(&sig).is_ok()
}

async fn receive(State(rx): State<Rx>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let h = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let event = h("x-careloop-event");
    let n = rx.count.fetch_add(1, Ordering::SeqCst);
    let got = Got {
        signature_ok: verify(SECRET, &h("x-careloop-signature"), &body),
        event: event.clone(),
        delivery: h("x-careloop-delivery"),
        content_type: h("content-type"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    let _ = rx.tx.send(got);
    StatusCode::from_u16((rx.policy)(&event, n)).unwrap()
}

pub struct Receiver {
    pub url: String,
    pub rx: mpsc::UnboundedReceiver<Got>,
}

pub async fn receiver(policy: Policy) -> Receiver {
    let (tx, rx) = mpsc::unbounded_channel();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/careloop", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .route("/hooks/careloop", axum::routing::post(receive))
        .with_state(Rx {
            tx,
            policy,
            count: Arc::default(),
        });
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver { url, rx }
}

impl Receiver {
    /// The next delivery matching `pred` (others are skipped). Fails after [`DEADLINE`].
    pub async fn next(&mut self, pred: impl Fn(&Got) -> bool) -> Got {
        let rx = &mut self.rx;
        let matching = async {
            loop {
                let got = rx.recv().await.expect("receiver open");
                if pred(&got) {
                    return got;
                }
            }
        };
        within("a matching webhook arriving", matching).await
    }
}

async fn with_receiver(policy: Policy, time_scale: f64) -> (T, Receiver) {
    let rcv = receiver(policy).await;
    let mut cfg = config();
    cfg.webhooks = vec![WebhookTarget {
        url: rcv.url.clone(),
        secret: SECRET.into(),
    }];
    cfg.time_scale = time_scale;
    (start_with(cfg).await, rcv)
}

fn ok() -> Policy {
    Arc::new(|_, _| 200)
}

fn ts(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn critical_fall_emits_three_signed_events() {
    let (t, mut rcv) = with_receiver(ok(), 1.0).await;
    let loc = t.first("/v1/locations").await;
    let res = t.first("/v1/residents?status=current").await;
    let inc = t.post("/v1/incidents", json!({
        "location_id": loc["id"], "resident_id": res["id"], "type": "fall", "severity": "critical",
        "title": "Witnessed fall in lounge",
        "fall": {"place": "lounge", "was_witnessed": true, "injury": "major", "hospital_transfer": true}
    })).await.body;
    let mut types = Vec::new();
    for _ in 0..3 {
        let got = rcv
            .next(|g| g.body["data"]["incident_id"] == inc["id"])
            .await;
        assert!(
            got.signature_ok,
            "signature verifies with the document's algorithm"
        );
        assert_eq!(got.content_type, "application/json");
        assert_eq!(got.body["type"], got.event.as_str());
        assert!(got.delivery.starts_with("dlv_"));
        assert!(got.body["id"].as_str().unwrap().starts_with("evt_"));
        assert_eq!(got.body["organization_id"], t.sb.org_id());
        assert!(got.body["occurred_at"].as_str().unwrap().ends_with('Z'));
        let d = &got.body["data"];
        assert_eq!(d["severity"], "critical");
        assert_eq!(d["type"], "fall");
        assert_eq!(d["resident_id"], res["id"]);
        assert_eq!(d["location_id"], loc["id"]);
        assert_eq!(d["title"], "Witnessed fall in lounge");
        assert_eq!(
            d["url"],
            format!(
                "https://app.careloop.com/incidents/{}",
                inc["id"].as_str().unwrap()
            )
        );
        types.push(got.event);
    }
    types.sort();
    assert_eq!(
        types,
        vec!["fall.logged", "incident.created", "incident.critical"]
    );
    // A low-severity, non-fall incident emits only incident.created.
    let low = t
        .post(
            "/v1/incidents",
            json!({"location_id": loc["id"], "type": "behaviour", "severity": "low", "title": "x"}),
        )
        .await
        .body;
    let got = rcv
        .next(|g| g.body["data"]["incident_id"] == low["id"])
        .await;
    assert_eq!(got.event, "incident.created");
    let sentinel = t
        .control(
            Method::POST,
            "/v1/_test/events",
            Some(json!({"type": "family.message.sent"})),
        )
        .await
        .body;
    let next = rcv
        .next(|g| g.body["data"]["incident_id"] == low["id"] || g.body["id"] == sentinel["id"])
        .await;
    assert_eq!(
        next.body["id"], sentinel["id"],
        "no other event for the low incident"
    );
}

#[tokio::test]
async fn failed_deliveries_follow_the_retry_schedule_then_give_up() {
    let policy: Policy = Arc::new(|event, _| {
        if event == "family.message.sent" {
            500
        } else {
            200
        }
    });
    let (t, mut rcv) = with_receiver(policy, 1.0).await;
    let ev = t
        .control(
            Method::POST,
            "/v1/_test/events",
            Some(json!({"type": "family.message.sent"})),
        )
        .await
        .body;
    let evt = ev["id"].as_str().unwrap().to_string();
    let mut delivery = None;
    for (attempt, expected_gap) in [60i64, 300, 1800, 7200, 21_600, 0].into_iter().enumerate() {
        let attempt = attempt + 1;
        let got = rcv.next(|g| g.body["id"] == evt.as_str()).await;
        assert!(got.signature_ok);
        assert_eq!(
            *delivery.get_or_insert(got.delivery.clone()),
            got.delivery,
            "one delivery id across retries"
        );
        // Wait until the sandbox has recorded this attempt.
        let d = t
            .wait_for(&format!("/v1/webhook-deliveries?event_id={evt}"), |b| {
                b["data"][0]["attempts"] == attempt
            })
            .await["data"][0]
            .clone();
        assert_eq!(d["last_status_code"], 500);
        if expected_gap == 0 {
            assert_eq!(d["status"], "failed");
            assert!(d["next_attempt_at"].is_null());
        } else {
            assert_eq!(d["status"], "pending");
            let gap = (ts(&d["next_attempt_at"]) - ts(&d["updated_at"])).num_milliseconds();
            assert_eq!(gap, expected_gap * 1000, "attempt {attempt}");
            t.advance(expected_gap as u64).await;
        }
    }
    // Given up: even a day later nothing more arrives for it (a later event comes first).
    t.advance(86_400).await;
    let sentinel = t
        .control(
            Method::POST,
            "/v1/_test/events",
            Some(json!({"type": "resident.admitted"})),
        )
        .await
        .body;
    let next = rcv
        .next(|g| g.body["id"] == evt.as_str() || g.body["id"] == sentinel["id"])
        .await;
    assert_eq!(next.body["id"], sentinel["id"]);
    let failed = t.get("/v1/webhook-deliveries?status=failed").await.body;
    assert_eq!(failed["meta"]["total"], 1);
    // A manual re-send is a new delivery of the same event.
    let id = failed["data"][0]["id"].as_str().unwrap();
    let r = t
        .post(&format!("/v1/webhook-deliveries/{id}/resend"), json!({}))
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_ne!(r.body["id"], id);
    assert_eq!(r.body["event_id"], evt.as_str());
    let again = rcv.next(|g| g.body["id"] == evt.as_str()).await;
    assert_eq!(again.delivery, r.body["id"].as_str().unwrap());
    assert_error(
        &t.post("/v1/webhook-deliveries/dlv_nope/resend", json!({}))
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn time_scale_divides_the_retry_schedule() {
    // The first family.message.sent delivery fails; everything else succeeds.
    let failed_once = Arc::new(AtomicUsize::new(0));
    let policy: Policy = Arc::new(move |event, _| {
        if event == "family.message.sent" && failed_once.fetch_add(1, Ordering::SeqCst) == 0 {
            503
        } else {
            200
        }
    });
    let (t, mut rcv) = with_receiver(policy, 60.0).await;
    let ev = t
        .control(
            Method::POST,
            "/v1/_test/events",
            Some(json!({"type": "family.message.sent"})),
        )
        .await
        .body;
    let first = rcv.next(|g| g.body["id"] == ev["id"]).await;
    // The retry comes after 60 s / 60 without touching the clock.
    let second = rcv.next(|g| g.body["id"] == ev["id"]).await;
    assert_eq!(first.delivery, second.delivery);
    let d = t
        .wait_for(
            &format!(
                "/v1/webhook-deliveries?event_id={}",
                ev["id"].as_str().unwrap()
            ),
            |b| b["data"][0]["status"] == "succeeded",
        )
        .await["data"][0]
        .clone();
    assert_eq!(d["attempts"], 2);
    assert_eq!(d["last_status_code"], 200);
}

#[tokio::test]
async fn visit_confirmed_and_no_show() {
    let (t, mut rcv) = with_receiver(ok(), 1.0).await;
    let now: DateTime<Utc> = ts(&t.control(Method::GET, "/v1/_test/clock", None).await.body["now"]);
    let mut body = visit_body(&t).await;
    body["starts_at"] = json!((now + chrono::TimeDelta::minutes(1)).to_rfc3339());
    body["ends_at"] = json!((now + chrono::TimeDelta::minutes(31)).to_rfc3339());
    let a = t.post("/v1/visits", body.clone()).await.body;
    let b = t.post("/v1/visits", body).await.body;
    t.patch(
        &format!("/v1/visits/{}", a["id"].as_str().unwrap()),
        json!({"status": "confirmed"}),
    )
    .await;
    let got = rcv.next(|g| g.body["data"]["visit_id"] == a["id"]).await;
    assert_eq!(got.event, "visit.confirmed");
    assert_eq!(got.body["data"]["status"], "confirmed");
    assert_eq!(got.body["data"]["staff_user_id"], a["staff_user_id"]);
    // 1 minute to start plus the 15-minute grace.
    t.advance(15 * 60).await;
    assert_eq!(
        t.get(&format!("/v1/visits/{}", b["id"].as_str().unwrap()))
            .await
            .body["status"],
        "scheduled"
    );
    t.advance(61).await;
    let got = rcv
        .next(|g| g.body["data"]["visit_id"] == b["id"] || g.body["data"]["visit_id"] == a["id"])
        .await;
    assert_eq!(got.event, "visit.no_show");
    assert_eq!(got.body["data"]["visit_id"], b["id"]);
    assert_eq!(
        t.get(&format!("/v1/visits/{}", b["id"].as_str().unwrap()))
            .await
            .body["status"],
        "no_show"
    );
    assert_eq!(
        t.get(&format!("/v1/visits/{}", a["id"].as_str().unwrap()))
            .await
            .body["status"],
        "confirmed"
    );
}

#[tokio::test]
async fn certification_expiring_once_then_expired() {
    let (t, mut rcv) = with_receiver(ok(), 1.0).await;
    let today = ts(&t.control(Method::GET, "/v1/_test/clock", None).await.body["now"]).date_naive();
    let certs = t.all("/v1/certifications?status=expiring").await;
    let cert = certs
        .iter()
        .filter(|c| {
            (c["expires_on"]
                .as_str()
                .unwrap()
                .parse::<chrono::NaiveDate>()
                .unwrap()
                - today)
                .num_days()
                > 31
        })
        .min_by_key(|c| c["expires_on"].as_str().unwrap().to_string())
        .expect("a certification between 31 and 90 days from expiry")
        .clone();
    let expires: chrono::NaiveDate = cert["expires_on"].as_str().unwrap().parse().unwrap();
    let days = (expires - today).num_days() as u64;
    let id = cert["id"].clone();
    // One day before the 30-day mark: nothing for it.
    t.advance((days - 31) * 86_400).await;
    let sentinel = t
        .control(
            Method::POST,
            "/v1/_test/events",
            Some(json!({"type": "family.message.sent"})),
        )
        .await
        .body;
    let g = rcv
        .next(|g| g.body["data"]["certification_id"] == id || g.body["id"] == sentinel["id"])
        .await;
    assert_eq!(g.body["id"], sentinel["id"]);
    t.advance(86_400).await;
    let g = rcv.next(|g| g.body["data"]["certification_id"] == id).await;
    assert_eq!(g.event, "cert.expiring");
    assert_eq!(g.body["data"]["expires_on"], cert["expires_on"]);
    assert_eq!(g.body["data"]["course_name"], cert["course_name"]);
    // Once: a day later there is no second cert.expiring for it.
    t.advance(86_400).await;
    let sentinel = t
        .control(
            Method::POST,
            "/v1/_test/events",
            Some(json!({"type": "family.message.sent"})),
        )
        .await
        .body;
    let g = rcv
        .next(|g| g.body["data"]["certification_id"] == id || g.body["id"] == sentinel["id"])
        .await;
    assert_eq!(g.body["id"], sentinel["id"]);
    // Past the expiry date: cert.expired.
    t.advance(31 * 86_400).await;
    let g = rcv.next(|g| g.body["data"]["certification_id"] == id).await;
    assert_eq!(g.event, "cert.expired");
    let now_status = t
        .get(&format!(
            "/v1/certifications?staff_id={}&course_id={}",
            cert["staff_id"].as_str().unwrap(),
            cert["course_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(now_status.body["data"][0]["status"], "expired");
}

#[tokio::test]
async fn resident_visitor_and_course_events() {
    let (t, mut rcv) = with_receiver(ok(), 1.0).await;
    let loc = t.first("/v1/locations").await;
    let res = t.post("/v1/residents", json!({"full_name": "Ada Byron", "room_number": "30", "date_of_birth": "1936-12-10", "location_id": loc["id"]})).await.body;
    let g = rcv
        .next(|g| g.body["data"]["resident_id"] == res["id"])
        .await;
    assert_eq!(g.event, "resident.admitted");
    assert_eq!(
        g.body["data"],
        json!({"resident_id": res["id"], "location_id": loc["id"], "status": "current"})
    );
    t.patch(
        &format!("/v1/residents/{}", res["id"].as_str().unwrap()),
        json!({"status": "discharged"}),
    )
    .await;
    let g = rcv
        .next(|g| g.body["data"]["resident_id"] == res["id"])
        .await;
    assert_eq!(g.event, "resident.discharged");
    assert_eq!(g.body["data"]["status"], "discharged");

    let v = t.post("/v1/visitor-sign-ins", json!({"location_id": loc["id"], "visitor_name": "Sam Visitor", "purpose": "Family visit"})).await.body;
    let g = rcv.next(|g| g.body["data"]["sign_in_id"] == v["id"]).await;
    assert_eq!(g.event, "kiosk.visitor.signed_in");
    assert_eq!(
        g.body["data"],
        json!({"sign_in_id": v["id"], "location_id": loc["id"], "visitor_name": "Sam Visitor"})
    );

    let staff = t.first("/v1/staff").await;
    let course = t.first("/v1/courses?scope=system").await;
    let c = t
        .post(
            &format!("/v1/staff/{}/certifications", staff["id"].as_str().unwrap()),
            json!({"course_id": course["id"]}),
        )
        .await
        .body;
    let g = rcv
        .next(|g| g.body["data"]["certification_id"] == c["id"])
        .await;
    assert_eq!(g.event, "course.completed");
    assert_eq!(
        g.body["data"],
        json!({"staff_id": staff["id"], "course_id": course["id"], "certification_id": c["id"]})
    );
}

#[tokio::test]
async fn every_documented_event_can_be_triggered() {
    let (t, mut rcv) = with_receiver(ok(), 1.0).await;
    for ty in [
        "incident.critical",
        "incident.created",
        "fall.logged",
        "cert.expiring",
        "cert.expired",
        "course.completed",
        "resident.admitted",
        "resident.discharged",
        "visit.confirmed",
        "visit.no_show",
        "kiosk.visitor.signed_in",
        "family.message.sent",
    ] {
        let ev = t
            .control(Method::POST, "/v1/_test/events", Some(json!({"type": ty})))
            .await
            .body;
        let g = rcv.next(|g| g.body["id"] == ev["id"]).await;
        assert_eq!(g.event, ty);
        assert!(g.signature_ok);
        assert!(
            g.body["data"].as_object().is_some_and(|d| !d.is_empty()),
            "{ty}: {}",
            g.body
        );
    }
    let custom = t
        .control(
            Method::POST,
            "/v1/_test/events",
            Some(json!({"type": "incident.critical", "data": {"incident_id": "inc_custom"}})),
        )
        .await
        .body;
    let g = rcv.next(|g| g.body["id"] == custom["id"]).await;
    assert_eq!(g.body["data"], json!({"incident_id": "inc_custom"}));
    let bad = t
        .req(
            Method::POST,
            "/v1/_test/events",
            Some(ADMIN),
            Some(json!({"type": "party.started"})),
        )
        .await;
    assert_error(&bad, 422, "validation_failed");
    // Exactly a type the document's enum names.
    let bad = t
        .req(
            Method::POST,
            "/v1/_test/events",
            Some(ADMIN),
            Some(json!({"type": " incident.critical"})),
        )
        .await;
    assert_error(&bad, 422, "validation_failed");
    assert_eq!(bad.body["error"]["fields"]["type"], "invalid_value");
}

#[tokio::test]
async fn deliveries_are_listed_and_do_not_count_toward_rate_limits() {
    let rcv = receiver(ok()).await;
    let mut cfg = config();
    cfg.webhooks = vec![WebhookTarget {
        url: rcv.url.clone(),
        secret: SECRET.into(),
    }];
    cfg.keys.push(key("poller", &["read:webhooks"]));
    let (t, mut rcv) = (start_with(cfg).await, rcv);
    for _ in 0..35 {
        t.control(
            Method::POST,
            "/v1/_test/events",
            Some(json!({"type": "family.message.sent"})),
        )
        .await;
    }
    for _ in 0..35 {
        rcv.next(|_| true).await;
    }
    // 35 deliveries went out; the key's own budget is untouched.
    let recorded = async {
        loop {
            let r = t
                .req(
                    Method::GET,
                    "/v1/webhook-deliveries?status=succeeded&event_type=family.message.sent",
                    Some("poller"),
                    None,
                )
                .await;
            if r.body["meta"]["total"] == 35 {
                break r;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let d = within("35 deliveries recorded as succeeded", recorded).await;
    assert_eq!(d.body["data"][0]["status"], "succeeded");
    for i in 0..28 {
        assert_eq!(t.get("/v1/locations").await.status, 200, "request {i}");
    }
}

/// The worker sleeps until a scan can find something (it has no fixed beat any more): a visit
/// written while it sleeps towards a later one's deadline still gets its no-show on time, with
/// no clock control to wake it.
#[tokio::test]
async fn a_no_show_comes_at_its_deadline_without_a_beat_or_a_nudge() {
    // Grace scaled down to one second.
    let (t, mut rcv) = with_receiver(ok(), 900.0).await;
    let now: DateTime<Utc> = ts(&t.control(Method::GET, "/v1/_test/clock", None).await.body["now"]);
    let mut later = visit_body(&t).await;
    later["starts_at"] = json!((now + chrono::TimeDelta::hours(1)).to_rfc3339());
    later["ends_at"] = json!((now + chrono::TimeDelta::hours(2)).to_rfc3339());
    let later = t.post("/v1/visits", later).await.body;
    let mut soon = visit_body(&t).await;
    soon["starts_at"] = json!((now + chrono::TimeDelta::seconds(2)).to_rfc3339());
    soon["ends_at"] = json!((now + chrono::TimeDelta::minutes(30)).to_rfc3339());
    let soon = t.post("/v1/visits", soon).await.body;
    let got = rcv.next(|g| g.event == "visit.no_show").await;
    assert_eq!(got.body["data"]["visit_id"], soon["id"]);
    let status = |v: &serde_json::Value| format!("/v1/visits/{}", v["id"].as_str().unwrap());
    assert_eq!(t.get(&status(&soon)).await.body["status"], "no_show");
    assert_eq!(t.get(&status(&later)).await.body["status"], "scheduled");
}
