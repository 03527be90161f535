//! The demo's alert bridge: a test alert goes from the demo CareLoop through the bridge to the
//! desk; the bridge can be stopped and started again.

use std::sync::Arc;

use loopdesk_core::alerts::DEVICE_TOKEN;
use loopdesk_core::ipc::Code;
use loopdesk_core::secrets::{MemorySecretStore, SecretStore};
use loopdesk_core::store::repo;
use loopdesk_demo::{DataSize, Demo};

use crate::{desk_on, until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_sends_a_test_alert_through_its_own_bridge() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemorySecretStore::new());
    let demo = Demo::start_with_alerts(DataSize::Small, dir.path())
        .await
        .unwrap();
    let desk = desk_on(&demo, &dir, secrets.clone()).await;
    let settings = desk.get_settings().await.unwrap();
    assert!(settings.demo);
    assert!(settings
        .bridge_url
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    assert!(settings.device_token_hint.is_some());
    assert!(
        secrets.get(DEVICE_TOKEN).unwrap().is_none(),
        "the demo token stays in memory"
    );

    let e = demo
        .trigger_alert("incident.created".into())
        .await
        .unwrap_err();
    assert_eq!(e.code, Code::InvalidInput);
    for kind in ["incident.critical", "visit.no_show"] {
        demo.trigger_alert(kind.into()).await.unwrap();
        until(kind, || {
            desk.store()
                .read(repo::alerts::open_alerts)
                .unwrap()
                .into_iter()
                .find(|a| a.kind == kind)
        })
        .await;
    }
    // The demo bridge can be stopped and started again (the window test uses it).
    let alerts = desk.alerts();
    demo.set_bridge_running(false).await.unwrap();
    let failures = until("a failed poll", || {
        let f = alerts.poller_stats().failures;
        (f > 0).then_some(f)
    })
    .await;
    assert!(failures > 0);
    demo.set_bridge_running(true).await.unwrap();
    until("polls again", || {
        (alerts.poller_stats().failures == 0).then_some(())
    })
    .await;
    desk.shutdown().await;
}
