//! The `loopdesk-bridge` command: `serve`, and admin of endpoints and devices.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use loopdesk_bridge::{AnyStore, Config, Database, Scheme};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(name = "loopdesk-bridge", version, about = "Loopdesk polling bridge")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data is: a SQLite file, or a PostgreSQL database shared by several bridges.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct Db {
    /// The SQLite database file (one bridge on one machine).
    #[arg(long, env = "LOOPDESK_BRIDGE_DB")]
    db: Option<PathBuf>,
    /// A PostgreSQL database instead, shared by several bridges:
    /// postgres://user:password@host:port/dbname (better given in the environment variable,
    /// which keeps the password out of the process list).
    #[arg(long, env = "LOOPDESK_BRIDGE_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
}

impl Db {
    fn database(self) -> Database {
        match (self.db, self.database_url) {
            (_, Some(url)) => Database::Postgres(url),
            (Some(path), None) => Database::Sqlite(path),
            // clap requires one of the two.
            (None, None) => Database::Sqlite(PathBuf::new()),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        #[command(flatten)]
        db: Db,
        /// Address to listen on (port 0 picks a free port; the address is printed as JSON).
        #[arg(long, default_value = "127.0.0.1:8788")]
        listen: SocketAddr,
        /// Serve Prometheus metrics (`GET /metrics`) on this address, e.g. 127.0.0.1:9788; keep
        /// it private. Without it no metrics are served; the public address never serves them.
        #[arg(long)]
        metrics_listen: Option<SocketAddr>,
        /// Largest webhook body in bytes.
        #[arg(long, default_value_t = loopdesk_bridge::DEFAULT_MAX_BODY)]
        max_body: usize,
        /// Signature timestamp tolerance in seconds.
        #[arg(long, default_value_t = 300)]
        tolerance: u64,
        /// Days to keep events.
        #[arg(long, default_value_t = loopdesk_bridge::DEFAULT_RETENTION_DAYS)]
        retention_days: u64,
        /// About the most bytes of events in one feed page (an event larger than this is still
        /// served, alone).
        #[arg(long, default_value_t = loopdesk_bridge::DEFAULT_MAX_PAGE_BYTES)]
        max_page_bytes: usize,
        /// The most long-polls of one device waiting at once (at least 1); a new one replaces
        /// the oldest, which is answered at once with an empty page.
        #[arg(long, default_value_t = loopdesk_bridge::DEFAULT_MAX_POLLS_PER_DEVICE,
              value_parser = parse_at_least_one)]
        max_polls_per_device: usize,
        /// The most open connections (lowered to fit the open-file limit). At the cap, the
        /// connection quiet longest with no request in progress is closed to make room.
        #[arg(long, default_value_t = loopdesk_bridge::DEFAULT_MAX_CONNECTIONS,
              value_parser = parse_at_least_one)]
        max_connections: usize,
        /// Seconds for a request's head to arrive (from the connection opening or the previous
        /// response).
        #[arg(long, default_value_t = loopdesk_bridge::DEFAULT_HEADER_TIMEOUT.as_secs(),
              value_parser = clap::value_parser!(u64).range(1..))]
        header_timeout: u64,
        /// Seconds a connection may stay quiet (nothing read or written) with no request in
        /// progress before it is closed.
        #[arg(long, default_value_t = loopdesk_bridge::DEFAULT_KEEP_ALIVE_TIMEOUT.as_secs(),
              value_parser = clap::value_parser!(u64).range(1..))]
        keep_alive_timeout: u64,
        /// Seconds for a webhook's body to arrive after its head (then 408).
        #[arg(long, default_value_t = loopdesk_bridge::DEFAULT_BODY_TIMEOUT.as_secs(),
              value_parser = clap::value_parser!(u64).range(1..))]
        body_timeout: u64,
    },
    /// Manage webhook endpoints.
    #[command(subcommand)]
    Endpoint(EndpointCmd),
    /// Manage desk devices.
    #[command(subcommand)]
    Device(DeviceCmd),
}

#[derive(Subcommand)]
enum EndpointCmd {
    /// Add an endpoint; prints {"endpoint_id","secret","path"}.
    Add {
        #[command(flatten)]
        db: Db,
        /// The organisation its events belong to.
        #[arg(long)]
        org: String,
        /// How deliveries are signed.
        #[arg(long, value_enum)]
        scheme: Scheme,
        /// The provider's signing secret (generated when absent).
        #[arg(long, env = "LOOPDESK_BRIDGE_SECRET", hide_env_values = true)]
        secret: Option<String>,
    },
    /// Replace an endpoint's secret; the old one stays valid for 24 hours.
    Rotate {
        #[command(flatten)]
        db: Db,
        /// The endpoint id.
        #[arg(long)]
        id: String,
        /// The new secret (generated when absent).
        #[arg(long, env = "LOOPDESK_BRIDGE_SECRET", hide_env_values = true)]
        secret: Option<String>,
    },
    /// List endpoints, one JSON line each (no secrets).
    List {
        #[command(flatten)]
        db: Db,
        /// Only this organisation's.
        #[arg(long)]
        org: Option<String>,
    },
    /// Remove an endpoint (its stored events stay until purged).
    Remove {
        #[command(flatten)]
        db: Db,
        /// The endpoint id.
        #[arg(long)]
        id: String,
    },
}

