use loopdesk_core::store::{latest_version, DB_FILE_NAME};
use loopdesk_e2e::window::{AppWindow, LaunchOptions};

#[tokio::test]
async fn the_console_shows_the_schema_version_of_the_migrated_data_file() {
    let app = AppWindow::launch().await;
    app.wait_for("[data-testid=shell]").await;
    app.click_on("[data-testid=nav-console]").await;
    app.wait_for("[data-testid=console]").await;
    let shown = app.text_of("[data-testid=schema-version]").await;
    assert_eq!(shown.trim(), latest_version().to_string());
    let data_dir = app.text_of("[data-testid=data-dir]").await;
    assert_eq!(data_dir.trim(), app.data_dir.display().to_string());
    assert!(app.data_dir.join(DB_FILE_NAME).exists());
    app.screenshot("console-overview").await;
    app.close().await;
}

#[tokio::test]
async fn an_unreadable_data_file_is_kept_and_a_new_one_needs_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(DB_FILE_NAME);
    std::fs::write(&db, b"not a database, but somebody's data all the same").unwrap();
    let app = AppWindow::launch_with(LaunchOptions {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    })
    .await;

    app.wait_for("[data-testid=startup-error][data-state=corrupt]")
        .await;
    let page = app.text_of("[data-testid=startup-error]").await;
    let moved: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".corrupt-"))
        .collect();
    assert_eq!(moved.len(), 1, "kept, renamed: {moved:?}");
    assert!(
        page.contains(&moved[0]),
        "the screen says where it went: {page}"
    );
    assert!(!db.exists(), "nothing new before the person confirms");
    app.screenshot("startup-corrupt").await;

    app.click_on("[data-testid=start-fresh-database]").await;
    app.click_on("[data-testid=confirm-fresh-database]").await;
    app.wait_for("[data-testid=shell]").await;
    assert!(db.exists());
    let kept = std::fs::read(dir.path().join(&moved[0])).unwrap();
    assert_eq!(kept, b"not a database, but somebody's data all the same");
    app.close().await;
}
