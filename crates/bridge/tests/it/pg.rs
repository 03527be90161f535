//! A throw-away PostgreSQL cluster for the tests (and the benchmark): Debian's `postgresql`
//! package (`initdb`, `pg_ctl`), in a temporary folder, on a free port of 127.0.0.1.
//!
//! `initdb` refuses to run as root: as root the folder is given to the `postgres` user and the
//! binaries run as that user (`runuser`). Every cluster has a reaper, a shell reading its stdin
//! from a pipe this process holds open: when the cluster is dropped, or this process ends in any
//! way (a panic, `kill -9`), the pipe closes and the reaper stops the server
//! (`pg_ctl -m immediate stop`) and removes the folder. Nothing waits a fixed time: `pg_ctl -w`
//! returns once the server accepts connections.

// Shared by the tests and the benchmark, which do not each use all of it.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// Where Debian's `postgresql` package puts the server binaries; `LOOPDESK_PG_BIN` overrides it.
const DEFAULT_BIN: &str = "/usr/lib/postgresql/15/bin";
/// Attempts at a start on a free port (another process may take the port between our check and
/// the server's bind).
const START_ATTEMPTS: usize = 5;

fn bin_dir() -> PathBuf {
    std::env::var_os("LOOPDESK_PG_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_BIN))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn id_of_postgres(flag: &str) -> u32 {
    let out = Command::new("id")
        .args([flag, "postgres"])
        .output()
        .expect("run id");
    assert!(
        out.status.success(),
        "no `postgres` user: install Debian's postgresql package (scripts/deps.sh)"
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a numeric id")
}

/// A free TCP port on 127.0.0.1 (bound, then released for the server to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Server settings: `durable` keeps fsync on (the benchmark); the tests turn it off, which
/// still survives the server being killed (`pg_ctl -m immediate`, crash recovery from the
/// WAL the kernel holds), only not a power cut.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub durable: bool,
    /// Serve TLS with this certificate and key (PEM files the cluster's owner can read).
    pub tls: Option<(PathBuf, PathBuf)>,
}

/// A running throw-away cluster; dropping it stops the server and removes its folder.
pub struct PgCluster {
    dir: PathBuf,
    pub port: u16,
    settings: Settings,
    as_postgres: bool,
    /// The reaper's stdin: closing it (drop, or this process ending) stops the server.
    reaper_stdin: Mutex<Option<ChildStdin>>,
    reaper: Mutex<Option<Child>>,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

impl PgCluster {
    /// A new cluster (`initdb`), started on a free port.
    pub fn start(settings: Settings) -> Self {
        let bin = bin_dir();
        assert!(
            bin.join("initdb").exists(),
            "{}/initdb is missing: install Debian's postgresql package (make deps)",
            bin.display()
        );
        let as_postgres = is_root();
        let dir = std::env::temp_dir().join(format!(
            "loopdesk-pg-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("cluster folder");
        if as_postgres {
            std::os::unix::fs::chown(&dir, Some(id_of_postgres("-u")), Some(id_of_postgres("-g")))
                .expect("give the cluster folder to postgres");
        }
        // The reaper first: from here on the folder goes away however this process ends.
        let mut reaper = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "cat >/dev/null; {} >/dev/null 2>&1; rm -rf '{}'",
                shell_command(&stop_args(&dir), as_postgres),
                dir.display()
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the cluster's reaper");
        let reaper_stdin = reaper.stdin.take();
        let mut cluster = PgCluster {
            dir,
            port: 0,
            settings,
            as_postgres,
            reaper_stdin: Mutex::new(reaper_stdin),
            reaper: Mutex::new(Some(reaper)),
        };
        let data = cluster.data();
        cluster.run_checked(
            "initdb",
            &[
                "-D",
                data.to_str().expect("utf-8 path"),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        cluster.port = cluster.start_on_free_port();
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn log(&self) -> PathBuf {
        self.dir.join("log")
    }

    /// A command running `bin/name args` as the cluster's owner.
    fn command(&self, name: &str, args: &[&str]) -> Command {
        let program = bin_dir().join(name);
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        c.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    }

    fn run_checked(&self, name: &str, args: &[&str]) {
        let out = self.command(name, args).output().expect(name);
        assert!(
            out.status.success(),
            "{name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn try_start(&self, port: u16) -> bool {
        let fsync = if self.settings.durable { "on" } else { "off" };
        let mut options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300 \
             -c fsync={fsync} -c full_page_writes={fsync} -c synchronous_commit=on",
            self.dir.display()
        );
        if let Some((cert, key)) = &self.settings.tls {
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                cert.display(),
                key.display()
            ));
        }
        let data = self.data();
        let log = self.log();
        self.command(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("utf-8 path"),
                "-l",
                log.to_str().expect("utf-8 path"),
                "-w",
                "-t",
                "120",
                "-o",
                &options,
                "start",
            ],
        )
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
    }

    fn start_on_free_port(&self) -> u16 {
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            if self.try_start(port) {
                return port;
            }
        }
        panic!(
            "PostgreSQL did not start; its log:\n{}",
            std::fs::read_to_string(self.log()).unwrap_or_default()
        );
    }

    /// Kills the server at once (`pg_ctl -m immediate stop`: no shutdown checkpoint, every
    /// connection cut, as a crash would).
    pub fn kill(&self) {
        let data = self.data();
        self.run_checked(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("utf-8 path"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    /// Starts the server again, on the same port (after [`PgCluster::kill`]); it recovers from
    /// its WAL. Returns once it accepts connections.
    pub fn restart(&self) {
        for _ in 0..START_ATTEMPTS {
            if self.try_start(self.port) {
                return;
            }
        }
        panic!(
            "PostgreSQL did not start again on port {}; its log:\n{}",
            self.port,
            std::fs::read_to_string(self.log()).unwrap_or_default()
        );
    }

    /// A `postgres://` URL of database `db` on this cluster.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates a new, empty database and returns its URL.
    pub async fn create_database(&self) -> String {
        let name = format!("t_{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let (client, connection) =
            tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls)
                .await
                .expect("connect to the test cluster");
        let driver = tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create a test database");
        drop(client);
        let _ = driver.await;
        self.url(&name)
    }

    /// The cluster's folder (owned by its owner; its `data` inside).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Gives `path` to the cluster's owner (as root: the `postgres` user), e.g. a TLS key the
    /// server must read.
    pub fn give(path: &Path) {
        if is_root() {
            std::os::unix::fs::chown(path, Some(id_of_postgres("-u")), Some(id_of_postgres("-g")))
                .expect("give a file to postgres");
        }
    }
}

fn stop_args(dir: &Path) -> Vec<String> {
    vec![
        bin_dir().join("pg_ctl").display().to_string(),
        "-D".into(),
        dir.join("data").display().to_string(),
        "-m".into(),
        "immediate".into(),
        "-w".into(),
        "stop".into(),
    ]
}

fn shell_command(args: &[String], as_postgres: bool) -> String {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    if as_postgres {
        format!("runuser -u postgres -- {}", quoted.join(" "))
    } else {
        quoted.join(" ")
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        // Closing the pipe lets the reaper stop the server and remove the folder; wait for it.
        if let Ok(mut stdin) = self.reaper_stdin.lock() {
            if let Some(mut s) = stdin.take() {
                let _ = s.flush();
            }
        }
        if let Ok(mut reaper) = self.reaper.lock() {
            if let Some(mut r) = reaper.take() {
                let _ = r.wait();
            }
        }
    }
}

/// The cluster the tests of this process share (each test makes its own database on it),
/// started by the first test that needs it and stopped by its reaper when the process ends.
pub fn shared() -> &'static PgCluster {
    static SHARED: OnceLock<PgCluster> = OnceLock::new();
    SHARED.get_or_init(|| PgCluster::start(Settings::default()))
}
