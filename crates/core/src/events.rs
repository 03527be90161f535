//! Streaming a service's events to a window: the current state first, then every event, and the
//! current state again for a receiver that fell behind (it re-reads what it shows on it).

use std::future::Future;

use tokio::sync::broadcast::{self, error::RecvError};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Forwards `events` to `send` until `send` returns `false` (the window went away), the channel
/// closes or `stop` is cancelled. `current` gives the event that says how things are now (none
/// when it cannot be read): sent first, and after a lag.
pub fn forward<E, Fut>(
    mut events: broadcast::Receiver<E>,
    stop: CancellationToken,
    current: impl Fn() -> Fut + Send + 'static,
    mut send: impl FnMut(E) -> bool + Send + 'static,
) -> JoinHandle<()>
where
    E: Clone + Send + 'static,
    Fut: Future<Output = Option<E>> + Send,
{
    tokio::spawn(async move {
        let Some(first) = current().await else {
            return;
        };
        if !send(first) {
            return;
        }
        loop {
            let event = tokio::select! {
                _ = stop.cancelled() => return,
                e = events.recv() => e,
            };
            let event = match event {
                Ok(e) => e,
                Err(RecvError::Lagged(_)) => match current().await {
                    Some(e) => e,
                    None => continue,
                },
                Err(RecvError::Closed) => return,
            };
            if !send(event) {
                return;
            }
        }
    })
}
