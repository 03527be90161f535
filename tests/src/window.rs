//! The real Loopdesk window under test: the debug app binary (or another, see
//! [`LaunchOptions::app`]), started by tauri-driver (which runs
//! WebKitWebDriver) on an X display, with its own temporary data folder.
//!
//! Adding a window test is a few lines:
//!
//! ```no_run
//! # async fn t() {
//! let app = loopdesk_e2e::window::AppWindow::launch().await;
//! app.click_on("[data-testid=nav-console]").await;
//! assert_eq!(app.text_of("[data-testid=schema-version]").await, "1");
//! app.close().await;
//! # }
//! ```
//!
//! Without `DISPLAY` the harness starts its own Xvfb. It always runs the driver (and so the app)
//! in a D-Bus session of its own (`dbus-run-session`) with its own unlocked gnome-keyring and a
//! throw-away `HOME`, so the app's keyring is never the keyring of the person running the tests.
//! Everything it starts is killed when the window is dropped.
//!
//! # Accessibility
//!
//! Every test gets an accessibility check for free: axe-core (`ui/node_modules/axe-core`, pinned
//! in the UI's devDependencies) runs in the real page whenever a helper that waits for the
//! screen — [`AppWindow::wait_for`], [`AppWindow::text_of`], [`AppWindow::click_on`] (before it
//! clicks), [`AppWindow::screenshot`] and [`AppWindow::close`] — finds the screen changed. A
//! screen (the area and its `h1`) is checked whole the first time a test sees it; after that,
//! only elements whose test id (with its `data-state` or `data-status`) it had not shown before
//! are checked, and nothing when nothing is new. axe goes into the page once per page load.
//!
//! A violation of impact serious or critical fails the test, printing each rule, its elements
//! (selector and HTML) and the help text and link, and leaves a screenshot of the screen. What
//! the helpers cannot see (a change made through `session` directly) is checked with
//! [`AppWindow::check_accessibility`]; [`AppWindow::accessibility_report`] returns the findings
//! instead. Each test's checks are listed in `.artifacts/accessibility/<test>.md` (see
//! [`crate::accessibility`]), and logged one line each to stderr.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::json;

use crate::{
    accessibility::{self, AxeAnswer, Record, Report, Scope, Screen},
    webdriver::Session,
};

/// How long the app may take to show something: generous, a cold WebKit start on a busy
/// 2-core machine takes seconds. Waits end as soon as the thing appears.
pub const APPEAR: Duration = Duration::from_secs(60);

/// How long the first sync may take to bring a resource: more generous still, as the demo's
/// CareLoop serves thousands of records to a debug build while other builds share the cores. A
/// deadline: the wait ends as soon as the resource has arrived.
pub const FIRST_SYNC: Duration = Duration::from_secs(180);

/// Extra set-up for a launch.
#[derive(Debug, Default, Clone)]
pub struct LaunchOptions {
    /// Use this data folder instead of a fresh temporary one (to prepare files in it first).
    pub data_dir: Option<PathBuf>,
    /// More environment for the app.
    pub env: Vec<(String, String)>,
    /// Run this app binary instead of [`app_binary`] (the release binary out of the Debian
    /// package, say).
    pub app: Option<PathBuf>,
    /// The home folder of the app's D-Bus session and keyring, instead of a fresh one: a test
    /// that starts the app again on the same data folder passes the same one, so that the
    /// data file's key is still in the keyring.
    pub keyring_home: Option<PathBuf>,
}

/// One app window at a time: each test starts the whole app, and on two cores several at once
/// would only make them all slow.
static ONE_AT_A_TIME: std::sync::LazyLock<std::sync::Arc<tokio::sync::Mutex<()>>> =
    std::sync::LazyLock::new(Default::default);

pub struct AppWindow {
    pub session: Session,
    pub data_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    /// The home and runtime folders of the app's D-Bus session and keyring.
    _session_home: Option<tempfile::TempDir>,
    driver: Child,
    xvfb: Option<Child>,
    /// The screens checked for accessibility so far (never held across an await).
    a11y: std::sync::Mutex<Record>,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

/// The workspace root (this crate lives in `tests/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The debug app binary: `LOOPDESK_APP_BIN`, else `<target>/debug/loopdesk`.
pub fn app_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("LOOPDESK_APP_BIN") {
        return bin.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        workspace_root().join(target)
    };
    target.join("debug").join("loopdesk")
}

