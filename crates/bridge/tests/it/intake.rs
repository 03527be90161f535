//! `POST /hooks/{endpoint_id}`: verification per scheme, answers, dedupe, rotation.

use std::time::Duration;

use loopdesk_bridge::Scheme;
use reqwest::StatusCode;
use rstest::rstest;

use crate::common::{
    delivery, ids, now, signature_headers, Backend, Delivery, TestServer, POSTGRES, SQLITE,
};

const ALL: [Scheme; 4] = [
    Scheme::CareLoop,
    Scheme::Standard,
    Scheme::LifeLoop,
    Scheme::Loop,
];

struct Setup {
    server: TestServer,
    path: String,
    secret: String,
    token: String,
}

async fn setup(backend: Backend, scheme: Scheme) -> Setup {
    let server = TestServer::start(backend).await;
    let ep = server
        .store
        .add_endpoint("org_a", scheme, None)
        .await
        .unwrap();
    let dev = server.store.add_device("org_a", "desk").await.unwrap();
    Setup {
        server,
        path: ep.path,
        secret: ep.secret,
        token: dev.token,
    }
}

impl Setup {
    async fn send(&self, d: &Delivery) -> (StatusCode, serde_json::Value) {
        self.server.deliver(&self.path, d).await
    }

    async fn stored_ids(&self) -> Vec<String> {
        let (status, page) = self.server.poll(&self.token, "?limit=1000").await;
        assert_eq!(status, StatusCode::OK);
        ids(&page)
    }

    async fn refused(&self, reason: &str) -> f64 {
        self.server
            .metric(&format!(
                "bridge_webhooks_refused_total{{reason=\"{reason}\"}}"
            ))
            .await
    }
}

fn other_secret(scheme: Scheme) -> String {
    match scheme {
        Scheme::Standard => "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned(),
        _ => "not-the-secret".to_owned(),
    }
}

#[rstest]
#[tokio::test]
async fn valid_delivery_is_stored_with_its_fields(
    #[values(SQLITE, POSTGRES)] backend: Backend,
    #[values(Scheme::CareLoop, Scheme::Standard, Scheme::LifeLoop, Scheme::Loop)] scheme: Scheme,
) {
    let s = setup(backend, scheme).await;
    let d = delivery(scheme, &s.secret, "evt_1", "incident.critical", now());
    let (status, body) = s.send(&d).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "stored");
    let (_, page) = s.server.poll(&s.token, "").await;
    let ev = &page["data"][0];
    assert_eq!(ev["id"], "evt_1");
    assert_eq!(ev["org"], "org_a");
    assert_eq!(ev["source"], scheme.as_str());
    assert_eq!(ev["type"], "incident.critical");
    let expected_resource = match scheme {
        Scheme::CareLoop => "inc_evt_1",
        Scheme::Standard => "cus_evt_1",
        Scheme::LifeLoop => "res_evt_1",
        Scheme::Loop => "bm_evt_1",
    };
    assert_eq!(ev["resource_id"], expected_resource);
    // data is the body exactly as received.
    let raw: serde_json::Value = serde_json::from_slice(&d.body).unwrap();
    assert_eq!(ev["data"], raw);
    assert!(ev["received_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        s.server
            .metric("bridge_webhooks_accepted_total{result=\"stored\"}")
            .await,
        1.0
    );
}

#[rstest]
#[tokio::test]
async fn tampered_body_and_wrong_secret_are_refused_and_not_stored(
    #[values(SQLITE, POSTGRES)] backend: Backend,
    #[values(Scheme::CareLoop, Scheme::Standard, Scheme::LifeLoop, Scheme::Loop)] scheme: Scheme,
) {
    let s = setup(backend, scheme).await;
    let tampered = delivery(scheme, &s.secret, "evt_t", "incident.critical", now()).tampered();
    let (status, body) = s.send(&tampered).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "invalid_signature");
    let wrong = delivery(
        scheme,
        &other_secret(scheme),
        "evt_w",
        "incident.critical",
        now(),
    );
    assert_eq!(s.send(&wrong).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(s.refused("invalid_signature").await, 2.0);
    assert!(s.stored_ids().await.is_empty());
}

#[rstest]
#[case::careloop_stale(Scheme::CareLoop, -301)]
#[case::careloop_future(Scheme::CareLoop, 301)]
#[case::careloop_far_past(Scheme::CareLoop, -86_400)]
#[case::standard_stale(Scheme::Standard, -301)]
#[case::standard_future(Scheme::Standard, 301)]
#[case::standard_far_future(Scheme::Standard, 86_400)]
#[tokio::test]
async fn timestamp_outside_tolerance_is_refused(
    #[values(SQLITE, POSTGRES)] backend: Backend,
    #[case] scheme: Scheme,
    #[case] offset: i64,
) {
    let s = setup(backend, scheme).await;
    let d = delivery(scheme, &s.secret, "evt_ts", "visit.no_show", now() + offset);
    let (status, body) = s.send(&d).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "timestamp_out_of_tolerance");
    assert!(s.stored_ids().await.is_empty());
    // Just inside the tolerance is fine.
    let inside = if offset < 0 { -290 } else { 290 };
    let d = delivery(scheme, &s.secret, "evt_ok", "visit.no_show", now() + inside);
    assert_eq!(s.send(&d).await.0, StatusCode::OK);
}

