//! JSON values to and from the SDK's `Document` (tool schemas out, tool inputs in).

use aws_smithy_types::{Document, Number};
use serde_json::Value;

pub fn to_document(value: &Value) -> Document {
    match value {
        Value::Null => Document::Null,
        Value::Bool(flag) => Document::Bool(*flag),
        Value::Number(number) => match (number.as_u64(), number.as_i64(), number.as_f64()) {
            (Some(unsigned), _, _) => Document::Number(Number::PosInt(unsigned)),
            (_, Some(signed), _) => Document::Number(Number::NegInt(signed)),
            (_, _, float) => Document::Number(Number::Float(float.unwrap_or(f64::NAN))),
        },
        Value::String(text) => Document::String(text.clone()),
        Value::Array(items) => Document::Array(items.iter().map(to_document).collect()),
        Value::Object(fields) => Document::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), to_document(v)))
                .collect(),
        ),
    }
}

/// A tool input streamed as JSON text; an empty input is an empty object (as Strands reads it).
pub fn parse_tool_input(text: &str) -> Document {
    if text.trim().is_empty() {
        return Document::Object(Default::default());
    }
    serde_json::from_str::<Value>(text)
        .map(|value| to_document(&value))
        .unwrap_or(Document::Null)
}

/// A `Document` as JSON (tool inputs kept in AgentCore Memory as Strands keeps them).
pub fn from_document(document: &Document) -> Value {
    match document {
        Document::Null => Value::Null,
        Document::Bool(flag) => Value::Bool(*flag),
        Document::Number(Number::PosInt(unsigned)) => Value::from(*unsigned),
        Document::Number(Number::NegInt(signed)) => Value::from(*signed),
        Document::Number(Number::Float(float)) => Value::from(*float),
        Document::String(text) => Value::String(text.clone()),
        Document::Array(items) => Value::Array(items.iter().map(from_document).collect()),
        Document::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), from_document(v)))
                .collect(),
        ),
    }
}
