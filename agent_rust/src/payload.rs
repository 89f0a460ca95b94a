//! Validate an `/invocations` request body: pure functions, no I/O.
//!
//! A JSON object with a non-empty string `prompt` and an optional boolean `stream`; other keys are
//! ignored. Each broken rule has its own code and sentence, the Python agent's (`payload.py`).

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub prompt: String,
    pub stream: bool,
}

/// A refused body: status, code and the sentence (which may name a limit, so it is owned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRequest {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

fn bad(status: u16, code: &'static str, message: impl Into<String>) -> BadRequest {
    BadRequest {
        status,
        code,
        message: message.into(),
    }
}

pub fn parse_invocation(
    body: &[u8],
    accept: &str,
    max_prompt_chars: usize,
) -> Result<Invocation, BadRequest> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(bad(
            400,
            "empty_body",
            r#"The request body is empty; send a JSON object like {"prompt": "..."}."#,
        ));
    }
    let payload: Value = serde_json::from_slice(body)
        .map_err(|_| bad(400, "invalid_json", "The request body is not valid JSON."))?;
    let Value::Object(payload) = payload else {
        return Err(bad(
            400,
            "invalid_payload",
            r#"The request body must be a JSON object like {"prompt": "..."}."#,
        ));
    };
    let prompt = match payload.get("prompt") {
        None => {
            return Err(bad(
                400,
                "missing_prompt",
                r#"The field "prompt" is required."#,
            ));
        }
        Some(Value::String(prompt)) => prompt,
        Some(_) => {
            return Err(bad(
                400,
                "invalid_prompt",
                r#"The field "prompt" must be a string."#,
            ));
        }
    };
    if prompt.chars().all(char::is_whitespace) {
        return Err(bad(
            400,
            "empty_prompt",
            r#"The field "prompt" must not be empty."#,
        ));
    }
    if prompt.chars().count() > max_prompt_chars {
        return Err(bad(
            413,
            "prompt_too_long",
            format!(r#"The field "prompt" is longer than {max_prompt_chars} characters."#),
        ));
    }
    let stream = match payload.get("stream") {
        None => false,
        Some(Value::Bool(stream)) => *stream,
        Some(_) => {
            return Err(bad(
                400,
                "invalid_stream",
                r#"The field "stream" must be true or false."#,
            ));
        }
    };
    Ok(Invocation {
        prompt: prompt.clone(),
        stream: stream || wants_event_stream(accept),
    })
}

/// True when the Accept header lists `text/event-stream` (any parameters, any position).
pub fn wants_event_stream(accept: &str) -> bool {
    accept.split(',').any(|part| {
        part.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("text/event-stream")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_in_order() {
        let code = |body: &[u8]| parse_invocation(body, "", 5).unwrap_err().code;
        assert_eq!(code(b" \n"), "empty_body");
        assert_eq!(code(b"{x"), "invalid_json");
        assert_eq!(code(b"null"), "invalid_payload");
        assert_eq!(code(b"{}"), "missing_prompt");
        assert_eq!(code(br#"{"prompt": null}"#), "invalid_prompt");
        assert_eq!(code(br#"{"prompt": " "}"#), "empty_prompt");
        assert_eq!(code(br#"{"prompt": "123456"}"#), "prompt_too_long");
        assert_eq!(code(br#"{"prompt": "hi", "stream": 1}"#), "invalid_stream");
        let ok =
            parse_invocation(br#"{"prompt": "hi"}"#, "a/b, text/event-stream;q=0.9", 5).unwrap();
        assert!(ok.stream);
    }
}