/// The script that starts an unlocked gnome-keyring in the current D-Bus session, then runs
/// its arguments (`crates/core/tests/keyring-session.sh`).
pub fn keyring_session_script() -> PathBuf {
    workspace_root().join("crates/core/tests/keyring-session.sh")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Writes a failing test's panic message to standard error the moment it happens, between the
/// app's own log lines (which are not captured), as well as in libtest's summary at the end: a
/// CI log cut to the lines around `... FAILED` still says why.
fn report_panics_as_they_happen() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            use std::io::Write;
            let test = std::thread::current().name().unwrap_or("a test").to_owned();
            // Straight to the file descriptor: `eprintln!` would be captured with the test.
            let _ = writeln!(std::io::stderr().lock(), "{test}: {info}");
            previous(info);
        }));
    });
}

/// Waits for this test's turn to start the app (one app at a time, see [`AppWindow`]).
pub async fn one_at_a_time() -> tokio::sync::OwnedMutexGuard<()> {
    ONE_AT_A_TIME.clone().lock_owned().await
}

/// Starts Xvfb on a display number it chooses itself (`-displayfd`: it skips numbers in use and
/// clears locks left by servers that are gone) and returns it with its display name once it
/// accepts connections (it writes the number only then).
pub fn start_xvfb() -> (Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb is installed (make deps)");
    let stdout = child.stdout.take().expect("Xvfb's stdout");
    // The read ends when Xvfb writes its number or exits; a watchdog ends a server that does
    // neither in time.
    let pid = child.id();
    let (done, waited) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if waited.recv_timeout(Duration::from_secs(30)).is_err() {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    });
    let mut line = String::new();
    let read = BufReader::new(stdout).read_line(&mut line);
    let _ = done.send(());
    let _ = watchdog.join();
    let number = line.trim();
    assert!(
        read.is_ok() && !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()),
        "Xvfb did not start within 30 s (it said {line:?})"
    );
    (child, format!(":{number}"))
}

impl AppWindow {
    /// The app with a fresh, empty data folder.
    pub async fn launch() -> Self {
        Self::launch_with(LaunchOptions::default()).await
    }

