//! Layered configuration, the same for every service:
//! built-in defaults → `config/default.toml` → `config/<env>.toml` → environment
//! variables `<SERVICE>__<SECTION>__<KEY>` (e.g. `CATALOG__DATABASE__URL`).
//!
//! Every key is documented in `docs/configuration.md`; a missing or invalid key
//! stops start-up with an error naming it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Everything a service needs to run.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Settings {
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub kafka: KafkaSettings,
    pub outbox: OutboxSettings,
    pub outbound: OutboundSettings,
    pub auth: AuthSettings,
    pub telemetry: TelemetrySettings,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct HttpSettings {
    /// Address to bind; 127.0.0.1 locally, 0.0.0.0 in a container.
    pub host: String,
    pub port: u16,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Worker threads; 0 = one per core.
    pub workers: usize,
    /// Seconds to finish in-flight requests after SIGTERM.
    pub shutdown_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct DatabaseSettings {
    /// `postgres://user:password@host:port/database`. Required.
    pub url: String,
    pub max_connections: usize,
    /// Seconds to wait for a pooled connection before answering 503.
    pub acquire_timeout_secs: u64,
    /// Run pending migrations at start-up (else use the `migrate` subcommand).
    pub run_migrations: bool,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct KafkaSettings {
    /// Comma-separated `host:port` list. Required.
    pub brokers: String,
    /// Prepended to every topic name (e.g. "staging."); empty in production.
    pub topic_prefix: String,
    /// Create the service's topics (and their dead-letter topics) at start-up.
    pub create_topics: bool,
    pub topic_partitions: i32,
    pub topic_replication: i32,
    /// Consumer group; defaults to the topic prefix + the service name.
    pub consumer_group: Option<String>,
    /// Attempts of a failing handler before the record goes to `<topic>.dlq`.
    pub max_attempts: u32,
    /// First retry delay in milliseconds; doubles per attempt.
    pub retry_backoff_ms: u64,
    /// Consumers per subscription in this process. Kafka spreads the topic's
    /// partitions over them, so records of different keys apply in parallel
    /// while one key's records stay in order.
    pub consumer_tasks: usize,
    /// Records already fetched are applied together, up to this many per
    /// database transaction (one commit for the batch). A failing batch is
    /// retried record by record, so one bad record never holds back others.
    pub max_batch: usize,
    /// Extra librdkafka properties (e.g. security.protocol, sasl.*).
    #[serde(default)]
    pub properties: HashMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct OutboxSettings {
    /// Run the relay in this process (off only for tests and dedicated relays).
    pub relay_enabled: bool,
    pub batch_size: i64,
    /// How often the relay looks for rows when it wasn't woken by a write.
    pub poll_interval_ms: u64,
}

/// Requests to caller-supplied URLs (webhooks): see `platform::outbound`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct OutboundSettings {
    /// Let outbound requests reach loopback (127.0.0.1, ::1), plain http
    /// included: local development and tests only. Private, link-local and
    /// metadata addresses are refused regardless.
    pub allow_loopback: bool,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct AuthSettings {
    /// Shared secret for HS256 tokens (local and test use).
    pub hs256_secret: Option<String>,
    /// PEM public key for RS256 tokens from an identity provider.
    pub rs256_public_key_pem: Option<String>,
    /// A JWKS document (JSON) with the provider's RS256 keys, selected by `kid`.
    pub jwks_json: Option<String>,
    /// Expected `iss` claim.
    pub issuer: String,
    /// Expected `aud` claim.
    pub audience: String,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct TelemetrySettings {
    /// `text` or `json`.
    pub log_format: String,
    /// An `EnvFilter` directive, e.g. `info,catalog=debug`.
    pub log_level: String,
    /// OTLP collector endpoint; traces are exported only when set.
    pub otlp_endpoint: Option<String>,
    /// `grpc` (port 4317) or `http` (port 4318).
    pub otlp_protocol: String,
}

/// Every key a service reads (besides `kafka.properties.<librdkafka key>`),
/// for tools that check deployment manifests: `<service> config-keys` prints
/// them as environment variable names. A test keeps it equal to [`Settings`].
pub const KEYS: &[&str] = &[
    "http.host",
    "http.port",
    "http.max_body_bytes",
    "http.workers",
    "http.shutdown_timeout_secs",
    "database.url",
    "database.max_connections",
    "database.acquire_timeout_secs",
    "database.run_migrations",
    "kafka.brokers",
    "kafka.topic_prefix",
    "kafka.create_topics",
    "kafka.topic_partitions",
    "kafka.topic_replication",
    "kafka.consumer_group",
    "kafka.max_attempts",
    "kafka.retry_backoff_ms",
    "kafka.consumer_tasks",
    "kafka.max_batch",
    "kafka.properties",
    "outbox.relay_enabled",
    "outbox.batch_size",
    "outbox.poll_interval_ms",
    "outbound.allow_loopback",
    "auth.hs256_secret",
    "auth.rs256_public_key_pem",
    "auth.jwks_json",
    "auth.issuer",
    "auth.audience",
    "telemetry.log_format",
    "telemetry.log_level",
    "telemetry.otlp_endpoint",
    "telemetry.otlp_protocol",
];

/// The environment variables a service reads: one per key, a prefix for
/// librdkafka properties, and the two that pick the config files.
pub fn env_vars(service: &str) -> Vec<String> {
    let prefix = service.to_ascii_uppercase();
    let mut out: Vec<String> = KEYS
        .iter()
        .map(|k| match *k {
            "kafka.properties" => format!("{prefix}__KAFKA__PROPERTIES__*"),
            k => env_var(&prefix, k),
        })
        .collect();
    out.push("CROSSDOCK_ENV".into());
    out.push("CROSSDOCK_CONFIG_DIR".into());
    out
}

/// Where a service's settings come from.
pub struct Source<'a> {
    /// Service name; also the env var prefix in upper case.
    pub service: &'a str,
    /// Folder holding `default.toml` and `<env>.toml`.
    pub config_dir: PathBuf,
    /// Environment name (`CROSSDOCK_ENV`, default `local`).
    pub env: String,
    /// Environment variables to read (the process environment in production).
    pub vars: HashMap<String, String>,
}

impl<'a> Source<'a> {
    /// The process environment; `CROSSDOCK_CONFIG_DIR` overrides `default_dir`.
    pub fn from_process(service: &'a str, default_dir: &Path) -> Self {
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self {
            service,
            config_dir: vars
                .get("CROSSDOCK_CONFIG_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| default_dir.to_path_buf()),
            env: vars
                .get("CROSSDOCK_ENV")
                .cloned()
                .unwrap_or_else(|| "local".into()),
            vars,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration key '{key}' is missing: set it in config/<env>.toml or as {env_var}")]
    Missing { key: String, env_var: String },
    #[error("configuration key '{key}' is invalid: {reason} (env var {env_var})")]
    Invalid {
        key: String,
        env_var: String,
        reason: String,
    },
    #[error("configuration could not be read: {0}")]
    Read(String),
}

/// Loads and validates settings; the error names the key at fault.
pub fn load(source: &Source<'_>) -> Result<Settings, ConfigError> {
    let prefix = source.service.to_ascii_uppercase();
    let builder = with_defaults(config::Config::builder(), source.service)
        .map_err(|e| ConfigError::Read(e.to_string()))?
        .add_source(config::File::from(source.config_dir.join("default.toml")).required(false))
        .add_source(
            config::File::from(source.config_dir.join(format!("{}.toml", source.env)))
                .required(false),
        )
        .add_source(
            config::Environment::with_prefix(&prefix)
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .source(Some(source.vars.clone().into_iter().collect())),
        );
    let raw = builder
        .build()
        .map_err(|e| ConfigError::Read(e.to_string()))?;
    let settings: Settings = raw.try_deserialize().map_err(|e| classify(&prefix, e))?;
    validate(&prefix, &settings)?;
    Ok(settings)
}

fn env_var(prefix: &str, key: &str) -> String {
    format!("{prefix}__{}", key.replace('.', "__").to_ascii_uppercase())
}

fn with_defaults(
    b: config::ConfigBuilder<config::builder::DefaultState>,
    service: &str,
) -> Result<config::ConfigBuilder<config::builder::DefaultState>, config::ConfigError> {
    b.set_default("http.host", "127.0.0.1")?
        .set_default("http.port", 8080)?
        .set_default("http.max_body_bytes", 262_144)?
        .set_default("http.workers", 0)?
        .set_default("http.shutdown_timeout_secs", 20)?
        .set_default("database.max_connections", 16)?
        .set_default("database.acquire_timeout_secs", 5)?
        .set_default("database.run_migrations", true)?
        .set_default("kafka.topic_prefix", "")?
        .set_default("kafka.create_topics", true)?
        .set_default("kafka.topic_partitions", 6)?
        .set_default("kafka.topic_replication", 1)?
        .set_default("kafka.max_attempts", 5)?
        .set_default("kafka.retry_backoff_ms", 200)?
        .set_default("kafka.consumer_tasks", 3)?
        .set_default("kafka.max_batch", 100)?
        .set_default("outbox.relay_enabled", true)?
        .set_default("outbox.batch_size", 256)?
        .set_default("outbox.poll_interval_ms", 250)?
        .set_default("outbound.allow_loopback", false)?
        .set_default("auth.issuer", "crossdock")?
        .set_default("auth.audience", "crossdock")?
        .set_default("telemetry.log_format", "text")?
        .set_default("telemetry.log_level", format!("info,{service}=debug"))?
        .set_default("telemetry.otlp_protocol", "grpc")
}

/// Turns serde's "missing field `url`" into the full key and its env var.
fn classify(prefix: &str, err: config::ConfigError) -> ConfigError {
    let text = err.to_string();
    // config's own wording: missing configuration field "database.url"
    if let Some(key) = text
        .split("missing configuration field \"")
        .nth(1)
        .and_then(|s| s.split('"').next())
    {
        return ConfigError::Missing {
            env_var: env_var(prefix, key),
            key: key.to_string(),
        };
    }
    if let Some(rest) = text.split("missing field `").nth(1) {
        let field = rest.split('`').next().unwrap_or_default();
        // config reports the enclosing key as "for key `database`" when it knows it.
        let section = text
            .split("for key `")
            .nth(1)
            .and_then(|s| s.split('`').next())
            .unwrap_or_default();
        let key = if section.is_empty() {
            field.to_string()
        } else {
            format!("{section}.{field}")
        };
        return ConfigError::Missing {
            env_var: env_var(prefix, &key),
            key,
        };
    }
    if let Some(key) = text
        .split("for key `")
        .nth(1)
        .and_then(|s| s.split('`').next())
    {
        return ConfigError::Invalid {
            key: key.to_string(),
            env_var: env_var(prefix, key),
            reason: text.clone(),
        };
    }
    ConfigError::Read(text)
}

fn validate(prefix: &str, s: &Settings) -> Result<(), ConfigError> {
    let invalid = |key: &str, reason: &str| ConfigError::Invalid {
        key: key.to_string(),
        env_var: env_var(prefix, key),
        reason: reason.to_string(),
    };
    let missing = |key: &str| ConfigError::Missing {
        key: key.to_string(),
        env_var: env_var(prefix, key),
    };
    if s.database.url.trim().is_empty() {
        return Err(missing("database.url"));
    }
    if !(s.database.url.starts_with("postgres://") || s.database.url.starts_with("postgresql://")) {
        return Err(invalid("database.url", "must start with postgres://"));
    }
    if s.database.max_connections == 0 {
        return Err(invalid("database.max_connections", "must be at least 1"));
    }
    if s.kafka.brokers.trim().is_empty() {
        return Err(missing("kafka.brokers"));
    }
    if s.kafka.topic_partitions < 1 || s.kafka.topic_replication < 1 {
        return Err(invalid(
            "kafka.topic_partitions",
            "partitions and replication must be at least 1",
        ));
    }
    if s.kafka.max_attempts == 0 {
        return Err(invalid("kafka.max_attempts", "must be at least 1"));
    }
    if s.kafka.consumer_tasks == 0 {
        return Err(invalid("kafka.consumer_tasks", "must be at least 1"));
    }
    if s.outbox.batch_size < 1 {
        return Err(invalid("outbox.batch_size", "must be at least 1"));
    }
    let has_key = s
        .auth
        .hs256_secret
        .as_deref()
        .is_some_and(|k| !k.is_empty())
        || s.auth.rs256_public_key_pem.is_some()
        || s.auth.jwks_json.is_some();
    if !has_key {
        return Err(missing("auth.hs256_secret"));
    }
    if let Some(secret) = &s.auth.hs256_secret
        && !secret.is_empty()
        && secret.len() < 32
    {
        return Err(invalid(
            "auth.hs256_secret",
            "must be at least 32 bytes long",
        ));
    }
    if !matches!(s.telemetry.log_format.as_str(), "text" | "json") {
        return Err(invalid("telemetry.log_format", "must be 'text' or 'json'"));
    }
    if !matches!(s.telemetry.otlp_protocol.as_str(), "grpc" | "http") {
        return Err(invalid(
            "telemetry.otlp_protocol",
            "must be 'grpc' or 'http'",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(dir: &Path, env: &str, vars: &[(&str, &str)]) -> Source<'static> {
        Source {
            service: "catalog",
            config_dir: dir.to_path_buf(),
            env: env.to_string(),
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn keys_list_every_setting() {
        let dir = tempfile::tempdir().unwrap();
        let s = load(&source(
            dir.path(),
            "local",
            &[
                ("CATALOG__DATABASE__URL", "postgres://x/y"),
                ("CATALOG__KAFKA__BROKERS", "k:9092"),
                ("CATALOG__AUTH__HS256_SECRET", SECRET),
            ],
        ))
        .unwrap();
        let value = serde_json::to_value(&s).unwrap();
        let mut found = Vec::new();
        for (section, fields) in value.as_object().unwrap() {
            for key in fields.as_object().unwrap().keys() {
                found.push(format!("{section}.{key}"));
            }
        }
        found.sort();
        let mut keys: Vec<String> = KEYS.iter().map(|k| k.to_string()).collect();
        keys.sort();
        assert_eq!(found, keys, "KEYS lists exactly the fields of Settings");
        assert!(env_vars("catalog").contains(&"CATALOG__AUTH__HS256_SECRET".to_string()));
    }

    #[test]
    fn layers_defaults_files_and_env_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("default.toml"),
            "[http]\nport = 8081\nmax_body_bytes = 1000\n[database]\nurl = \"postgres://file/db\"\n[kafka]\nbrokers = \"file:9092\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("staging.toml"),
            "[http]\nmax_body_bytes = 2000\n[kafka]\nbrokers = \"staging:9092\"\n",
        )
        .unwrap();
        let s = load(&source(
            dir.path(),
            "staging",
            &[
                ("CATALOG__KAFKA__BROKERS", "env:9092"),
                ("CATALOG__AUTH__HS256_SECRET", SECRET),
                ("ORDERS__HTTP__PORT", "9999"),
            ],
        ))
        .unwrap();
        assert_eq!(s.http.host, "127.0.0.1", "built-in default");
        assert_eq!(s.http.port, 8081, "default.toml over the default");
        assert_eq!(s.http.max_body_bytes, 2000, "<env>.toml over default.toml");
        assert_eq!(s.kafka.brokers, "env:9092", "env var over every file");
        assert_eq!(s.database.url, "postgres://file/db");
        assert_eq!(s.auth.hs256_secret.as_deref(), Some(SECRET));
    }

    #[test]
    fn env_vars_parse_numbers_and_booleans() {
        let dir = tempfile::tempdir().unwrap();
        let s = load(&source(
            dir.path(),
            "local",
            &[
                ("CATALOG__DATABASE__URL", "postgres://x/y"),
                ("CATALOG__KAFKA__BROKERS", "b:1"),
                ("CATALOG__AUTH__HS256_SECRET", SECRET),
                ("CATALOG__HTTP__PORT", "8181"),
                ("CATALOG__OUTBOX__RELAY_ENABLED", "false"),
                ("CATALOG__KAFKA__PROPERTIES__SECURITY_PROTOCOL", "SASL_SSL"),
            ],
        ))
        .unwrap();
        assert_eq!(s.http.port, 8181);
        assert!(!s.outbox.relay_enabled);
        assert_eq!(s.kafka.properties["security_protocol"], "SASL_SSL");
    }

    #[test]
    fn missing_key_is_named_with_its_env_var() {
        let dir = tempfile::tempdir().unwrap();
        let err = load(&source(
            dir.path(),
            "local",
            &[
                ("CATALOG__KAFKA__BROKERS", "b:1"),
                ("CATALOG__AUTH__HS256_SECRET", SECRET),
            ],
        ))
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("'database.url'"), "{text}");
        assert!(text.contains("CATALOG__DATABASE__URL"), "{text}");
    }

    #[test]
    fn invalid_value_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let base = [
            ("CATALOG__DATABASE__URL", "postgres://x/y"),
            ("CATALOG__KAFKA__BROKERS", "b:1"),
            ("CATALOG__AUTH__HS256_SECRET", SECRET),
        ];
        let mut vars = base.to_vec();
        vars.push(("CATALOG__HTTP__PORT", "not-a-port"));
        let text = load(&source(dir.path(), "local", &vars))
            .unwrap_err()
            .to_string();
        assert!(text.contains("http.port"), "{text}");

        let mut vars = base.to_vec();
        vars.push(("CATALOG__AUTH__HS256_SECRET", "short"));
        let text = load(&source(dir.path(), "local", &vars))
            .unwrap_err()
            .to_string();
        assert!(text.contains("auth.hs256_secret"), "{text}");

        let mut vars = base.to_vec();
        vars.push(("CATALOG__DATABASE__URL", "mysql://x"));
        let text = load(&source(dir.path(), "local", &vars))
            .unwrap_err()
            .to_string();
        assert!(text.contains("database.url"), "{text}");
    }
}
