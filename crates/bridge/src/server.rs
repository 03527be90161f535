//! The HTTP/1.1 server under the routers: how connections are accepted, limited and closed.
//!
//! * At most `max_connections` are open (lowered to fit the process's open-file limit). When a
//!   new one arrives at the cap, the connection that has been quiet longest with no request in
//!   progress (one that never sent its request, or an idle keep-alive one) is closed to make
//!   room; if every connection has a request in progress, new ones wait in the listen backlog.
//!   So a crowd of connections that never finish their headers cannot keep a real delivery out,
//!   nor run the process out of file descriptors.
//! * A request's head must arrive complete within `header_timeout` of the connection opening or
//!   of the previous response (hyper's `header_read_timeout`).
//! * A connection with no request in progress on which nothing is read or written for
//!   `keep_alive_timeout` is closed: idle keep-alive connections, silent new ones, and clients
//!   that stop reading their answer.
//! * Shutdown: no new connections; connections without a request in progress close at once, the
//!   others finish their request (long-polls answer at once, deliveries commit) and close.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use crate::locks::lock;
use crate::metrics::Metrics;

/// File descriptors kept for everything but connections: the store's SQLite files, the
/// listeners, the metrics listener's connections, the runtime, stdio.
const RESERVED_FDS: u64 = 96;

/// How long the accept loop waits before it tries to make room again, when every connection at
/// the cap has a request in progress.
const RETRY_ROOM: Duration = Duration::from_millis(100);

/// The longest the timeouts are taken to be (longer ones would overflow the timers' clocks).
const LONGEST_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// How connections are limited.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub keep_alive_timeout: Duration,
}

/// The process's limit on open files (the soft `RLIMIT_NOFILE`), where the system tells it.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `configured`, lowered so that connections and [`RESERVED_FDS`] fit in `limit` open files.
pub(crate) fn connection_cap(configured: usize, limit: Option<u64>) -> usize {
    let Some(limit) = limit else {
        return configured.max(1);
    };
    let room = usize::try_from(limit.saturating_sub(RESERVED_FDS)).unwrap_or(usize::MAX);
    configured.min(room).max(1)
}

/// One open connection, as the accept loop and its own task see it.
struct Conn {
    /// Requests whose handler has not returned yet.
    active: AtomicUsize,
    /// When a byte was last read or written, or a request last ended (ms since `Conns::epoch`).
    last_activity: AtomicU64,
    /// Set while the accept loop has asked it to make room.
    evicting: AtomicBool,
    evict: Notify,
    /// Told when the last request in progress ends, so that an idle connection's quiet time
    /// starts without the connection's task waking while a long-poll waits.
    ended: Notify,
}

/// The open connections of one listener.
struct Conns {
    epoch: Instant,
    open: Mutex<HashMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
}

impl Conns {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn touch(&self, conn: &Conn) {
        conn.last_activity.store(self.now_ms(), Ordering::Relaxed);
    }

    fn add(&self) -> (u64, Arc<Conn>) {
        let conn = Arc::new(Conn {
            active: AtomicUsize::new(0),
            last_activity: AtomicU64::new(self.now_ms()),
            evicting: AtomicBool::new(false),
            evict: Notify::new(),
            ended: Notify::new(),
        });
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&self.open).insert(id, conn.clone());
        (id, conn)
    }

    fn remove(&self, id: u64) {
        lock(&self.open).remove(&id);
    }

    /// Asks the connection quiet longest with no request in progress to close; false if there
    /// is none (every connection is busy, or already closing).
    fn evict_one(&self) -> bool {
        let open = lock(&self.open);
        let quietest = open
            .values()
            .filter(|c| c.active.load(Ordering::Relaxed) == 0)
            .filter(|c| !c.evicting.load(Ordering::Relaxed))
            .min_by_key(|c| c.last_activity.load(Ordering::Relaxed));
        match quietest {
            Some(c) => {
                c.evicting.store(true, Ordering::Relaxed);
                c.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

/// The byte stream of a connection, noting when bytes move.
struct TrackedIo {
    inner: TcpStream,
    conn: Arc<Conn>,
    conns: Arc<Conns>,
}

impl TrackedIo {
    fn moved(&self, bytes: usize) {
        if bytes > 0 {
            self.conns.touch(&self.conn);
        }
    }
}

impl AsyncRead for TrackedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            this.moved(buf.filled().len().saturating_sub(before));
        }
        polled
    }
}

