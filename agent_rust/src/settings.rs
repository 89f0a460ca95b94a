//! The agent's configuration, read once from environment variables and validated up front.
//!
//! The variables, defaults and messages are those of `agent_image/agentcore_agent/settings.py`:
//! both agents are configured by the same component, and a bad value must stop either one at
//! start-up with a message naming the variable (AgentCore reports it as an initialization failure).

use std::collections::HashMap;
use std::time::Duration;

pub const DEFAULT_SYSTEM_PROMPT: &str = "You are a helpful assistant. Answer concisely. Use the calculate tool for \
arithmetic and the current_time tool when you need the current date or time.";

/// Log levels as Python's `logging` names them (the Python agent accepts the same names).
const LOG_LEVELS: [&str; 8] = [
    "CRITICAL", "FATAL", "ERROR", "WARN", "WARNING", "INFO", "DEBUG", "NOTSET",
];

/// Everything the server reads from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub model_id: String,
    pub region: String,
    pub system_prompt: String,
    pub log_level: String,
    pub max_sessions: usize,
    pub max_prompt_chars: usize,
    pub model_retry_budget: Duration,
    pub model_max_attempts: u32,
    pub model_read_timeout: Duration,
    pub model_connect_timeout: Duration,
    /// The AgentCore Memory conversations are kept in (`BEDROCK_AGENTCORE_MEMORY_ID`), if any.
    pub memory_id: Option<String>,
    /// Long-term namespace templates to recall from (`MEMORY_LONG_TERM_NAMESPACES`).
    pub memory_namespaces: Vec<String>,
    /// Where spans are exported, if anywhere (`telemetry`).
    pub traces: Option<crate::telemetry::TraceExport>,
}

impl Settings {
    /// Largest request body read: a maximal prompt fully `\u`-escaped (6 bytes a char) plus room.
    pub fn max_body_bytes(&self) -> usize {
        self.max_prompt_chars * 6 + 64 * 1024
    }

    /// Read and validate every variable; the error names the first bad one and its rule.
    pub fn from_env(env: &HashMap<String, String>) -> Result<Self, String> {
        let get = |name: &str| env.get(name).map(|value| value.trim()).unwrap_or("");
        let model_id = get("MODEL_ID");
        if model_id.is_empty() {
            return Err(
                "MODEL_ID is required: set it to a Bedrock model id or inference profile id \
                        (e.g. us.anthropic.claude-sonnet-4-5-20250929-v1:0)"
                    .into(),
            );
        }
        let region = [get("AWS_REGION"), get("AWS_DEFAULT_REGION")]
            .into_iter()
            .find(|r| !r.is_empty());
        let Some(region) = region else {
            return Err(
                "AWS_REGION is required: set it to the Bedrock region, e.g. us-east-1".into(),
            );
        };
        let log_level = match get("LOG_LEVEL") {
            "" => "INFO".to_string(),
            raw => raw.to_uppercase(),
        };
        if !LOG_LEVELS.contains(&log_level.as_str()) {
            return Err(format!(
                "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL; got {}",
                py_repr(&log_level)
            ));
        }
        let system_prompt = match get("SYSTEM_PROMPT") {
            "" => DEFAULT_SYSTEM_PROMPT.to_string(),
            prompt => prompt.to_string(),
        };
        Ok(Self {
            model_id: model_id.to_string(),
            region: region.to_string(),
            system_prompt,
            log_level,
            max_sessions: positive_int(env, "MAX_SESSIONS", 100)? as usize,
            max_prompt_chars: positive_int(env, "MAX_PROMPT_CHARS", 100_000)? as usize,
            model_retry_budget: positive_seconds(env, "MODEL_RETRY_BUDGET_SECONDS", 50.0)?,
            model_max_attempts: positive_int(env, "MODEL_MAX_ATTEMPTS", 3)? as u32,
            model_read_timeout: positive_seconds(env, "MODEL_READ_TIMEOUT_SECONDS", 120.0)?,
            model_connect_timeout: positive_seconds(env, "MODEL_CONNECT_TIMEOUT_SECONDS", 10.0)?,
            memory_id: Some(get("BEDROCK_AGENTCORE_MEMORY_ID").to_string())
                .filter(|id| !id.is_empty()),
            memory_namespaces: namespaces(env)?,
            traces: crate::telemetry::export_from_env(env)?,
        })
    }
}

