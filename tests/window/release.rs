//! The release package as a care home gets it: `make release`'s Debian package, unpacked into a
//! temporary folder (`dpkg-deb -x`, nothing installed on the machine), whose app starts and shows
//! its first screen. Not part of `make test` (a release build takes several minutes): `make
//! test-release` builds the package and runs this. `LOOPDESK_RELEASE_DEB` names another package.

use std::path::PathBuf;
use std::process::Command;

use loopdesk_e2e::window::{workspace_root, AppWindow, LaunchOptions};
use serde_json::json;

/// `LOOPDESK_RELEASE_DEB`, else where `make release` puts the package of this version.
fn release_package() -> PathBuf {
    if let Some(deb) = std::env::var_os("LOOPDESK_RELEASE_DEB") {
        return deb.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let arch = Command::new("dpkg")
        .arg("--print-architecture")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|a| a.trim().to_owned())
        .unwrap_or_else(|| "amd64".to_owned());
    target.join(format!(
        "release/bundle/deb/Loopdesk_{}_{arch}.deb",
        env!("CARGO_PKG_VERSION")
    ))
}

#[tokio::test]
#[ignore = "needs the release package: `make test-release` builds it and runs this"]
async fn the_release_package_starts_and_shows_its_first_screen() {
    let deb = release_package();
    assert!(
        deb.exists(),
        "no release package at {}: run `make release` first (or `make test-release`)",
        deb.display()
    );
    let root = tempfile::tempdir().unwrap();
    let unpacked = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(root.path())
        .status()
        .expect("dpkg-deb runs");
    assert!(unpacked.success(), "dpkg-deb -x {}", deb.display());
    let app = root.path().join("usr/bin/loopdesk");
    assert!(app.exists(), "the package has usr/bin/loopdesk");

    // Asking for the demo changes nothing in a release build: it has no demo backend.
    let window = AppWindow::launch_with(LaunchOptions {
        app: Some(app),
        env: vec![("LOOPDESK_DEMO".into(), "1".into())],
        ..Default::default()
    })
    .await;

    // The first screen: the desk's shell on Reception, with the packaged version in its footer.
    window.wait_for("[data-testid=shell]").await;
    window.wait_for("[data-testid=reception]").await;
    let version = window.text_of("[data-testid=app-version]").await;
    assert_eq!(version.trim(), env!("CARGO_PKG_VERSION"));
    window.screenshot("release-first-screen").await;

    let status = window.invoke("sync_status", json!({})).await.unwrap();
    assert_eq!(status["demo"], false, "not on a demo backend: {status}");
    // The demo-only commands are not in the release app at all.
    let answer = window.invoke("set_demo_sandbox", json!({})).await;
    let refused = answer.expect_err("a release build has no demo commands");
    assert!(
        refused.to_string().contains("not found"),
        "refused as an unknown command: {refused}"
    );
    let files: Vec<String> = std::fs::read_dir(&window.data_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files.iter().all(|f| !f.starts_with("demo-")),
        "no demo data in the data folder: {files:?}"
    );
    window.close().await;
}
