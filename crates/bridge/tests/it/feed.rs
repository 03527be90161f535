//! `GET /v1/events`: order, cursors, long-poll wake-up, filters, tenant isolation, auth.

use loopdesk_bridge::{EventStore as _, Scheme};
use reqwest::StatusCode;
use rstest::rstest;
use serde_json::Value;

use crate::common::{delivery, ids, now, Backend, TestServer, POSTGRES, SQLITE};

struct Org {
    path: String,
    secret: String,
    token: String,
}

async fn org(server: &TestServer, name: &str) -> Org {
    let ep = server
        .store
        .add_endpoint(name, Scheme::CareLoop, None)
        .await
        .unwrap();
    let dev = server.store.add_device(name, "desk").await.unwrap();
    Org {
        path: ep.path,
        secret: ep.secret,
        token: dev.token,
    }
}

async fn post(server: &TestServer, o: &Org, id: &str, ty: &str) {
    let d = delivery(Scheme::CareLoop, &o.secret, id, ty, now());
    let (status, body) = server.deliver(&o.path, &d).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn cursors(page: &Value) -> Vec<i64> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["cursor"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[rstest]
#[tokio::test]
async fn events_come_in_the_order_received_with_increasing_cursors(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let a = org(&server, "org_a").await;
    let names = ["evt_5", "evt_1", "evt_4", "evt_2", "evt_3"];
    for (i, id) in names.iter().enumerate() {
        let ty = if i % 2 == 0 {
            "incident.critical"
        } else {
            "visit.no_show"
        };
        post(&server, &a, id, ty).await;
    }
    let (status, page) = server.poll(&a.token, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&page), names);
    let cs = cursors(&page);
    assert!(cs.windows(2).all(|w| w[0] < w[1]), "{cs:?}");
    assert_eq!(page["next_cursor"], cs[4].to_string());

    // after a cursor: only what came later.
    let (_, later) = server.poll(&a.token, &format!("?after={}", cs[1])).await;
    assert_eq!(ids(&later), names[2..]);
    // after the last: nothing, and the cursor stays.
    let (_, none) = server
        .poll(&a.token, &format!("?after={}&wait=0", cs[4]))
        .await;
    assert_eq!(none["data"], serde_json::json!([]));
    assert_eq!(none["next_cursor"], cs[4].to_string());
    assert_eq!(server.metric("bridge_events_served_total").await, 8.0);
}

#[rstest]
#[tokio::test]
async fn limit_pages_through_everything_exactly_once(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = org(&server, "org_a").await;
    for i in 0..7 {
        post(&server, &a, &format!("evt_{i}"), "incident.created").await;
    }
    let mut seen = Vec::new();
    let mut after = String::from("0");
    loop {
        let (_, page) = server
            .poll(&a.token, &format!("?after={after}&limit=3"))
            .await;
        let got = ids(&page);
        assert!(got.len() <= 3);
        if got.is_empty() {
            break;
        }
        seen.extend(got);
        after = page["next_cursor"].as_str().unwrap().to_owned();
    }
    let expected: Vec<String> = (0..7).map(|i| format!("evt_{i}")).collect();
    assert_eq!(seen, expected);
}

#[rstest]
#[tokio::test]
async fn types_filter_returns_only_those_types(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = org(&server, "org_a").await;
    post(&server, &a, "e1", "incident.critical").await;
    post(&server, &a, "e2", "cert.expiring").await;
    post(&server, &a, "e3", "visit.no_show").await;
    post(&server, &a, "e4", "resident.admitted").await;
    let (_, page) = server
        .poll(&a.token, "?types=incident.critical,visit.no_show")
        .await;
    assert_eq!(ids(&page), vec!["e1", "e3"]);
    let (_, page) = server.poll(&a.token, "?types=cert.expiring").await;
    assert_eq!(ids(&page), vec!["e2"]);
    let (_, page) = server.poll(&a.token, "?types=no.such.type").await;
    assert!(ids(&page).is_empty());
}

#[rstest]
#[tokio::test]
async fn a_waiting_poll_is_woken_by_a_new_event(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = org(&server, "org_a").await;
    post(&server, &a, "evt_before", "cert.expiring").await;
    let (_, first) = server.poll(&a.token, "").await;
    let after = first["next_cursor"].as_str().unwrap().to_owned();

    let poll = {
        let client = server.client.clone();
        let url = server.url(&format!("/v1/events?after={after}&wait=30"));
        let token = a.token.clone();
        tokio::spawn(async move {
            let resp = client.get(url).bearer_auth(token).send().await.unwrap();
            (resp.status(), resp.json::<Value>().await.unwrap())
        })
    };
    // The poll is held (nothing is newer) before the event is posted.
    server.wait_for_open_polls(1.0).await;
    post(&server, &a, "evt_alert", "incident.critical").await;
    let (status, page) = poll.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&page), vec!["evt_alert"]);
    assert_eq!(server.metric("bridge_long_polls_open").await, 0.0);
}

