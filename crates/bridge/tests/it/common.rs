//! Test fixtures: a real bridge on 127.0.0.1:0 over a SQLite file in a temp dir or a database of
//! its own on a throw-away PostgreSQL cluster ([`Backend`]), and signed deliveries for each
//! scheme.

// Fixtures are shared by every test module; not each uses all of them.
#![allow(dead_code)]
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use loopdesk_bridge::schemes::{sign_careloop, sign_hex, sign_standard};
use loopdesk_bridge::{AnyStore, Config, Database, Scheme};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::io::AsyncBufReadExt as _;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The longest any one wait in these tests may take (an HTTP exchange, a server or process
/// stopping, a line from the binary). Generous: far above what a loaded machine needs, and above
/// the longest long-poll (30 s). A hang becomes a failure instead of a stuck test run.
pub const WAIT_LIMIT: Duration = Duration::from_secs(60);

/// Awaits `fut`, failing the test with `what` if it has not finished within [`WAIT_LIMIT`].
pub async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(WAIT_LIMIT, fut).await {
        Ok(out) => out,
        Err(_) => panic!("{what}: not done within {WAIT_LIMIT:?}"),
    }
}

/// An HTTP client whose every request fails after [`WAIT_LIMIT`] instead of hanging.
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .timeout(WAIT_LIMIT)
        .build()
        .expect("http client")
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Which store a test runs against. Tests take it as `#[values(SQLITE, POSTGRES)] backend:
/// Backend` (rstest), so each runs against both; `cargo test -- POSTGRES` runs one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const SQLITE: Backend = Backend::Sqlite;
pub const POSTGRES: Backend = Backend::Postgres;

impl Backend {
    /// A new, empty database of this kind: `bridge.db` in `dir`, or a new database on the
    /// PostgreSQL cluster this test process shares.
    pub async fn fresh(self, dir: &Path) -> TestDb {
        match self {
            Backend::Sqlite => TestDb(Database::Sqlite(dir.join("bridge.db"))),
            Backend::Postgres => {
                let cluster = tokio::task::spawn_blocking(crate::pg::shared)
                    .await
                    .expect("the shared PostgreSQL cluster");
                TestDb(Database::Postgres(cluster.create_database().await))
            }
        }
    }
}

/// A test's database.
#[derive(Debug, Clone)]
pub struct TestDb(pub Database);

impl TestDb {
    /// `serve`'s (and the admin commands') arguments naming it.
    pub fn args(&self) -> Vec<String> {
        match &self.0 {
            Database::Sqlite(path) => vec!["--db".into(), path.display().to_string()],
            Database::Postgres(url) => vec!["--database-url".into(), url.clone()],
        }
    }

    /// Opens it (migrating it) for admin and direct store calls.
    pub async fn open(&self) -> AnyStore {
        within("opening the store", AnyStore::open(&self.0))
            .await
            .expect("open store")
    }

    pub fn backend(&self) -> Backend {
        match self.0 {
            Database::Sqlite(_) => Backend::Sqlite,
            Database::Postgres(_) => Backend::Postgres,
        }
    }
}

pub struct TestServer {
    pub base: String,
    pub addr: SocketAddr,
    /// Where `/metrics` is served (a listener of its own).
    pub metrics_base: String,
    pub store: AnyStore,
    pub db: TestDb,
    pub shutdown: CancellationToken,
    pub client: reqwest::Client,
    pub handle: Option<JoinHandle<loopdesk_bridge::Result<()>>>,
    pub dir: TempDir,
}

impl TestServer {
    pub async fn start(backend: Backend) -> Self {
        Self::with_config(backend, |_| {}).await
    }

