use loopdesk_core::logging::{file_layer, LOG_FILE_PREFIX};
use loopdesk_core::secret::Secret;
use tracing_subscriber::layer::SubscriberExt;

#[tracing::instrument(skip_all, fields(key = %key))]
fn test_connection(base_url: &str, key: &Secret) -> Result<(), String> {
    tracing::info!(?key, base_url, "testing connection");
    tracing::warn!("key {key} was refused");
    Err(format!("the key {key} was refused"))
}

#[test]
fn a_run_that_handles_a_secret_never_writes_it_to_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let raw = "cl_live_9f8e7d6c5b4a3f2e1d0c4f9e";
    let (layer, guard) = file_layer(dir.path()).unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        let key = Secret::new(raw);
        let err = test_connection("http://127.0.0.1:1", &key).unwrap_err();
        tracing::error!(error = %err, "connection test failed");
    });
    drop(guard); // flush

    let mut log = String::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with(LOG_FILE_PREFIX) && name.ends_with(".log"),
            "{name}"
        );
        log.push_str(&std::fs::read_to_string(path).unwrap());
    }
    assert!(
        log.contains("testing connection"),
        "the log was written: {log}"
    );
    assert!(log.contains("…4f9e"), "only the hint appears: {log}");
    assert!(!log.contains(raw), "the secret leaked into the log");
    assert!(
        !log.contains("9f8e7d6c5b4a"),
        "part of the secret leaked into the log"
    );
}