impl AsyncWrite for TrackedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            this.moved(n);
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = polled {
            this.moved(n);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// A request in progress on a connection: counted from its head being read until its handler
/// returns.
struct Active {
    conn: Arc<Conn>,
    conns: Arc<Conns>,
}

impl Active {
    fn new(conn: Arc<Conn>, conns: Arc<Conns>) -> Self {
        conn.active.fetch_add(1, Ordering::Relaxed);
        Active { conn, conns }
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        self.conns.touch(&self.conn);
        if self.conn.active.fetch_sub(1, Ordering::Relaxed) == 1 {
            // A permit is kept if the connection's task is not waiting yet.
            self.conn.ended.notify_one();
        }
    }
}

/// The router, as hyper calls it for each request of one connection.
#[derive(Clone)]
struct ConnService {
    router: Router,
    conn: Arc<Conn>,
    conns: Arc<Conns>,
}

type Answer = Pin<Box<dyn Future<Output = Result<axum::response::Response, Infallible>> + Send>>;

impl hyper::service::Service<hyper::Request<Incoming>> for ConnService {
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = Answer;

    fn call(&self, req: hyper::Request<Incoming>) -> Self::Future {
        let active = Active::new(self.conn.clone(), self.conns.clone());
        let router = self.router.clone();
        Box::pin(async move {
            let answer = router.oneshot(req.map(axum::body::Body::new)).await;
            drop(active);
            answer
        })
    }
}

/// Serves `router` on `listener` until `shutdown`, within `limits`; returns once every
/// connection has closed. `metrics`: the connection counters to keep (the public listener's).
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    metrics: Option<Metrics>,
    shutdown: CancellationToken,
) {
    let limits = Limits {
        header_timeout: limits.header_timeout.min(LONGEST_TIMEOUT),
        keep_alive_timeout: limits.keep_alive_timeout.min(LONGEST_TIMEOUT),
        ..limits
    };
    let cap = connection_cap(limits.max_connections, open_files_limit());
    if cap < limits.max_connections {
        tracing::warn!(
            configured = limits.max_connections,
            cap,
            "max connections lowered to fit the open-file limit (ulimit -n)"
        );
    }
    let conns = Arc::new(Conns {
        epoch: Instant::now(),
        open: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(0),
    });
    let room = Arc::new(Semaphore::new(cap));
    let tasks = tokio_util::task::TaskTracker::new();
    loop {
        let stream = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors or memory, or the peer gave up: wait a little.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(RETRY_ROOM) => continue,
                    }
                }
            },
        };
        let Some(permit) = make_room(&room, &conns, &shutdown).await else {
            break;
        };
        let _ = stream.set_nodelay(true);
        let (id, conn) = conns.add();
        tasks.spawn(serve_connection(
            stream,
            id,
            conn,
            conns.clone(),
            router.clone(),
            limits,
            metrics.clone(),
            shutdown.clone(),
            permit,
        ));
    }
    drop(listener);
    tasks.close();
    tasks.wait().await;
}

