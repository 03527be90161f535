//! The `loopdesk-sandbox` binary starts and prints its JSON line.

use std::process::Stdio;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::common::{client, within};

#[tokio::test]
async fn prints_base_url_and_keys_then_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_loopdesk-sandbox"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--seed",
            "7",
            "--size",
            "small",
            "--key",
            "tok_a=read:residents,read:staff",
            "--key",
            "tok_b=admin",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = within("the start-up line", lines.next_line())
        .await
        .unwrap()
        .expect("a JSON line");
    assert!(
        line.starts_with(r#"{"base_url":"http://127.0.0.1:"#),
        "{line}"
    );
    assert!(
        line.contains(r#"{"token":"tok_a","scopes":["read:residents","read:staff"]}"#),
        "{line}"
    );
    let v: Value = serde_json::from_str(&line).unwrap();
    let base = v["base_url"].as_str().unwrap();
    assert!(base.starts_with("http://127.0.0.1:"));
    assert_eq!(
        v["keys"],
        serde_json::json!([
            {"token": "tok_a", "scopes": ["read:residents", "read:staff"]},
            {"token": "tok_b", "scopes": ["admin"]}
        ])
    );
    let r = client()
        .get(format!("{base}/v1/residents"))
        .bearer_auth("tok_a")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // No test controls unless asked for.
    let r = client()
        .get(format!("{base}/v1/_test/clock"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    child.kill().await.unwrap();
}

#[tokio::test]
async fn without_keys_it_creates_an_admin_key() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_loopdesk-sandbox"))
        .args(["--listen", "127.0.0.1:0", "--test-controls"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = within("the start-up line", lines.next_line())
        .await
        .unwrap()
        .expect("a JSON line");
    let v: Value = serde_json::from_str(&line).unwrap();
    let keys = v["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["scopes"], serde_json::json!(["admin"]));
    let base = v["base_url"].as_str().unwrap();
    let r = client()
        .get(format!("{base}/v1/audit-log"))
        .bearer_auth(keys[0]["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The test controls are there, for the admin key only.
    let r = client()
        .get(format!("{base}/v1/_test/clock"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = client()
        .get(format!("{base}/v1/_test/clock"))
        .bearer_auth(keys[0]["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    child.kill().await.unwrap();
}

#[tokio::test]
async fn bad_arguments_fail_with_a_message() {
    for args in [
        vec!["--size", "huge"],
        vec!["--key", "tok=read:everything"],
        vec!["--webhook-url", "http://127.0.0.1:1/h"],
        vec!["--time-scale", "0"],
    ] {
        let run = Command::new(env!("CARGO_BIN_EXE_loopdesk-sandbox"))
            .args(["--listen", "127.0.0.1:0"])
            .args(&args)
            .kill_on_drop(true)
            .output();
        let out = within("the refusing process to exit", run).await.unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

#[tokio::test]
async fn prints_the_openapi_document() {
    let run = Command::new(env!("CARGO_BIN_EXE_loopdesk-sandbox"))
        .arg("--print-openapi")
        .kill_on_drop(true)
        .output();
    let out = within("--print-openapi to exit", run).await.unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc, loopdesk_sandbox::http::openapi::document(false));
}
