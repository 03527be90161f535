//! Prometheus metrics of one bridge instance (its own registry, so several can run in-process).

use prometheus::{
    Encoder as _, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

/// The bridge's metrics.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// Every request to `POST /hooks/{endpoint_id}`.
    pub webhooks_received: IntCounter,
    /// Acknowledged deliveries, by `result` = `stored` | `duplicate`.
    pub webhooks_accepted: IntCounterVec,
    /// Refused deliveries, by `reason`.
    pub webhooks_refused: IntCounterVec,
    /// Events returned to devices.
    pub events_served: IntCounter,
    /// Long-polls currently waiting for an event.
    pub long_polls_open: IntGauge,
    /// Waiting long-polls answered at once because a newer one of the same device took their
    /// place (over `max_polls_per_device`).
    pub long_polls_replaced: IntCounter,
    /// Waiting long-polls ended with 401 because their device was revoked.
    pub long_polls_revoked: IntCounter,
    /// Time spent in the store, by `op`.
    pub store_latency: HistogramVec,
    /// Connections open on the public listener.
    pub connections_open: IntGauge,
    /// Connections the public listener closed, by `reason`: `evicted` (quiet, with no request,
    /// closed to make room at the cap), `idle` (nothing moved for the keep-alive timeout),
    /// `header_timeout` (a request head not complete in time).
    pub connections_closed: IntCounterVec,
}

impl Metrics {
    /// Creates and registers the metrics.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let webhooks_received = IntCounter::new(
            "bridge_webhooks_received_total",
            "Webhook deliveries received (all outcomes)",
        )?;
        let webhooks_accepted = IntCounterVec::new(
            Opts::new(
                "bridge_webhooks_accepted_total",
                "Webhook deliveries acknowledged with 2xx, by result (stored or duplicate)",
            ),
            &["result"],
        )?;
        let webhooks_refused = IntCounterVec::new(
            Opts::new(
                "bridge_webhooks_refused_total",
                "Webhook deliveries refused, by reason",
            ),
            &["reason"],
        )?;
        let events_served =
            IntCounter::new("bridge_events_served_total", "Events returned to devices")?;
        let long_polls_open = IntGauge::new(
            "bridge_long_polls_open",
            "Long-polls currently waiting for an event",
        )?;
        let long_polls_replaced = IntCounter::new(
            "bridge_long_polls_replaced_total",
            "Waiting long-polls answered at once because a newer one of the same device replaced them",
        )?;
        let long_polls_revoked = IntCounter::new(
            "bridge_long_polls_revoked_total",
            "Waiting long-polls ended with 401 because their device was revoked",
        )?;
        let store_latency = HistogramVec::new(
            HistogramOpts::new("bridge_store_latency_seconds", "Store operation latency").buckets(
                vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ],
            ),
            &["op"],
        )?;
        registry.register(Box::new(webhooks_received.clone()))?;
        registry.register(Box::new(webhooks_accepted.clone()))?;
        registry.register(Box::new(webhooks_refused.clone()))?;
        registry.register(Box::new(events_served.clone()))?;
        registry.register(Box::new(long_polls_open.clone()))?;
        registry.register(Box::new(long_polls_replaced.clone()))?;
        registry.register(Box::new(long_polls_revoked.clone()))?;
        registry.register(Box::new(store_latency.clone()))?;
        let connections_open = IntGauge::new(
            "bridge_connections_open",
            "Connections open on the public listener",
        )?;
        let connections_closed = IntCounterVec::new(
            Opts::new(
                "bridge_connections_closed_total",
                "Connections the bridge closed, by reason (evicted, idle, header_timeout)",
            ),
            &["reason"],
        )?;
        registry.register(Box::new(connections_open.clone()))?;
        registry.register(Box::new(connections_closed.clone()))?;
        Ok(Metrics {
            registry,
            webhooks_received,
            webhooks_accepted,
            webhooks_refused,
            events_served,
            long_polls_open,
            long_polls_replaced,
            long_polls_revoked,
            store_latency,
            connections_open,
            connections_closed,
        })
    }

    /// The Prometheus text exposition of all metrics.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buf)?;
        String::from_utf8(buf).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }

    /// Times a store operation.
    pub async fn time<T>(&self, op: &str, fut: impl std::future::Future<Output = T>) -> T {
        let timer = self.store_latency.with_label_values(&[op]).start_timer();
        let out = fut.await;
        timer.observe_duration();
        out
    }
}