#[rstest]
#[tokio::test]
async fn missing_signature_headers_are_refused(
    #[values(SQLITE, POSTGRES)] backend: Backend,
    #[values(Scheme::CareLoop, Scheme::Standard, Scheme::LifeLoop, Scheme::Loop)] scheme: Scheme,
) {
    let s = setup(backend, scheme).await;
    for header in signature_headers(scheme) {
        let d = delivery(scheme, &s.secret, "evt_m", "incident.critical", now()).without(header);
        let (status, body) = s.send(&d).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "without {header}");
        assert_eq!(body["error"]["code"], "missing_signature");
    }
    assert!(s.stored_ids().await.is_empty());
}

#[rstest]
#[tokio::test]
async fn standard_accepts_svix_header_names(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let s = setup(backend, Scheme::Standard).await;
    let d = delivery(
        Scheme::Standard,
        &s.secret,
        "msg_svix",
        "customer.updated",
        now(),
    );
    let mut svix = Delivery {
        headers: Vec::new(),
        body: d.body.clone(),
    };
    for (k, v) in d.headers {
        svix.headers.push((k.replace("webhook-", "svix-"), v));
    }
    assert_eq!(s.send(&svix).await.0, StatusCode::OK);
    assert_eq!(s.stored_ids().await, vec!["msg_svix"]);
}