/// `MEMORY_LONG_TERM_NAMESPACES`: a JSON array of namespace templates, each with `{actorId}`.
fn namespaces(env: &HashMap<String, String>) -> Result<Vec<String>, String> {
    let raw = env
        .get("MEMORY_LONG_TERM_NAMESPACES")
        .map(|value| value.trim())
        .unwrap_or("");
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let templates = serde_json::from_str::<Vec<String>>(raw)
        .ok()
        .filter(|templates| templates.iter().all(|template| template.contains("{actorId}")))
        .ok_or(
            "MEMORY_LONG_TERM_NAMESPACES must be a JSON array of namespace templates that contain {actorId}, \
             e.g. [\"/users/{actorId}/facts\"]",
        )?;
    let memory = env
        .get("BEDROCK_AGENTCORE_MEMORY_ID")
        .map(|value| value.trim())
        .unwrap_or("");
    if !templates.is_empty() && memory.is_empty() {
        return Err("MEMORY_LONG_TERM_NAMESPACES needs BEDROCK_AGENTCORE_MEMORY_ID (the memory to read them from)".into());
    }
    Ok(templates)
}

fn positive_int(env: &HashMap<String, String>, name: &str, default: u64) -> Result<u64, String> {
    let raw = env.get(name).map(|value| value.trim()).unwrap_or("");
    if raw.is_empty() {
        return Ok(default);
    }
    match raw.parse::<i64>() {
        Ok(value) if value >= 1 => Ok(value as u64),
        _ => Err(format!(
            "{name} must be a positive integer; got {}",
            py_repr(raw)
        )),
    }
}

fn positive_seconds(
    env: &HashMap<String, String>,
    name: &str,
    default: f64,
) -> Result<Duration, String> {
    let raw = env.get(name).map(|value| value.trim()).unwrap_or("");
    if raw.is_empty() {
        return Ok(Duration::from_secs_f64(default));
    }
    match raw.parse::<f64>() {
        Ok(value) if value > 0.0 && value.is_finite() => Ok(Duration::from_secs_f64(value)),
        _ => Err(format!(
            "{name} must be a positive number of seconds; got {}",
            py_repr(raw)
        )),
    }
}

/// A string quoted as Python's `repr` quotes it, so both agents print the same messages.
pub fn py_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut map: HashMap<String, String> = [("MODEL_ID", "m"), ("AWS_REGION", "us-east-1")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        map.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        map
    }

    #[test]
    fn defaults_match_the_python_agent() {
        let settings = Settings::from_env(&env(&[])).unwrap();
        assert_eq!(settings.max_sessions, 100);
        assert_eq!(settings.max_prompt_chars, 100_000);
        assert_eq!(settings.max_body_bytes(), 100_000 * 6 + 65_536);
        assert_eq!(settings.model_max_attempts, 3);
        assert_eq!(settings.system_prompt, DEFAULT_SYSTEM_PROMPT);
    }

    #[test]
    fn bad_values_name_their_variable() {
        let error = Settings::from_env(&env(&[("MODEL_MAX_ATTEMPTS", "1.5")])).unwrap_err();
        assert_eq!(
            error,
            "MODEL_MAX_ATTEMPTS must be a positive integer; got '1.5'"
        );
        let error = Settings::from_env(&env(&[("MODEL_READ_TIMEOUT_SECONDS", "inf")])).unwrap_err();
        assert_eq!(
            error,
            "MODEL_READ_TIMEOUT_SECONDS must be a positive number of seconds; got 'inf'"
        );
        assert_eq!(py_repr("it's"), "\"it's\"");
    }
}
