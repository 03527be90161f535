//! Slow and greedy clients: timeouts, the connection cap, long-polls per device, page sizes.

use loopdesk_bridge::store::NewEvent;
use loopdesk_bridge::{EventStore as _, Store};
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{client, within, BridgeProcess};

const MIB: u64 = 1024 * 1024;

#[tokio::test]
async fn concurrent_reads_of_large_events_keep_the_server_small() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bridge.db");
    let store = Store::open(&db).unwrap();
    let dev = store.add_device("org_a", "desk").unwrap();
    // 400 events of 256 KiB (the largest body the intake takes): 100 MiB.
    let pad = "x".repeat(256 * 1024 - 16);
    let inserts = (0..400).map(|i| {
        store.insert_event(NewEvent {
            org: "org_a".into(),
            source: "lifeloop".into(),
            id: format!("big_{i}"),
            endpoint_id: "ep_x".into(),
            event_type: "resident.updated".into(),
            occurred_at: None,
            resource_id: None,
            data: format!(r#"{{"pad":"{pad}"}}"#),
            remember_until: None,
        })
    });
    for r in within("400 inserts", futures::future::join_all(inserts)).await {
        r.unwrap();
    }
    drop(store);

    let bridge = BridgeProcess::start(&db).await;
    let http = client();
    let started = bridge.status_bytes("VmRSS");
    // Four desks read with limit=1000 at once, ten pages each.
    let readers = (0..4).map(|_| {
        let (http, base, token) = (http.clone(), bridge.base.clone(), dev.token.clone());
        async move {
            let mut after = "0".to_owned();
            let mut read = 0;
            for _ in 0..10 {
                let resp = http
                    .get(format!("{base}/v1/events?after={after}&limit=1000"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), StatusCode::OK);
                let page: Value = resp.json().await.unwrap();
                let n = page["data"].as_array().unwrap().len();
                if n == 0 {
                    break;
                }
                read += n;
                after = page["next_cursor"].as_str().unwrap().to_owned();
            }
            read
        }
    });
    let read = within("four readers", futures::future::join_all(readers)).await;
    assert!(
        read.iter().all(|n| *n >= 10),
        "each reader read ten pages: {read:?}"
    );
    // The peak resident size of the server over its whole life, reads included.
    let peak = bridge.status_bytes("VmHWM");
    assert!(
        peak < 200 * MIB,
        "the server peaked at {} MiB (started at {} MiB)",
        peak / MIB,
        started / MIB
    );
}
