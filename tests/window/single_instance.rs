//! One Loopdesk at a time: the real app binary started a second time with the same data folder
//! ends on its own, and the first stays the only Loopdesk process with the only Loopdesk window,
//! brought to the front (its log says so), with no thread left behind that wakes while idle.
//! Both run on an X display of the test's own (Xvfb) and one private session bus, where the
//! single-instance plugin keeps its lock.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use loopdesk_e2e::window::{app_binary, keyring_session_script, one_at_a_time, start_xvfb, APPEAR};

/// A process started here, killed when the test ends however it ends (with its process group,
/// when it leads one: the app and its WebKit processes).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A private session bus: its address.
fn session_bus() -> (Killed, String) {
    let mut bus = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon is installed (make deps)");
    let mut address = String::new();
    std::io::BufReader::new(bus.stdout.take().expect("its output"))
        .read_line(&mut address)
        .expect("dbus-daemon says its address");
    assert!(address.starts_with("unix:"), "{address:?}");
    (Killed(bus), address.trim().to_owned())
}

/// Starts the app binary with `data` on `display` and `bus`.
fn launch(data: &Path, display: &str, bus: &str) -> Child {
    let mut cmd = Command::new(app_binary());
    cmd.env("DISPLAY", display)
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .env("LOOPDESK_DATA_DIR", data)
        .env("HOME", data)
        .env_remove("LOOPDESK_DEMO")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    cmd.spawn().expect("the app starts")
}

/// The Loopdesk windows shown on `display` (their X ids).
fn loopdesk_windows(display: &str) -> Vec<String> {
    let out = Command::new("xwininfo")
        .args(["-root", "-children", "-display", display])
        .output()
        .expect("xwininfo is installed (make deps)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("\"Loopdesk\""))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|id| {
            let info = Command::new("xwininfo")
                .args(["-id", id, "-display", display])
                .output()
                .expect("xwininfo answers");
            String::from_utf8_lossy(&info.stdout).contains("Map State: IsViewable")
        })
        .collect()
}

/// The running processes of the app binary with this data folder.
fn loopdesk_processes(data: &Path) -> Vec<u32> {
    let binary = app_binary().canonicalize().expect("the app binary");
    let wanted = format!("LOOPDESK_DATA_DIR={}", data.display());
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
            let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            exe.as_deref() == Some(binary.as_path())
                && env.split(|b| *b == 0).any(|v| v == wanted.as_bytes())
        })
        .collect()
}

/// Waits (checking often) until `done` says so, or fails saying `what`.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + APPEAR;
    while !done() {
        assert!(Instant::now() < deadline, "waited {APPEAR:?} for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Everything the app logged so far (its daily files in `<data>/logs`).
fn log_text(data: &Path) -> String {
    let dir: PathBuf = data.join("logs");
    std::fs::read_dir(dir)
        .map(|files| {
            files
                .filter_map(|f| std::fs::read_to_string(f.ok()?.path()).ok())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_launch_ends_and_leaves_one_app_and_one_window() {
    let _turn = one_at_a_time().await;
    let app = app_binary();
    assert!(
        app.exists(),
        "the app binary {} is missing: build it first (make test does)",
        app.display()
    );
    // Always a display of its own: the windows counted are this test's.
    let (xvfb, display) = start_xvfb();
    let _xvfb = Killed(xvfb);
    let (_bus, bus) = session_bus();
    let data = tempfile::tempdir().expect("a data folder");
    let data = data.path();
    // The app keeps its data file's key in the keyring: an unlocked gnome-keyring on this bus
    // (it ends with the bus).
    let runtime = tempfile::tempdir().expect("a runtime folder");
    let keyring = Command::new("sh")
        .arg(keyring_session_script())
        .arg("true")
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
        .env("HOME", data)
        .env("XDG_RUNTIME_DIR", runtime.path())
        .status()
        .expect("sh runs");
    assert!(keyring.success(), "gnome-keyring started on the test's bus");

    let mut first = Killed(launch(data, &display, &bus));
    wait_until("the first window", || loopdesk_windows(&display).len() == 1);
    let first_windows = loopdesk_windows(&display);

    let mut second = launch(data, &display, &bus);
    let started = Instant::now();
    let ended = loop {
        if let Some(status) = second.try_wait().expect("the second launch's status") {
            break status;
        }
        if started.elapsed() > APPEAR {
            let _ = second.kill();
            panic!("the second launch did not end on its own");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(ended.success(), "the second launch ended with {ended}");

    wait_until("the first app to say it was brought to the front", || {
        log_text(data).contains("second launch: focused the running window")
    });
    assert!(
        first
            .0
            .try_wait()
            .expect("the first app's status")
            .is_none(),
        "the first app still runs"
    );
    assert_eq!(
        loopdesk_processes(data),
        vec![first.0.id()],
        "one Loopdesk process"
    );
    assert_eq!(
        loopdesk_windows(&display),
        first_windows,
        "the one window is the first app's"
    );
    // The plugin's D-Bus connection (zbus), which has just answered the second launch, left no
    // thread of the `blocking` crate's pool in the app: an idle one wakes every 500 ms for as
    // long as the app runs (zbus's tokio backend, src-tauri/Cargo.toml).
    let threads = thread_names(first.0.id());
    assert!(
        threads.iter().any(|t| t.starts_with("tokio-")),
        "{threads:?}"
    );
    assert!(
        !threads.iter().any(|t| t.starts_with("blocking-")),
        "a thread of the blocking pool: {threads:?}"
    );
}

/// The names of process `pid`'s threads.
fn thread_names(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("the process's threads")
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect()
}