#[rstest]
#[tokio::test]
async fn rotated_secret_old_and_new_both_verify_until_grace_ends(
    #[values(SQLITE, POSTGRES)] backend: Backend,
    #[values(Scheme::CareLoop, Scheme::Standard, Scheme::LifeLoop, Scheme::Loop)] scheme: Scheme,
) {
    let s = setup(backend, scheme).await;
    let id = s.path.trim_start_matches("/hooks/").to_owned();
    let rotated = s.server.store.rotate_endpoint(&id, None).await.unwrap();
    assert_ne!(rotated.secret, s.secret);
    let old = delivery(scheme, &s.secret, "evt_old", "incident.critical", now());
    let new = delivery(
        scheme,
        &rotated.secret,
        "evt_new",
        "incident.critical",
        now(),
    );
    assert_eq!(s.send(&old).await.0, StatusCode::OK);
    assert_eq!(s.send(&new).await.0, StatusCode::OK);
    // A rotation whose grace has ended: only the newest secret verifies.
    let third = s
        .server
        .store
        .rotate_endpoint_with_grace(&id, None, Duration::ZERO)
        .await
        .unwrap();
    let by_first = delivery(scheme, &s.secret, "evt_x1", "incident.critical", now());
    let by_second = delivery(
        scheme,
        &rotated.secret,
        "evt_x2",
        "incident.critical",
        now(),
    );
    let by_third = delivery(scheme, &third.secret, "evt_x3", "incident.critical", now());
    assert_eq!(s.send(&by_first).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(s.send(&by_second).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(s.send(&by_third).await.0, StatusCode::OK);
    assert_eq!(s.stored_ids().await, vec!["evt_old", "evt_new", "evt_x3"]);
}

#[rstest]
#[tokio::test]
async fn repeated_event_id_is_acknowledged_and_stored_once(
    #[values(SQLITE, POSTGRES)] backend: Backend,
    #[values(Scheme::CareLoop, Scheme::Standard, Scheme::LifeLoop, Scheme::Loop)] scheme: Scheme,
) {
    let s = setup(backend, scheme).await;
    let d = delivery(scheme, &s.secret, "evt_dup", "incident.critical", now());
    let (first, b1) = s.send(&d).await;
    // A retry is re-signed by the provider at a later time: same event id, new signature.
    let retry = delivery(scheme, &s.secret, "evt_dup", "incident.critical", now() + 1);
    let (second, b2) = s.send(&retry).await;
    let (third, _) = s.send(&d).await;
    assert_eq!(
        (first, second, third),
        (StatusCode::OK, StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(b1["status"], "stored");
    assert_eq!(b2["status"], "duplicate");
    assert_eq!(s.stored_ids().await, vec!["evt_dup"]);
    assert_eq!(
        s.server
            .metric("bridge_webhooks_accepted_total{result=\"duplicate\"}")
            .await,
        2.0
    );
}

#[rstest]
#[tokio::test]
async fn same_event_id_from_another_org_or_source_is_a_different_event(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let a_cl = server
        .store
        .add_endpoint("org_a", Scheme::CareLoop, None)
        .await
        .unwrap();
    let a_ll = server
        .store
        .add_endpoint("org_a", Scheme::Loop, None)
        .await
        .unwrap();
    let b_cl = server
        .store
        .add_endpoint("org_b", Scheme::CareLoop, None)
        .await
        .unwrap();
    for ep in [&a_cl, &b_cl] {
        let d = delivery(
            Scheme::CareLoop,
            &ep.secret,
            "evt_same",
            "incident.critical",
            now(),
        );
        let (status, body) = server.deliver(&ep.path, &d).await;
        assert_eq!(
            (status, body["status"].as_str()),
            (StatusCode::OK, Some("stored"))
        );
    }
    let d = delivery(
        Scheme::Loop,
        &a_ll.secret,
        "evt_same",
        "incident.critical",
        now(),
    );
    let (_, body) = server.deliver(&a_ll.path, &d).await;
    assert_eq!(body["status"], "stored");
}

#[rstest]
#[tokio::test]
async fn unknown_endpoint_is_404(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let s = setup(backend, Scheme::CareLoop).await;
    let d = delivery(
        Scheme::CareLoop,
        &s.secret,
        "evt_1",
        "incident.critical",
        now(),
    );
    let (status, body) = s.server.deliver("/hooks/ep_doesnotexist", &d).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(s.refused("unknown_endpoint").await, 1.0);
    // A removed endpoint is unknown too.
    let id = s.path.trim_start_matches("/hooks/");
    s.server.store.remove_endpoint(id).await.unwrap();
    assert_eq!(s.send(&d).await.0, StatusCode::NOT_FOUND);
}

#[rstest]
#[tokio::test]
async fn body_over_the_limit_is_413_and_at_the_limit_is_accepted(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::with_config(backend, |c| c.max_body = 2048).await;
    let ep = server
        .store
        .add_endpoint("org_a", Scheme::LifeLoop, None)
        .await
        .unwrap();
    let make = |len: usize| {
        let prefix = format!(r#"{{"eventId":"evt_{len}","eventType":"big","pad":""#);
        let mut body = prefix.into_bytes();
        body.resize(len - 2, b'x');
        body.extend_from_slice(b"\"}");
        let sig = loopdesk_bridge::schemes::sign_hex(&ep.secret, &body);
        Delivery {
            headers: vec![("X-LifeLoop-Signature".into(), sig)],
            body,
        }
    };
    let (status, body) = server.deliver(&ep.path, &make(2049)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["code"], "payload_too_large");
    assert_eq!(
        server.deliver(&ep.path, &make(2048)).await.0,
        StatusCode::OK
    );
}

#[rstest]
#[case::not_json(b"this is not json".as_slice(), "invalid_json")]
#[case::truncated(b"{\"id\":\"evt_1\"".as_slice(), "invalid_json")]
#[case::no_id(b"{\"type\":\"incident.critical\"}".as_slice(), "missing_event_id")]
#[case::no_type(b"{\"id\":\"evt_1\"}".as_slice(), "invalid_event")]
#[case::array(b"[1,2,3]".as_slice(), "missing_event_id")]
#[case::bad_occurred_at(
    b"{\"id\":\"evt_1\",\"type\":\"t\",\"occurred_at\":\"22/05/2026\"}".as_slice(),
    "invalid_event"
)]
#[rstest]
#[tokio::test]
async fn signed_but_unusable_body_is_400(
    #[values(SQLITE, POSTGRES)] backend: Backend,
    #[case] body: &[u8],
    #[case] code: &str,
) {
    let s = setup(backend, Scheme::CareLoop).await;
    let sig = loopdesk_bridge::schemes::sign_careloop(&s.secret, now(), body);
    let d = Delivery {
        headers: vec![("X-CareLoop-Signature".into(), sig)],
        body: body.to_vec(),
    };
    let (status, resp) = s.send(&d).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(resp["error"]["code"], code);
    assert!(s.stored_ids().await.is_empty());
}

#[rstest]
#[tokio::test]
async fn unsigned_garbage_is_401_not_400(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let s = setup(backend, Scheme::CareLoop).await;
    let d = Delivery {
        headers: vec![("X-CareLoop-Signature".into(), "t=1,v1=zz".into())],
        body: b"not json".to_vec(),
    };
    assert_eq!(s.send(&d).await.0, StatusCode::UNAUTHORIZED);
}

#[rstest]
#[tokio::test]
async fn careloop_type_header_disagreeing_with_signed_body_is_refused(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let s = setup(backend, Scheme::CareLoop).await;
    let d = delivery(
        Scheme::CareLoop,
        &s.secret,
        "evt_1",
        "incident.created",
        now(),
    )
    .with_header("X-CareLoop-Event", "incident.critical");
    let (status, body) = s.send(&d).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_event");
    assert!(s.stored_ids().await.is_empty());
}

#[rstest]
#[tokio::test]
async fn every_scheme_in_one_org_feeds_one_stream(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let server = TestServer::start(backend).await;
    let dev = server.store.add_device("org_a", "desk").await.unwrap();
    for (i, scheme) in ALL.into_iter().enumerate() {
        let ep = server
            .store
            .add_endpoint("org_a", scheme, None)
            .await
            .unwrap();
        let d = delivery(
            scheme,
            &ep.secret,
            &format!("evt_{i}"),
            "incident.critical",
            now(),
        );
        assert_eq!(server.deliver(&ep.path, &d).await.0, StatusCode::OK);
    }
    let (_, page) = server.poll(&dev.token, "").await;
    assert_eq!(ids(&page), vec!["evt_0", "evt_1", "evt_2", "evt_3"]);
}