    pub async fn launch_with(options: LaunchOptions) -> Self {
        let turn = one_at_a_time().await;
        report_panics_as_they_happen();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let app = options.app.clone().unwrap_or_else(app_binary);
        assert!(
            app.exists(),
            "the app binary {} is missing: build it first (make test does)",
            app.display()
        );
        let (temp, data_dir) = match options.data_dir {
            Some(dir) => (None, dir),
            None => {
                let t = tempfile::tempdir().expect("temp dir");
                let dir = t.path().to_path_buf();
                (Some(t), dir)
            }
        };

        let (xvfb, display) = match std::env::var("DISPLAY") {
            Ok(d) if !d.is_empty() => (None, d),
            _ => {
                let (child, d) = start_xvfb();
                (Some(child), d)
            }
        };

        let port = free_port();
        let native_port = free_port();
        // Always a D-Bus session of its own with its own unlocked gnome-keyring, in a
        // throw-away home: the app keeps its data file's key in the keyring, and a test must
        // never read or replace the key of the person running it.
        let (session_temp, session_home) = match &options.keyring_home {
            Some(home) => (None, home.clone()),
            None => {
                let t = tempfile::tempdir().expect("temp dir");
                let home = t.path().to_path_buf();
                (Some(t), home)
            }
        };
        let runtime_dir = session_home.join("run");
        std::fs::create_dir_all(&runtime_dir).expect("a runtime folder");
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&runtime_dir, std::fs::Permissions::from_mode(0o700))
                .expect("a private runtime folder");
        }
        let mut cmd = Command::new("dbus-run-session");
        cmd.arg("--")
            .arg("sh")
            .arg(keyring_session_script())
            .arg("tauri-driver");
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("HOME", &session_home)
        .env("XDG_RUNTIME_DIR", &runtime_dir)
        .env("DISPLAY", &display)
        .env("LOOPDESK_DATA_DIR", &data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
        for (k, v) in &options.env {
            cmd.env(k, v);
        }
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let driver = cmd.spawn().expect("tauri-driver is installed (make deps)");

        let base = format!("http://127.0.0.1:{port}");
        wait_for_driver(&base).await;
        let session = Session::new(
            &base,
            json!({
                "browserName": "wry",
                "tauri:options": { "application": app },
            }),
        )
        .await
        .expect("a WebDriver session on the app");
        // axe on a long list in a debug build on a busy machine can take more than the
        // driver's default 30 s.
        session
            .set_script_timeout(Duration::from_secs(120))
            .await
            .expect("the driver takes a script timeout");
        let record = Record::new(&accessibility_dir(), test_name());
        Self {
            session,
            data_dir,
            _temp: temp,
            _session_home: session_temp,
            driver,
            xvfb,
            a11y: std::sync::Mutex::new(record),
            _turn: turn,
        }
    }

    /// Waits for an element, checks the screen's accessibility (when it changed), and clicks it.
    pub async fn click_on(&self, css: &str) {
        self.session.wait_for(css, APPEAR).await.unwrap();
        self.check_screen(|| format!("click_on {css}")).await;
        // Found again: the page may have redrawn it while axe ran.
        let el = self.session.wait_for(css, APPEAR).await.unwrap();
        self.session.click(&el).await.unwrap();
    }

    /// Waits for an element and returns its visible text; checks the screen's accessibility
    /// (when it changed).
    pub async fn text_of(&self, css: &str) -> String {
        let text = self
            .session
            .wait_for_text(css, APPEAR, |t| !t.trim().is_empty())
            .await
            .unwrap();
        self.check_screen(|| format!("text_of {css}")).await;
        text
    }

    /// Waits for an element to exist; checks the screen's accessibility (when it changed).
    pub async fn wait_for(&self, css: &str) -> String {
        self.session.wait_for(css, APPEAR).await.unwrap();
        self.check_screen(|| format!("wait_for {css}")).await;
        // Found again: the page may have redrawn it while axe ran.
        self.session.wait_for(css, APPEAR).await.unwrap()
    }

    /// Runs axe on the page now, whatever was checked before, under `name`, and fails the test
    /// on a serious or critical violation. The helpers do this by themselves whenever the
    /// screen changed; call it for what they cannot see (e.g. after `session.send_keys`).
    pub async fn check_accessibility(&self, name: &str) {
        let report = self.accessibility_report(name).await;
        self.fail_on(&report).await;
    }

    /// Runs axe on the page now under `name` and returns what it found, failing nothing (the
    /// report is recorded all the same).
    pub async fn accessibility_report(&self, name: &str) -> Report {
        let started = Instant::now();
        let mut screen = self.screen().await;
        self.a11y.lock().unwrap().news(&screen);
        screen.name = name.to_owned();
        let report = self
            .run_axe(
                &screen,
                "check_accessibility".to_owned(),
                Scope::Whole,
                started,
            )
            .await;
        self.a11y.lock().unwrap().spent += started.elapsed();
        report
    }

    /// The automatic check: the whole page on a screen's first look, then only what newly
    /// appears on it; nothing when this test has checked everything it shows already.
    async fn check_screen(&self, when: impl FnOnce() -> String) {
        let started = Instant::now();
        let screen = self.screen().await;
        let scope = self.a11y.lock().unwrap().news(&screen);
        let report = match scope {
            Some(scope) => Some(self.run_axe(&screen, when(), scope, started).await),
            None => None,
        };
        self.a11y.lock().unwrap().spent += started.elapsed();
        if let Some(report) = report {
            self.fail_on(&report).await;
        }
    }

    async fn screen(&self) -> Screen {
        let answer = self
            .session
            .execute(accessibility::SCREEN_SCRIPT, vec![])
            .await
            .expect("the page answers what it shows");
        serde_json::from_value(answer).expect("a screen name and parts")
    }

    async fn run_axe(
        &self,
        screen: &Screen,
        when: String,
        scope: Scope,
        started: Instant,
    ) -> Report {
        if !screen.axe {
            // Once per page load: the page keeps it.
            let source = accessibility::axe_source(&workspace_root());
            self.session
                .execute(&format!("{source}\n;return null;"), vec![])
                .await
                .expect("axe-core goes into the page");
        }
        // axe throws when the page changes under it while it runs (e.g. the sync bar redrawn
        // during the first sync): the check runs again, on the page as it is then. An error
        // that persists fails the test; a violation is never retried.
        let mut tries = 0;
        let answer = loop {
            tries += 1;
            let answer = self
                .session
                .execute_async(accessibility::RUN_SCRIPT, vec![scope.script_arg()])
                .await
                .expect("axe runs");
            let answer: AxeAnswer = serde_json::from_value(answer).expect("axe's results");
            match answer.error {
                Some(error) if tries < 3 => {
                    eprintln!(
                        "axe stopped on \"{}\" ({when}), checking again: {error}",
                        screen.name
                    );
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Some(error) => panic!("axe failed on \"{}\" ({when}): {error}", screen.name),
                None => break answer,
            }
        };
        let report = Report {
            screen: screen.name.clone(),
            when,
            scope,
            axe_version: answer.version,
            violations: answer.violations,
            needs_review: answer.incomplete,
            took: started.elapsed(),
        };
        let failing = report.failures().count();
        eprintln!(
            "accessibility: \"{}\" ({}; {}): {} serious or critical, {} other violations, {} ms",
            report.screen,
            report.when,
            report.scope,
            failing,
            report.violations.len() - failing,
            report.took.as_millis()
        );
        self.a11y.lock().unwrap().add(report.clone());
        report
    }

    /// Fails the test when the report has a serious or critical violation, leaving a screenshot
    /// of that screen beside the summary.
    async fn fail_on(&self, report: &Report) {
        if report.passes() {
            return;
        }
        let shot = {
            let record = self.a11y.lock().unwrap();
            record
                .path
                .with_extension(format!("{}.png", record.reports.len()))
        };
        if let Ok(png) = self.session.screenshot().await {
            let _ = std::fs::write(&shot, png);
        }
        panic!("{report}\nscreenshot: {}", shot.display());
    }

    /// Waits until the desk has pulled `resource` (`residents`, `visits`, ...) at least once,
    /// as its sync status says (at most [`FIRST_SYNC`]).
    pub async fn wait_until_pulled(&self, resource: &str) {
        let deadline = Instant::now() + FIRST_SYNC;
        loop {
            let status = self.invoke("sync_status", json!({})).await;
            let pulled = status.as_ref().is_ok_and(|s| {
                s["resources"].as_array().is_some_and(|r| {
                    r.iter()
                        .any(|r| r["resource"] == resource && !r["last_success_at"].is_null())
                })
            });
            if pulled {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{resource} never arrived: {status:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Calls one of the app's commands as the UI does (Tauri's invoke), e.g. a demo-only
    /// command the UI has no button for. `Err` holds the command's error as JSON.
    pub async fn invoke(
        &self,
        command: &str,
        args: serde_json::Value,
    ) -> Result<serde_json::Value, serde_json::Value> {
        let script = "const done = arguments[arguments.length - 1];
            window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
                .then((v) => done({ ok: v === undefined ? null : v }), (e) => done({ err: e }));";
        let answer = self
            .session
            .execute_async(script, vec![json!(command), args])
            .await
            .unwrap();
        match answer.get("ok") {
            Some(ok) => Ok(ok.clone()),
            None => Err(answer.get("err").cloned().unwrap_or(answer)),
        }
    }

    /// Saves a screenshot under `<workspace>/.artifacts/screenshots/<name>.png` for a person to
    /// look at; returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        self.check_screen(|| format!("screenshot {name}")).await;
        let dir = workspace_root().join(".artifacts/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, self.session.screenshot().await.unwrap()).unwrap();
        path
    }

    /// Checks the last screen's accessibility (when it changed), ends the session (closing the
    /// app) and stops the driver.
    pub async fn close(self) {
        self.check_screen(|| "close".to_owned()).await;
        let _ = self.session.close().await;
    }
}

/// `<workspace>/.artifacts/accessibility/`, where each test's record of checked screens goes.
pub fn accessibility_dir() -> PathBuf {
    let dir = workspace_root().join(".artifacts/accessibility");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The running test's name (libtest names each test's thread after it).
fn test_name() -> String {
    match std::thread::current().name() {
        Some(name) if name != "main" => name.to_owned(),
        _ => format!("window-test-{}", std::process::id()),
    }
}

async fn wait_for_driver(base: &str) {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(res) = http.get(format!("{base}/status")).send().await {
            if res.status().is_success() {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "tauri-driver did not start on {base}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Drop for AppWindow {
    fn drop(&mut self) {
        if let Ok(mut record) = self.a11y.lock() {
            record.finish();
        }
        // The driver runs in its own process group with WebKitWebDriver and the app: end them all.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.wait();
        if let Some(x) = &mut self.xvfb {
            // SIGTERM, so that Xvfb removes its lock and socket as it goes.
            let _ = Command::new("kill")
                .args(["-TERM", &x.id().to_string()])
                .status();
            let _ = x.wait();
        }
    }
}