/// A place for one more connection: at once below the cap, otherwise after asking the quietest
/// idle connection to close (or, when every one is busy, once one ends). `None` on shutdown.
async fn make_room(
    room: &Arc<Semaphore>,
    conns: &Conns,
    shutdown: &CancellationToken,
) -> Option<OwnedSemaphorePermit> {
    loop {
        if let Ok(permit) = room.clone().try_acquire_owned() {
            return Some(permit);
        }
        conns.evict_one();
        tokio::select! {
            _ = shutdown.cancelled() => return None,
            permit = room.clone().acquire_owned() => return permit.ok(),
            _ = tokio::time::sleep(RETRY_ROOM) => {}
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn serve_connection(
    stream: TcpStream,
    id: u64,
    conn: Arc<Conn>,
    conns: Arc<Conns>,
    router: Router,
    limits: Limits,
    metrics: Option<Metrics>,
    shutdown: CancellationToken,
    permit: OwnedSemaphorePermit,
) {
    let _open = metrics.as_ref().map(|m| OpenConn::new(&m.connections_open));
    let io = TokioIo::new(TrackedIo {
        inner: stream,
        conn: conn.clone(),
        conns: conns.clone(),
    });
    let service = ConnService {
        router,
        conn: conn.clone(),
        conns: conns.clone(),
    };
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let mut connection = pin!(http.serve_connection(io, service));
    let idle = |c: &Conn| c.active.load(Ordering::Relaxed) == 0;
    let mut shutting_down = false;
    let closed = loop {
        // Quiet time counts only with no request in progress. While one is (a long-poll holds
        // the connection for its whole wait, with nothing read or written), there is no
        // deadline: the task sleeps until the request ends (`ended`), so that neither a deadline
        // from the last activity (already past: it would spin a core) nor a periodic re-check
        // wakes it during the wait.
        let quiet_until = idle(&conn).then(|| {
            let quiet_since = conn.last_activity.load(Ordering::Relaxed);
            conns.epoch
                + Duration::from_millis(quiet_since).saturating_add(limits.keep_alive_timeout)
        });
        tokio::select! {
            served = connection.as_mut() => break match served {
                Err(e) if e.is_timeout() => Some("header_timeout"),
                _ => None,
            },
            _ = shutdown.cancelled(), if !shutting_down => {
                if idle(&conn) {
                    break None;
                }
                // Finish the request in progress, then close.
                connection.as_mut().graceful_shutdown();
                shutting_down = true;
            }
            _ = conn.evict.notified() => {
                if idle(&conn) {
                    break Some("evicted");
                }
                // A request began meanwhile: it stays.
                conn.evicting.store(false, Ordering::Relaxed);
            }
            _ = conn.ended.notified(), if quiet_until.is_none() => {}
            _ = sleep_until_some(quiet_until) => {
                let quiet = conns.now_ms().saturating_sub(conn.last_activity.load(Ordering::Relaxed));
                if idle(&conn) && Duration::from_millis(quiet) >= limits.keep_alive_timeout {
                    break Some("idle");
                }
            }
        }
    };
    if let (Some(reason), Some(m)) = (closed, &metrics) {
        m.connections_closed.with_label_values(&[reason]).inc();
    }
    conns.remove(id);
    drop(permit);
}

/// Sleeps until `deadline`, or for ever without one.
async fn sleep_until_some(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Counts an open connection for as long as it lives.
struct OpenConn(prometheus::IntGauge);

impl OpenConn {
    fn new(g: &prometheus::IntGauge) -> Self {
        g.inc();
        OpenConn(g.clone())
    }
}

impl Drop for OpenConn {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_fits_the_open_file_limit() {
        assert_eq!(connection_cap(512, None), 512);
        assert_eq!(connection_cap(512, Some(20_000)), 512);
        assert_eq!(connection_cap(512, Some(1024)), 512);
        assert_eq!(connection_cap(512, Some(256)), 256 - 96);
        assert_eq!(connection_cap(512, Some(96)), 1);
        assert_eq!(connection_cap(0, None), 1);
    }

    #[test]
    fn this_process_has_a_readable_open_file_limit() {
        // Linux tells it in /proc/self/limits; the cap depends on reading it.
        if cfg!(target_os = "linux") {
            assert!(open_files_limit().is_some_and(|n| n > 0));
        }
    }
}