#[rstest]
#[tokio::test]
async fn a_waiting_poll_with_a_types_filter_ignores_other_types(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let a = org(&server, "org_a").await;
    let poll = {
        let client = server.client.clone();
        let url = server.url("/v1/events?wait=30&types=visit.no_show");
        let token = a.token.clone();
        tokio::spawn(async move {
            let resp = client.get(url).bearer_auth(token).send().await.unwrap();
            resp.json::<Value>().await.unwrap()
        })
    };
    server.wait_for_open_polls(1.0).await;
    post(&server, &a, "evt_other", "cert.expired").await;
    post(&server, &a, "evt_noshow", "visit.no_show").await;
    let page = poll.await.unwrap();
    assert_eq!(ids(&page), vec!["evt_noshow"]);
}

#[rstest]
#[tokio::test]
async fn wait_ends_with_an_empty_page_and_the_same_cursor(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let a = org(&server, "org_a").await;
    let (_, page) = server.poll(&a.token, "").await;
    assert_eq!(page, serde_json::json!({"data": [], "next_cursor": "0"}));
    post(&server, &a, "e1", "cert.expiring").await;
    let (_, page) = server.poll(&a.token, "").await;
    let after = page["next_cursor"].as_str().unwrap().to_owned();
    let (status, page) = server
        .poll(&a.token, &format!("?after={after}&wait=1"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page, serde_json::json!({"data": [], "next_cursor": after}));
}

#[rstest]
#[tokio::test]
async fn a_device_never_sees_another_orgs_events_through_any_parameter(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let a = org(&server, "org_a").await;
    let b = org(&server, "org_b").await;
    post(&server, &b, "b1", "incident.critical").await;
    post(&server, &a, "a1", "visit.no_show").await;
    post(&server, &b, "b2", "incident.critical").await;
    post(&server, &b, "b3", "visit.no_show").await;

    let (_, b_page) = server.poll(&b.token, "").await;
    assert_eq!(ids(&b_page), vec!["b1", "b2", "b3"]);
    let b_cursors = cursors(&b_page);

    let queries = [
        String::new(),
        "?after=0".into(),
        format!("?after={}", b_cursors[0]),
        format!("?after={}", b_cursors[1]),
        format!("?after={}", b_cursors[0] - 1),
        "?types=incident.critical".into(),
        "?types=incident.critical,visit.no_show".into(),
        "?limit=1000".into(),
        "?limit=1".into(),
        format!(
            "?after={}&types=incident.critical&limit=1000",
            b_cursors[0] - 1
        ),
    ];
    for q in &queries {
        let (status, page) = server.poll(&a.token, q).await;
        if status == StatusCode::CONFLICT {
            // B's cursors are not A's: beyond what A was issued, A is told to start over.
            assert_eq!(page["error"]["code"], "cursor_ahead", "{q}");
            continue;
        }
        assert_eq!(status, StatusCode::OK, "{q}");
        for e in page["data"].as_array().unwrap() {
            assert_eq!(e["org"], "org_a", "{q}: {e}");
            assert!(e["id"].as_str().unwrap().starts_with('a'), "{q}: {e}");
        }
    }
    // Past B's newest cursor there is nothing for A.
    let (_, page) = server
        .poll(&a.token, &format!("?after={}", b_cursors[2]))
        .await;
    assert!(
        page.get("data").is_none() || ids(&page).is_empty(),
        "{page}"
    );

    // A waiting poll of A is not answered with B's event, only with A's next one.
    let (_, a_page) = server.poll(&a.token, "").await;
    let a_next = a_page["next_cursor"].as_str().unwrap().to_owned();
    let poll = {
        let client = server.client.clone();
        let url = server.url(&format!("/v1/events?after={a_next}&wait=30"));
        let token = a.token.clone();
        tokio::spawn(async move {
            let resp = client.get(url).bearer_auth(token).send().await.unwrap();
            resp.json::<Value>().await.unwrap()
        })
    };
    server.wait_for_open_polls(1.0).await;
    post(&server, &b, "b4", "incident.critical").await;
    post(&server, &a, "a2", "incident.critical").await;
    let page = poll.await.unwrap();
    assert_eq!(ids(&page), vec!["a2"]);
}

#[rstest]
#[tokio::test]
async fn missing_unknown_and_revoked_tokens_are_401(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = org(&server, "org_a").await;
    post(&server, &a, "a1", "incident.critical").await;
    assert_eq!(server.poll(&a.token, "").await.0, StatusCode::OK);

    let url = server.url("/v1/events");
    let no_auth = server.client.get(&url).send().await.unwrap();
    assert_eq!(no_auth.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(no_auth.headers()["www-authenticate"], "Bearer");
    let basic = server
        .client
        .get(&url)
        .header("authorization", format!("Basic {}", a.token))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
    let (status, body) = server.poll("ldb_not-a-real-token", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");

    let device = &server.store.list_devices(Some("org_a")).await.unwrap()[0];
    server.store.revoke_device(&device.device_id).await.unwrap();
    let (status, body) = server.poll(&a.token, "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.get("data").is_none());
}

#[rstest]
#[tokio::test]
async fn a_cursor_from_a_reset_store_is_409_not_silence(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let a = org(&server, "org_a").await;
    let (status, body) = server.poll(&a.token, "?after=5000&wait=30").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "cursor_ahead");
    post(&server, &a, "e1", "incident.critical").await;
    let (_, page) = server.poll(&a.token, "").await;
    let last = page["next_cursor"]
        .as_str()
        .unwrap()
        .parse::<i64>()
        .unwrap();
    assert_eq!(
        server.poll(&a.token, &format!("?after={last}")).await.0,
        StatusCode::OK
    );
    let (status, _) = server.poll(&a.token, &format!("?after={}", last + 1)).await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[rstest]
#[case::negative_after("?after=-1")]
#[case::text_after("?after=abc")]
#[case::plus_after("?after=+5")]
#[case::wait_too_long("?wait=31")]
#[case::wait_not_a_number("?wait=soon")]
#[case::zero_limit("?limit=0")]
#[case::limit_too_big("?limit=1001")]
#[case::empty_types("?types=")]
#[case::empty_type_in_list("?types=a,,b")]
#[case::unknown_parameter("?since=3")]
#[tokio::test]
async fn bad_parameters_are_400_with_the_error_envelope(
    #[values(SQLITE, POSTGRES)] backend: Backend,
    #[case] query: &str,
) {
    let server = TestServer::start(backend).await;
    let a = org(&server, "org_a").await;
    let (status, body) = server.poll(&a.token, query).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
    assert_eq!(body["error"]["code"], "invalid_parameter");
    assert!(body["error"]["message"].as_str().unwrap().len() > 5);
}

#[rstest]
#[tokio::test]
async fn error_envelope_shape(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = org(&server, "org_a").await;
    let (_, body) = server.poll(&a.token, "?wait=31").await;
    // The same for both stores: asserted once per store in one process.
    insta::allow_duplicates! {
        insta::assert_json_snapshot!(body, @r#"
    {
      "error": {
        "code": "invalid_parameter",
        "message": "wait must be a whole number of seconds, 0 to 30"
      }
    }
    "#);
    }
}

#[rstest]
#[tokio::test]
async fn shutdown_answers_waiting_polls_and_stops_cleanly(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::with_config(backend, |c| c.max_polls_per_device = 3).await;
    let a = org(&server, "org_a").await;
    let polls: Vec<_> = (0..3)
        .map(|_| {
            let client = server.client.clone();
            let url = server.url("/v1/events?after=0&wait=30");
            let token = a.token.clone();
            tokio::spawn(async move {
                let resp = client.get(url).bearer_auth(token).send().await.unwrap();
                (resp.status(), resp.json::<Value>().await.unwrap())
            })
        })
        .collect();
    server.wait_for_open_polls(3.0).await;
    server.stop().await.expect("clean stop");
    for p in polls {
        let (status, page) = p.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page, serde_json::json!({"data": [], "next_cursor": "0"}));
    }
}

#[rstest]
#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = org(&server, "org_a").await;
    let resp = server
        .client
        .get(server.url("/v1/events"))
        .header("authorization", format!("bearer {}", a.token))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[rstest]
#[tokio::test]
async fn feed_page_shape(#[values(SQLITE, POSTGRES)] backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = org(&server, "org_a").await;
    post(&server, &a, "evt_shape", "incident.critical").await;
    let (_, mut page) = server.poll(&a.token, "").await;
    // Volatile values: checked, then pinned for the snapshot.
    assert_eq!(page["data"][0]["cursor"], page["next_cursor"]);
    let ev = &mut page["data"][0];
    let received = ev["received_at"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(received).is_ok());
    ev["received_at"] = "[received_at]".into();
    assert_eq!(ev["occurred_at"], ev["data"]["occurred_at"]);
    ev["occurred_at"] = "[occurred_at]".into();
    ev["data"]["occurred_at"] = "[occurred_at]".into();
    // The same for both stores: asserted once per store in one process.
    insta::allow_duplicates! {
        insta::assert_json_snapshot!(page, @r#"
    {
      "data": [
        {
          "cursor": "1",
          "data": {
            "data": {
              "incident_id": "inc_evt_shape",
              "resident_id": "res_1",
              "severity": "critical",
              "title": "Witnessed fall in lounge"
            },
            "id": "evt_shape",
            "occurred_at": "[occurred_at]",
            "organization_id": "org_cl",
            "type": "incident.critical"
          },
          "id": "evt_shape",
          "occurred_at": "[occurred_at]",
          "org": "org_a",
          "received_at": "[received_at]",
          "resource_id": "inc_evt_shape",
          "source": "careloop",
          "type": "incident.critical"
        }
      ],
      "next_cursor": "1"
    }
    "#);
    }
}

#[rstest]
#[tokio::test]
async fn cursors_count_per_organisation_and_reveal_nothing_of_another_orgs_volume(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let a = org(&server, "org_a").await;
    let b = org(&server, "org_b").await;
    for i in 0..25 {
        post(&server, &a, &format!("a{i}"), "incident.created").await;
    }
    // B's first cursor is what it would be had A sent nothing.
    post(&server, &b, "b1", "incident.critical").await;
    let (_, page) = server.poll(&b.token, "").await;
    assert_eq!(cursors(&page), vec![1]);
    assert_eq!(page["next_cursor"], "1");
    post(&server, &a, "a25", "incident.created").await;
    post(&server, &b, "b2", "incident.critical").await;
    let (_, page) = server.poll(&b.token, "?after=1").await;
    assert_eq!(
        (ids(&page), cursors(&page)),
        (vec!["b2".to_owned()], vec![2])
    );
    let (_, page) = server.poll(&a.token, "?after=24").await;
    assert_eq!(
        (ids(&page), cursors(&page)),
        (vec!["a24".to_owned(), "a25".to_owned()], vec![25, 26])
    );

    // cursor_ahead is judged against the device's own organisation: B's 3 was never issued to
    // B, however far A's cursors have gone.
    let (status, body) = server.poll(&b.token, "?after=3&wait=30").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "cursor_ahead");
    assert_eq!(server.poll(&b.token, "?after=2").await.0, StatusCode::OK);
    assert_eq!(server.poll(&a.token, "?after=26").await.0, StatusCode::OK);
    assert_eq!(
        server.poll(&a.token, "?after=27").await.0,
        StatusCode::CONFLICT
    );
}

#[rstest]
#[tokio::test]
async fn a_purged_organisations_cursors_are_never_reused(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let a = org(&server, "org_a").await;
    post(&server, &a, "a1", "incident.created").await;
    post(&server, &a, "a2", "incident.created").await;
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let purge = server.store.purge_received_before(later);
    crate::common::within("the purge", purge).await.unwrap();
    // Its desk's cursor (2) is still one this bridge issued, and the next event comes after it.
    let (status, page) = server.poll(&a.token, "?after=2").await;
    assert_eq!((status, ids(&page)), (StatusCode::OK, Vec::<String>::new()));
    post(&server, &a, "a3", "incident.created").await;
    let (_, page) = server.poll(&a.token, "?after=2").await;
    assert_eq!(cursors(&page), vec![3]);
}

#[rstest]
#[tokio::test]
async fn pages_are_capped_in_bytes_and_a_larger_event_comes_alone(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    const CAP: usize = 20_000;
    let server = TestServer::with_config(backend, |c| c.max_page_bytes = CAP).await;
    let dev = server.store.add_device("org_a", "desk").await.unwrap();
    let pads = [6000, 6000, 6000, 6000, 50_000, 3000, 3000, 19_000, 3000];
    for (i, pad) in pads.iter().enumerate() {
        let insert = server.store.insert_event(loopdesk_bridge::store::NewEvent {
            org: "org_a".into(),
            source: "lifeloop".into(),
            id: format!("e{i}"),
            endpoint_id: "ep_x".into(),
            event_type: "resident.updated".into(),
            occurred_at: None,
            resource_id: None,
            data: serde_json::json!({ "pad": "x".repeat(*pad) }).to_string(),
            remember_until: None,
        });
        crate::common::within("an insert", insert).await.unwrap();
    }
    let mut pages = Vec::new();
    let mut after = "0".to_owned();
    loop {
        let (status, page) = server
            .poll(&dev.token, &format!("?after={after}&limit=1000"))
            .await;
        assert_eq!(status, StatusCode::OK);
        let events = page["data"].as_array().unwrap().clone();
        if events.is_empty() {
            break;
        }
        if events.len() > 1 {
            let bytes: usize = events.iter().map(|e| e.to_string().len()).sum();
            assert!(
                bytes <= CAP,
                "a page of {} events is {bytes} bytes",
                events.len()
            );
        }
        pages.push(ids(&page));
        after = page["next_cursor"].as_str().unwrap().to_owned();
    }
    // Each page ends before the event that would pass the cap; the 50 kB event comes alone.
    let expected: Vec<Vec<String>> = [
        &["e0", "e1", "e2"][..],
        &["e3"],
        &["e4"],
        &["e5", "e6"],
        &["e7"],
        &["e8"],
    ]
    .iter()
    .map(|p| p.iter().map(|s| s.to_string()).collect())
    .collect();
    assert_eq!(pages, expected);
}

/// Starts a long-poll of `token` (after `after`, waiting 30 s) in the background.
fn waiting_poll(
    server: &TestServer,
    token: &str,
    after: &str,
) -> tokio::task::JoinHandle<(StatusCode, Value)> {
    let client = server.client.clone();
    let url = server.url(&format!("/v1/events?after={after}&wait=30"));
    let token = token.to_owned();
    tokio::spawn(async move {
        let resp = client.get(url).bearer_auth(token).send().await.unwrap();
        (
            resp.status(),
            resp.json::<Value>().await.unwrap_or(Value::Null),
        )
    })
}

/// Well below the polls' 30 s wait: a poll answered within this was ended, not timed out.
const PROMPTLY: std::time::Duration = std::time::Duration::from_secs(10);

async fn answered_promptly(
    poll: tokio::task::JoinHandle<(StatusCode, Value)>,
    what: &str,
) -> (StatusCode, Value) {
    match tokio::time::timeout(PROMPTLY, poll).await {
        Ok(answer) => answer.unwrap(),
        Err(_) => panic!("{what}: still waiting after {PROMPTLY:?}"),
    }
}

#[rstest]
#[tokio::test]
async fn a_devices_newest_long_poll_replaces_its_oldest(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    // Two waiting polls per device by default.
    let server = TestServer::start(backend).await;
    let a = org(&server, "org_a").await;
    let other = server
        .store
        .add_device("org_a", "back office")
        .await
        .unwrap();
    post(&server, &a, "e1", "cert.expiring").await;
    let first = waiting_poll(&server, &a.token, "1");
    server.wait_for_open_polls(1.0).await;
    let second = waiting_poll(&server, &a.token, "1");
    server.wait_for_open_polls(2.0).await;
    let elsewhere = waiting_poll(&server, &other.token, "1");
    server.wait_for_open_polls(3.0).await;
    let third = waiting_poll(&server, &a.token, "1");
    // The oldest of the device's polls is answered at once, as a poll whose wait ended.
    let (status, page) = answered_promptly(first, "the replaced poll").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page, serde_json::json!({"data": [], "next_cursor": "1"}));
    server.wait_for_open_polls(3.0).await;
    assert_eq!(server.metric("bridge_long_polls_open").await, 3.0);
    assert_eq!(server.metric("bridge_long_polls_replaced_total").await, 1.0);
    // The others (the device's two newest, the other device's) all get the next event.
    post(&server, &a, "e2", "incident.critical").await;
    for poll in [second, third, elsewhere] {
        let (status, page) = answered_promptly(poll, "a waiting poll").await;
        assert_eq!(
            (status, ids(&page)),
            (StatusCode::OK, vec!["e2".to_owned()])
        );
    }
}

#[rstest]
#[tokio::test]
async fn a_device_revoked_by_the_cli_has_its_waiting_poll_ended_with_401(
    #[values(SQLITE, POSTGRES)] backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let a = org(&server, "org_a").await;
    let db = server.db.args();
    let db: Vec<&str> = db.iter().map(String::as_str).collect();
    let devices = server.store.list_devices(Some("org_a")).await.unwrap();
    let poll = waiting_poll(&server, &a.token, "0");
    server.wait_for_open_polls(1.0).await;
    let out = crate::cli::bridge(
        &[
            &["device", "revoke"],
            &db[..],
            &["--id", &devices[0].device_id],
        ]
        .concat(),
    );
    assert!(out.status.success());
    let (status, body) = answered_promptly(poll, "the revoked device's poll").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");
    assert_eq!(server.metric("bridge_long_polls_open").await, 0.0);

    // Revoked while waiting, then an event comes at once: the poll ends with 401, not with it.
    let other = server
        .store
        .add_device("org_a", "back office")
        .await
        .unwrap();
    let poll = waiting_poll(&server, &other.token, "0");
    server.wait_for_open_polls(1.0).await;
    let out =
        crate::cli::bridge(&[&["device", "revoke"], &db[..], &["--id", &other.device_id]].concat());
    assert!(out.status.success());
    post(&server, &a, "after_revocation", "incident.critical").await;
    let (status, body) = answered_promptly(poll, "the revoked device's poll").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.get("data").is_none(), "{body}");
}
