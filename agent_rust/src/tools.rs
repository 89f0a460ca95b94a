//! The two built-in tools, as the Python agent offers them: `calculate` (plain arithmetic, see
//! `calc`) and `current_time` (UTC, ISO 8601, seconds).
//!
//! A tool's failure is an answer, not an error: the model gets `Error: <reason>` with status
//! `error` (as Strands reports a raising tool) and decides what to tell the user.

use aws_sdk_bedrockruntime::types::{Tool, ToolConfiguration, ToolInputSchema, ToolSpecification};
use aws_smithy_types::Document;
use serde_json::{Value, json};

use crate::calc;
use crate::document::to_document;

/// A tool's outcome: its text and whether it failed.
pub struct ToolOutput {
    pub text: String,
    pub failed: bool,
}

/// The `toolConfig` sent with every model call.
pub fn configuration() -> ToolConfiguration {
    let calculate = spec(
        "calculate",
        "Evaluate an arithmetic expression exactly, e.g. \"(17 + 4) * 3 / 7\".",
        json!({
            "type": "object",
            "properties": {"expression": {
                "type": "string",
                "description": "Numbers with + - * / // % ** and parentheses; nothing else.",
            }},
            "required": ["expression"],
        }),
    );
    let current_time = spec(
        "current_time",
        "The current date and time in UTC, ISO 8601 (e.g. 2026-01-31T12:00:00+00:00).",
        json!({"type": "object", "properties": {}, "required": []}),
    );
    ToolConfiguration::builder()
        .tools(calculate)
        .tools(current_time)
        .build()
        .expect("the tool list is not empty")
}

fn spec(name: &str, description: &str, schema: Value) -> Tool {
    Tool::ToolSpec(
        ToolSpecification::builder()
            .name(name)
            .description(description)
            .input_schema(ToolInputSchema::Json(to_document(&schema)))
            .build()
            .expect("name and schema are set"),
    )
}

/// Run the tool the model asked for with the input it gave.
pub fn run(name: &str, input: &Document) -> ToolOutput {
    let outcome = match name {
        "calculate" => match input {
            Document::Object(fields) => match fields.get("expression") {
                Some(Document::String(expression)) => {
                    calc::evaluate(expression).map(|number| calc::python_str(&number))
                }
                _ => Err("the field \"expression\" (a string) is required".to_string()),
            },
            _ => Err("the input must be an object with an \"expression\" string".to_string()),
        },
        "current_time" => Ok(chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S+00:00")
            .to_string()),
        other => Err(format!("no tool named {other}")),
    };
    match outcome {
        Ok(text) => ToolOutput {
            text,
            failed: false,
        },
        Err(reason) => ToolOutput {
            text: format!("Error: {reason}"),
            failed: true,
        },
    }
}
