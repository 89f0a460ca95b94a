//! JSON log lines on stdout, one object per line, in the Python agent's shape.
//!
//! Why our own few lines instead of `tracing-subscriber`'s JSON format: the line is a contract
//! shared with `agent_image` (CloudWatch Logs Insights queries and the shared API suite read
//! `time`, `level`, `logger`, `message` and top-level fields such as `error_code`, which may be
//! `null`), and `tracing`'s formatter nests fields and cannot write `null`. Prompts and model
//! output are never passed here.

use std::io::Write;
use std::sync::OnceLock;

use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug = 10,
    Info = 20,
    Warning = 30,
    Error = 40,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warning => "WARNING",
            Level::Error => "ERROR",
        }
    }
}

static THRESHOLD: OnceLock<u8> = OnceLock::new();

/// Set the lowest level written, from a Python level name (`LOG_LEVEL`, already validated).
pub fn configure(level_name: &str) {
    let threshold = match level_name {
        "NOTSET" | "DEBUG" => 10,
        "INFO" => 20,
        "WARN" | "WARNING" => 30,
        "ERROR" => 40,
        _ => 50, // CRITICAL, FATAL
    };
    let _ = THRESHOLD.set(threshold);
}

/// Write one line: `logger` and `message` plus `fields` as top-level keys.
pub fn log(level: Level, logger: &str, message: &str, fields: Map<String, Value>) {
    if (level as u8) < *THRESHOLD.get().unwrap_or(&20) {
        return;
    }
    let mut entry = Map::new();
    entry.insert(
        "time".into(),
        chrono::Utc::now()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
            .into(),
    );
    entry.insert("level".into(), level.name().into());
    entry.insert("logger".into(), logger.into());
    entry.insert("message".into(), message.into());
    entry.extend(fields);
    let mut line = Value::Object(entry).to_string();
    line.push('\n');
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
}

/// `fields!{"key" => value, ...}`: a JSON map for `log`.
#[macro_export]
macro_rules! fields {
    ($($key:literal => $value:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut map = serde_json::Map::new();
        $(map.insert($key.to_string(), serde_json::json!($value));)*
        map
    }};
}