#[derive(Subcommand)]
enum DeviceCmd {
    /// Add a device; prints {"device_id","token"} (the token is shown only here).
    Add {
        #[command(flatten)]
        db: Db,
        /// Its organisation.
        #[arg(long)]
        org: String,
        /// A name to recognise it by.
        #[arg(long)]
        name: String,
    },
    /// List devices, one JSON line each (no tokens).
    List {
        #[command(flatten)]
        db: Db,
        /// Only this organisation's.
        #[arg(long)]
        org: Option<String>,
    },
    /// Revoke a device's token.
    Revoke {
        #[command(flatten)]
        db: Db,
        /// The device id.
        #[arg(long)]
        id: String,
    },
}

#[derive(Serialize)]
struct Done<'a> {
    id: &'a str,
    status: &'static str,
}

fn parse_at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("must be a whole number, at least 1".into()),
    }
}

fn print_json(value: &impl Serialize) -> Result<(), loopdesk_bridge::Error> {
    let line = serde_json::to_string(value).map_err(|e| std::io::Error::other(e.to_string()))?;
    println!("{line}");
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cmd: Command) -> Result<(), loopdesk_bridge::Error> {
    match cmd {
        Command::Serve {
            db,
            listen,
            metrics_listen,
            max_body,
            tolerance,
            retention_days,
            max_page_bytes,
            max_polls_per_device,
            max_connections,
            header_timeout,
            keep_alive_timeout,
            body_timeout,
        } => {
            let database = db.database();
            let mut config = Config::new(match &database {
                Database::Sqlite(path) => path.clone(),
                Database::Postgres(_) => PathBuf::new(),
            });
            config.max_body = max_body;
            config.tolerance = Duration::from_secs(tolerance);
            config.retention = Duration::from_secs(retention_days.saturating_mul(24 * 60 * 60));
            config.max_page_bytes = max_page_bytes;
            config.max_polls_per_device = max_polls_per_device;
            config.max_connections = max_connections;
            config.header_timeout = Duration::from_secs(header_timeout);
            config.keep_alive_timeout = Duration::from_secs(keep_alive_timeout);
            config.body_timeout = Duration::from_secs(body_timeout);
            serve(config, database, listen, metrics_listen)
        }
        Command::Endpoint(cmd) => admin(|| async move {
            match cmd {
                EndpointCmd::Add {
                    db,
                    org,
                    scheme,
                    secret,
                } => print_json(&open(db).await?.add_endpoint(&org, scheme, secret).await?),
                EndpointCmd::Rotate { db, id, secret } => {
                    print_json(&open(db).await?.rotate_endpoint(&id, secret).await?)
                }
                EndpointCmd::List { db, org } => {
                    for e in open(db).await?.list_endpoints(org.as_deref()).await? {
                        print_json(&e)?;
                    }
                    Ok(())
                }
                EndpointCmd::Remove { db, id } => {
                    open(db).await?.remove_endpoint(&id).await?;
                    print_json(&Done {
                        id: &id,
                        status: "removed",
                    })
                }
            }
        }),
        Command::Device(cmd) => admin(|| async move {
            match cmd {
                DeviceCmd::Add { db, org, name } => {
                    print_json(&open(db).await?.add_device(&org, &name).await?)
                }
                DeviceCmd::List { db, org } => {
                    for d in open(db).await?.list_devices(org.as_deref()).await? {
                        print_json(&d)?;
                    }
                    Ok(())
                }
                DeviceCmd::Revoke { db, id } => {
                    open(db).await?.revoke_device(&id).await?;
                    print_json(&Done {
                        id: &id,
                        status: "revoked",
                    })
                }
            }
        }),
    }
}

async fn open(db: Db) -> Result<AnyStore, loopdesk_bridge::Error> {
    AnyStore::open(&db.database()).await
}

/// Runs an admin command on a small runtime of its own (PostgreSQL's driver is async).
fn admin<F, Fut>(f: F) -> Result<(), loopdesk_bridge::Error>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(), loopdesk_bridge::Error>>,
{
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(f())
}

fn serve(
    config: Config,
    database: Database,
    listen: SocketAddr,
    metrics_listen: Option<SocketAddr>,
) -> Result<(), loopdesk_bridge::Error> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        // Open the store first: a bad database is reported before anything listens.
        let store = AnyStore::open(&database).await?;
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let mut listeners = loopdesk_bridge::Listeners::new(listener);
        let mut line = serde_json::json!({ "listening": addr.to_string() });
        if let Some(m) = metrics_listen {
            let metrics = tokio::net::TcpListener::bind(m).await?;
            line["metrics"] = metrics.local_addr()?.to_string().into();
            listeners = listeners.with_metrics(metrics);
        }
        print_json(&line)?;
        let shutdown = CancellationToken::new();
        let on_signal = shutdown.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutting down");
            on_signal.cancel();
        });
        tracing::info!(%addr, db = %database.describe(), "bridge listening");
        loopdesk_bridge::serve(config, store.event_store(), listeners, shutdown).await
    })
}

/// Ctrl-C, or SIGTERM where there are signals (a service manager's stop).
async fn wait_for_signal() {
    #[cfg(unix)]
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        return;
    }
    let _ = tokio::signal::ctrl_c().await;
}
