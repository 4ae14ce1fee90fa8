//! What `GET /metrics` tells an operator's Prometheus, in the OpenMetrics text format:
//! requests by route, method and status with their latency, the background jobs' passes,
//! and (read from the database at each scrape) the backlog: open requests, the outbox,
//! and how late the oldest due timer is.
//!
//! Routes are labelled by their template (`/api/v1/requests/{id}/cancel`), never by the
//! path asked, so a scanner cannot grow the label set: everything that matched no route is
//! `unmatched`, and the web app's files are `web app`.

use std::sync::atomic::AtomicU64;
use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::store::backlog::Backlog;

/// The media type of the text `/metrics` answers with.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Route label of requests that matched no route.
pub(crate) const UNMATCHED: &str = "unmatched";

/// Route label of the web app's files (and its client-side routes).
pub(crate) const WEB_APP: &str = "web app";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

type Seconds = Gauge<f64, AtomicU64>;

/// Every metric of one server instance.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    job_passes: Counter,
    job_failures: Counter,
    last_pass: Seconds,
    pass_duration: Seconds,
    open_requests: Gauge,
    outbox: Family<StateLabels, Gauge>,
    job_lag: Family<JobLabels, Seconds>,
    /// Held while a scrape sets the backlog gauges and encodes, so two scrapes at once
    /// never interleave their figures.
    scrape: Mutex<()>,
}

/// Latency buckets: 1 ms to about 4 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.001, 2.0, 13,
    ))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("entrada");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its response's head, by route template and method",
            latency.clone(),
        );
        let job_passes = Counter::default();
        registry.register(
            "job_passes",
            "Passes of the background jobs this instance has completed",
            job_passes.clone(),
        );
        let job_failures = Counter::default();
        registry.register(
            "job_failures",
            "Items (or whole jobs) that failed in this instance's passes of the background jobs",
            job_failures.clone(),
        );
        let last_pass = Seconds::default();
        registry.register(
            "job_last_pass_timestamp_seconds",
            "When this instance last completed a pass of the background jobs (Unix time; 0 before the first)",
            last_pass.clone(),
        );
        let pass_duration = Seconds::default();
        registry.register(
            "job_last_pass_duration_seconds",
            "How long this instance's last pass of the background jobs took",
            pass_duration.clone(),
        );
        let open_requests = Gauge::default();
        registry.register(
            "open_requests",
            "Requests waiting for an approver's decision",
            open_requests.clone(),
        );
        let outbox = Family::<StateLabels, Gauge>::default();
        registry.register(
            "outbox_messages",
            "Messages in the outbox not sent: pending (including those waiting for a retry) and failed",
            outbox.clone(),
        );
        let job_lag = Family::<JobLabels, Seconds>::default();
        registry.register(
            "job_lag_seconds",
            "How long the oldest due item has waited for its job: expiry (an assignment past its end), scheduled-starts (an approved request past its start), outbox (a message due to be sent); 0 when nothing waits",
            job_lag.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            job_passes,
            job_failures,
            last_pass,
            pass_duration,
            open_requests,
            outbox,
            job_lag,
            scrape: Mutex::new(()),
        }
    }
}

impl Metrics {
    /// Counts one answered request.
    pub(crate) fn observe_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// Records a completed pass of the background jobs.
    pub(crate) fn observe_pass(&self, finished_unix: f64, took: Duration, failed: u64) {
        self.job_passes.inc();
        self.job_failures.inc_by(failed);
        self.last_pass.set(finished_unix);
        self.pass_duration.set(took.as_secs_f64());
    }

    /// The text a scrape answers with, the backlog's gauges set from `backlog`.
    pub(crate) fn render(&self, backlog: &Backlog) -> String {
        let _one_at_a_time = self
            .scrape
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.open_requests.set(backlog.open_requests);
        for (state, count) in [
            ("pending", backlog.outbox_pending),
            ("failed", backlog.outbox_failed),
        ] {
            self.outbox.get_or_create(&StateLabels { state }).set(count);
        }
        for (job, lag) in [
            ("expiry", backlog.expiry_lag_seconds),
            ("scheduled-starts", backlog.start_lag_seconds),
            ("outbox", backlog.outbox_lag_seconds),
        ] {
            self.job_lag.get_or_create(&JobLabels { job }).set(lag);
        }
        let mut text = String::new();
        // Writing to a String cannot fail; the encoder only reports the writer's errors.
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(%error, "the metrics could not be encoded");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_route_template_with_their_latency() {
        let metrics = Metrics::default();
        metrics.observe_request(
            "GET",
            "/api/v1/requests/{id}",
            200,
            Duration::from_millis(3),
        );
        metrics.observe_request(
            "GET",
            "/api/v1/requests/{id}",
            200,
            Duration::from_millis(5),
        );
        metrics.observe_request("POST", "/api/v1/requests", 422, Duration::from_millis(2));
        let text = metrics.render(&Backlog {
            open_requests: 7,
            outbox_pending: 3,
            expiry_lag_seconds: 12.5,
            ..Backlog::default()
        });
        assert!(text.contains(
            "entrada_http_requests_total{method=\"GET\",route=\"/api/v1/requests/{id}\",status=\"200\"} 2"
        ), "{text}");
        assert!(text.contains(
            "entrada_http_requests_total{method=\"POST\",route=\"/api/v1/requests\",status=\"422\"} 1"
        ), "{text}");
        assert!(text.contains(
            "entrada_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/requests/{id}\"} 2"
        ), "{text}");
        assert!(text.contains("entrada_open_requests 7"), "{text}");
        assert!(
            text.contains("entrada_outbox_messages{state=\"pending\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("entrada_job_lag_seconds{job=\"expiry\"} 12.5"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
