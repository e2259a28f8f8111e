//! Tracing, logs and OpenTelemetry, set up once per process.
//!
//! Every process gets an OpenTelemetry tracer so spans carry W3C trace ids even
//! when nothing is exported; traces leave the process over OTLP only when an
//! endpoint is configured. The W3C trace-context propagator reads `traceparent`
//! from incoming HTTP requests (tracing-actix-web) and Kafka records, and writes
//! it into outgoing ones (outbox rows, reqwest calls).

use std::collections::HashMap;

use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::TelemetrySettings;

/// Flushes and shuts the exporter down when dropped (at process exit).
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        // A blocking OTLP shutdown on an async runtime thread deadlocks until its
        // timeout, so it runs on a thread of its own.
        let provider = self.provider.clone();
        let _ = std::thread::spawn(move || provider.shutdown()).join();
    }
}

fn tracer_provider(
    service: &str,
    settings: &TelemetrySettings,
) -> anyhow::Result<SdkTracerProvider> {
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(service.to_string())
        .build();
    let mut builder = SdkTracerProvider::builder().with_resource(resource);
    if let Some(endpoint) = settings.otlp_endpoint.as_deref().filter(|e| !e.is_empty()) {
        let exporter = match settings.otlp_protocol.as_str() {
            "http" => opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_endpoint(endpoint)
                .build()?,
            _ => opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(endpoint)
                .build()?,
        };
        builder = builder.with_batch_exporter(exporter);
    }
    Ok(builder.build())
}

/// Installs the global subscriber: env filter, text or JSON logs, OpenTelemetry.
pub fn init(service: &str, settings: &TelemetrySettings) -> anyhow::Result<TelemetryGuard> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let provider = tracer_provider(service, settings)?;
    opentelemetry::global::set_tracer_provider(provider.clone());
    // The log level filters only the logs: spans still reach OpenTelemetry at INFO,
    // so trace context flows into events even when logs are set to `warn`.
    let otel = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(service.to_string()))
        .with_filter(tracing_subscriber::filter::LevelFilter::INFO);
    let filter = EnvFilter::try_new(&settings.log_level)
        .map_err(|e| anyhow::anyhow!("telemetry.log_level: {e}"))?;
    let logs = if settings.log_format == "json" {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_filter(filter)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer().with_filter(filter).boxed()
    };
    tracing_subscriber::registry()
        .with(otel)
        .with(logs)
        .try_init()?;
    Ok(TelemetryGuard { provider })
}

/// For tests: installs telemetry once per process and ignores later calls.
pub fn init_for_tests() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let settings = TelemetrySettings {
            log_format: "text".into(),
            log_level: std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            otlp_endpoint: None,
            otlp_protocol: "grpc".into(),
        };
        if let Ok(guard) = init("test", &settings) {
            // Lives for the whole test process.
            std::mem::forget(guard);
        }
    });
}

/// The current span's W3C trace context as header pairs (`traceparent`, `tracestate`).
pub fn current_trace_headers() -> HashMap<String, String> {
    let cx = tracing::Span::current().context();
    let mut carrier = HashMap::new();
    opentelemetry::global::get_text_map_propagator(|p| {
        p.inject_context(&cx, &mut MapCarrier(&mut carrier))
    });
    carrier
}

/// Adds the current trace context to an outgoing HTTP request (webhooks, calls to
/// other services), so the receiver's spans join this trace.
pub fn traced(mut request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    for (name, value) in current_trace_headers() {
        request = request.header(name, value);
    }
    request
}

/// Makes `span` a child of the trace context found in `headers`.
pub fn set_parent_from_headers(span: &tracing::Span, headers: &HashMap<String, String>) {
    let cx = opentelemetry::global::get_text_map_propagator(|p| p.extract(&MapReader(headers)));
    let _ = span.set_parent(cx);
}

struct MapCarrier<'a>(&'a mut HashMap<String, String>);

impl Injector for MapCarrier<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }
}

struct MapReader<'a>(&'a HashMap<String, String>);

impl Extractor for MapReader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}
