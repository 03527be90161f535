//! Signed updates in the real window: a manager sets the update address in Settings and sees
//! "Version 0.2.0 is available" from an update server on 127.0.0.1 (started here, signed here
//! with a key made for this test, which the demo build's updater trusts through
//! `LOOPDESK_UPDATE_TEST_PUBKEY`); then the server's file is tampered with and "Check now"
//! shows the refusal in words. Every screen passes the accessibility check.

use std::io::Cursor;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use loopdesk_e2e::window::{AppWindow, LaunchOptions};
use serde_json::json;

/// The server's latest.json and file.
struct Served {
    latest: serde_json::Value,
    file: Vec<u8>,
}

type Shared = Arc<Mutex<Served>>;

async fn latest(State(s): State<Shared>) -> Response {
    axum::Json(s.lock().unwrap().latest.clone()).into_response()
}

async fn file(State(s): State<Shared>) -> Response {
    s.lock().unwrap().file.clone().into_response()
}

fn b64(text: String) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test]
async fn a_manager_sets_the_update_address_and_sees_a_verified_update_and_a_refused_one() {
    let keys = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
    let public = b64(keys.pk.to_box().unwrap().to_string());
    let mut new = b"\x7fELF\x02\x01\x01\x00Loopdesk 0.2.0".to_vec();
    new.resize(32 * 1024, 0x5a);
    let signature = b64(minisign::sign(
        Some(&keys.pk),
        &keys.sk,
        Cursor::new(&new),
        Some("timestamp:1764126000\tfile:Loopdesk.AppImage\tversion:0.2.0"),
        None,
    )
    .unwrap()
    .to_string());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served: Shared = Arc::new(Mutex::new(Served {
        latest: json!({
            "version": "0.2.0",
            "notes": "Faster visitor sign-in.",
            "platforms": {"linux-x86_64": {"signature": signature, "url": format!("{base}/file")}}
        }),
        file: new.clone(),
    }));
    let router = Router::new()
        .route("/latest.json", get(latest))
        .route("/file", get(file))
        .with_state(served.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let app = AppWindow::launch_with(LaunchOptions {
        env: vec![("LOOPDESK_UPDATE_TEST_PUBKEY".into(), public)],
        ..Default::default()
    })
    .await;
    app.wait_for("[data-testid=shell]").await;
    // No PIN yet: the console is open, as to a manager setting the desk up.
    app.click_on("[data-testid=nav-console]").await;
    app.click_on("[data-testid=console-nav-settings]").await;
    let said = app.text_of("[data-testid=update-message]").await;
    assert!(said.contains("No update address is set"), "{said}");

    let field = app
        .session
        .wait_for("#update-address", loopdesk_e2e::window::APPEAR)
        .await
        .unwrap();
    app.session
        .send_keys(&field, &format!("{base}/latest.json"))
        .await
        .unwrap();
    app.click_on("[data-testid=save-update-settings]").await;
    app.wait_for("[data-testid=update-saved]").await;
    app.click_on("[data-testid=check-for-update]").await;
    app.wait_for("[data-testid=update-status][data-state=ready]")
        .await;
    let status = app.text_of("[data-testid=update-status]").await;
    assert!(status.contains("Version 0.2.0 is available"), "{status}");
    assert!(status.contains("Faster visitor sign-in."), "{status}");
    app.screenshot("settings-update-available").await;

    // The file on the server is changed: the check refuses it, in words.
    served.lock().unwrap().file[20_000] ^= 0x01;
    app.click_on("[data-testid=check-for-update]").await;
    app.wait_for("[data-testid=update-status][data-state=refused]")
        .await;
    let status = app.text_of("[data-testid=update-status]").await;
    assert!(
        status.contains(
            "Version 0.2.0 was refused: the downloaded file does not match its signature"
        ),
        "{status}"
    );
    app.check_accessibility("settings: update refused").await;
    app.screenshot("settings-update-refused").await;
    app.close().await;
}