    pub async fn with_config(backend: Backend, f: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = backend.fresh(dir.path()).await;
        let store = db.open().await;
        let mut config = Config::new(dir.path().join("bridge.db"));
        f(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let metrics = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind metrics");
        let metrics_addr = metrics.local_addr().expect("metrics addr");
        let listeners = loopdesk_bridge::Listeners::new(listener).with_metrics(metrics);
        let shutdown = CancellationToken::new();
        let handle = match &db.0 {
            // `run` opens the file itself, as the demo does.
            Database::Sqlite(_) => {
                tokio::spawn(loopdesk_bridge::run(config, listeners, shutdown.clone()))
            }
            // A store of its own, as another process would have: wake-ups come from the
            // database (NOTIFY), not from the test's store.
            Database::Postgres(url) => {
                let served = loopdesk_bridge::PgStore::connect(url)
                    .await
                    .expect("connect the server's store");
                tokio::spawn(loopdesk_bridge::serve(
                    config,
                    Arc::new(served),
                    listeners,
                    shutdown.clone(),
                ))
            }
        };
        TestServer {
            base: format!("http://{addr}"),
            addr,
            metrics_base: format!("http://{metrics_addr}"),
            store,
            db,
            shutdown,
            client: client(),
            handle: Some(handle),
            dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn deliver(&self, path: &str, d: &Delivery) -> (StatusCode, Value) {
        let mut req = self.client.post(self.url(path)).body(d.body.clone());
        for (k, v) in &d.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let resp = req.send().await.expect("deliver");
        let status = resp.status();
        let body = resp.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn poll(&self, token: &str, query: &str) -> (StatusCode, Value) {
        let resp = self
            .client
            .get(self.url(&format!("/v1/events{query}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("poll");
        let status = resp.status();
        (status, resp.json::<Value>().await.unwrap_or(Value::Null))
    }

    /// The value of an unlabelled metric (or a labelled one: `name{label="x"}`), 0 if absent.
    pub async fn metric(&self, series: &str) -> f64 {
        let text = self
            .client
            .get(format!("{}/metrics", self.metrics_base))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        metric_value(&text, series)
    }

    /// Waits until `n` long-polls are held open by the server.
    pub async fn wait_for_open_polls(&self, n: f64) {
        for _ in 0..10_000 {
            if self.metric("bridge_long_polls_open").await >= n {
                return;
            }
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        panic!("the server never held {n} long-polls open");
    }

    /// Stops the server and returns what `run` returned.
    pub async fn stop(mut self) -> loopdesk_bridge::Result<()> {
        self.shutdown.cancel();
        let handle = self.handle.take().expect("running");
        within("the server stopping", handle)
            .await
            .expect("server task")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The real `loopdesk-bridge serve` binary as a child process, listening on a free port.
/// Dropping it kills the process and reaps it, so no test (failing or not) leaves one behind.
pub struct BridgeProcess {
    /// `None` once the process has been waited for.
    child: Option<Child>,
    pid: u32,
    pub base: String,
    /// Where `/metrics` is served, when started with `--metrics-listen`.
    pub metrics_base: Option<String>,
}

impl BridgeProcess {
    /// Starts the binary on `db`, logging warnings and errors only, to nowhere.
    pub async fn start(db: &TestDb) -> Self {
        Self::start_logging(db, "warn", Stdio::null()).await
    }

    /// Starts the binary on `db` with `RUST_LOG=level`, its stderr going to `stderr`.
    pub async fn start_logging(db: &TestDb, level: &str, stderr: Stdio) -> Self {
        Self::start_with(db, level, stderr, &[]).await
    }

    /// Starts the binary on `db` with more `serve` arguments, logging warnings and errors only.
    pub async fn start_args(db: &TestDb, args: &[&str]) -> Self {
        Self::start_with(db, "warn", Stdio::null(), args).await
    }

    /// Starts `loopdesk-bridge serve <db> --listen 127.0.0.1:0 <args>` with
    /// `RUST_LOG=level`, its stderr going to `stderr`.
    pub async fn start_with(db: &TestDb, level: &str, stderr: Stdio, args: &[&str]) -> Self {
        Self::spawn(
            Command::new(env!("CARGO_BIN_EXE_loopdesk-bridge")),
            db,
            level,
            stderr,
            args,
        )
        .await
    }

    /// Starts the bridge through `command` (the binary itself, or a wrapper that execs it)
    /// with `serve <db> --listen 127.0.0.1:0 <args>`.
    pub async fn spawn(
        mut command: Command,
        db: &TestDb,
        level: &str,
        stderr: Stdio,
        args: &[&str],
    ) -> Self {
        let mut child = command
            .arg("serve")
            .args(db.args())
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("LOOPDESK_BRIDGE_DB")
            .env_remove("LOOPDESK_BRIDGE_DATABASE_URL")
            .env("RUST_LOG", level)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn bridge");
        let stdout = child.stdout.take().expect("piped stdout");
        // Owned from here on: if start-up fails below, dropping `bridge` kills the process.
        let mut bridge = BridgeProcess {
            pid: child.id(),
            child: Some(child),
            base: String::new(),
            metrics_base: None,
        };
        // The first stdout line says where it listens: wait for it, not for a fixed time.
        let stdout = tokio::process::ChildStdout::from_std(stdout).expect("async stdout");
        let mut line = String::new();
        within(
            "the bridge's listening line",
            tokio::io::BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .expect("read listening line");
        let v: Value = serde_json::from_str(&line).expect("listening JSON line");
        let addr = v["listening"].as_str().expect("listening address");
        bridge.base = format!("http://{addr}");
        bridge.metrics_base = v["metrics"].as_str().map(|m| format!("http://{m}"));
        bridge
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// A `kB` field of the process's `/proc/<pid>/status`, e.g. `VmRSS` or `VmHWM` (its peak
    /// resident size), in bytes.
    pub fn status_bytes(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .expect("the bridge's /proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map(|kib| kib * 1024)
            .unwrap_or_else(|| panic!("no {field} in /proc/{}/status", self.pid))
    }

    /// `kill -9`, then waits for the process to be gone.
    pub async fn kill(&mut self) -> ExitStatus {
        self.child
            .as_mut()
            .expect("running")
            .kill()
            .expect("SIGKILL");
        self.wait().await
    }

    /// SIGTERM (a graceful stop), then waits for the process to exit.
    pub async fn terminate(&mut self) -> ExitStatus {
        let term = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .expect("run kill");
        assert!(term.success(), "kill -TERM {}", self.pid);
        self.wait().await
    }

    /// Waits (at most [`WAIT_LIMIT`]) for the process to exit; past that, kills it and fails.
    pub async fn wait(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let waiter = tokio::task::spawn_blocking(move || child.wait());
        match tokio::time::timeout(WAIT_LIMIT, waiter).await {
            Ok(status) => status.expect("waiter thread").expect("wait for bridge"),
            Err(_) => {
                // The waiter still owns the child and reaps it once it is killed.
                let _ = Command::new("kill")
                    .args(["-KILL", &self.pid.to_string()])
                    .status();
                panic!(
                    "the bridge (pid {}) did not exit within {WAIT_LIMIT:?}",
                    self.pid
                );
            }
        }
    }
}

impl Drop for BridgeProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Already exited is fine; SIGKILL cannot be ignored, so the wait returns promptly.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn metric_value(text: &str, series: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            (name == series).then(|| value.parse().ok()).flatten()
        })
        .unwrap_or(0.0)
}

/// A webhook delivery as a provider would send it.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Delivery {
    pub fn without(mut self, header: &str) -> Self {
        self.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case(header));
        self
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The same headers over a body that differs by one trailing space (still valid JSON).
    pub fn tampered(mut self) -> Self {
        self.body.push(b' ');
        self
    }
}

fn h(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_owned(), v.into())
}

/// `t` (unix seconds) as RFC 3339, e.g. `2026-11-25T08:14:55Z`.
pub fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .expect("a unix time in range")
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A signed delivery of event `id` of type `ty`, sent at unix time `ts` (which is also when it
/// happened).
pub fn delivery(scheme: Scheme, secret: &str, id: &str, ty: &str, ts: i64) -> Delivery {
    delivery_at(scheme, secret, id, ty, ts, &rfc3339(ts))
}

/// A signed delivery of event `id` of type `ty`, sent at unix time `ts`, that happened at
/// `occurred` (RFC 3339).
pub fn delivery_at(
    scheme: Scheme,
    secret: &str,
    id: &str,
    ty: &str,
    ts: i64,
    occurred: &str,
) -> Delivery {
    match scheme {
        Scheme::CareLoop => {
            let body = json!({
                "id": id, "type": ty, "occurred_at": occurred, "organization_id": "org_cl",
                "data": {"incident_id": format!("inc_{id}"), "severity": "critical",
                         "resident_id": "res_1", "title": "Witnessed fall in lounge"}
            })
            .to_string()
            .into_bytes();
            let sig = sign_careloop(secret, ts, &body);
            Delivery {
                headers: vec![
                    h("content-type", "application/json"),
                    h("X-CareLoop-Event", ty),
                    h("X-CareLoop-Signature", sig),
                    h("X-CareLoop-Delivery", format!("dlv_{id}")),
                ],
                body,
            }
        }
        Scheme::Standard => {
            let body =
                json!({"type": ty, "timestamp": occurred, "data": {"id": format!("cus_{id}")}})
                    .to_string()
                    .into_bytes();
            let sig = sign_standard(secret, id, ts, &body).expect("standard secret");
            Delivery {
                headers: vec![
                    h("content-type", "application/json"),
                    h("webhook-id", id),
                    h("webhook-timestamp", ts.to_string()),
                    h("webhook-signature", sig),
                ],
                body,
            }
        }
        Scheme::LifeLoop => {
            let body = json!({"eventId": id, "eventType": ty, "tenant": "sunrise-001",
                              "occurredAt": occurred, "resourceId": format!("res_{id}")})
            .to_string()
            .into_bytes();
            let sig = sign_hex(secret, &body);
            Delivery {
                headers: vec![
                    h("content-type", "application/json"),
                    h("X-LifeLoop-Signature", sig),
                ],
                body,
            }
        }
        Scheme::Loop => {
            let body = json!({"id": id, "type": ty, "user_id": "user_1", "client_id": "client_1",
                              "occurred_at": occurred, "data": {"id": format!("bm_{id}")}})
            .to_string()
            .into_bytes();
            let sig = sign_hex(secret, &body);
            Delivery {
                headers: vec![
                    h("content-type", "application/json"),
                    h("X-Loop-Event-Id", id),
                    h("X-Loop-Event-Type", ty),
                    h("X-Loop-Signature", sig),
                    h("X-Loop-Delivery-Attempt", "1"),
                ],
                body,
            }
        }
    }
}

/// The headers without which a scheme's delivery cannot be verified.
pub fn signature_headers(scheme: Scheme) -> &'static [&'static str] {
    match scheme {
        Scheme::CareLoop => &["X-CareLoop-Signature"],
        Scheme::Standard => &["webhook-id", "webhook-timestamp", "webhook-signature"],
        Scheme::LifeLoop => &["X-LifeLoop-Signature"],
        Scheme::Loop => &["X-Loop-Signature"],
    }
}

/// The ids of a feed page's events.
pub fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["id"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
