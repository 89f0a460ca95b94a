//! Error answers: an HTTP status, a machine code and a fixed, safe sentence.
//!
//! The codes, statuses and sentences are the Python agent's (`agentcore_agent/errors.py`): the
//! code is the contract clients rely on, and the sentence never carries what Bedrock said
//! (account ids, ARNs, model ids); that detail goes to the log.

use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: &'static str,
}

impl ApiError {
    pub const fn new(status: u16, code: &'static str, message: &'static str) -> Self {
        Self {
            status,
            code,
            message,
        }
    }

    pub fn body(&self) -> serde_json::Value {
        json!({"error": self.message, "code": self.code})
    }
}

pub const THROTTLED: ApiError = ApiError::new(
    429,
    "model_throttled",
    "The model is throttling requests; retry later.",
);
pub const CREDENTIALS_MISSING: ApiError = ApiError::new(
    503,
    "model_credentials_missing",
    "The agent has no AWS credentials to call the model.",
);
pub const ACCESS_DENIED: ApiError = ApiError::new(
    502,
    "model_access_denied",
    "The agent's AWS identity is not allowed to invoke the model.",
);
pub const MODEL_NOT_FOUND: ApiError = ApiError::new(
    502,
    "model_not_found",
    "The configured model does not exist or is not available here.",
);
pub const REQUEST_REJECTED: ApiError = ApiError::new(
    502,
    "model_request_rejected",
    "The model rejected the request.",
);
pub const TIMEOUT: ApiError =
    ApiError::new(504, "model_timeout", "The model did not answer in time.");
pub const UNAVAILABLE: ApiError = ApiError::new(
    503,
    "model_unavailable",
    "The model service is unavailable; retry later.",
);
pub const UNREACHABLE: ApiError = ApiError::new(
    502,
    "model_unreachable",
    "The model endpoint could not be reached.",
);
pub const STREAM_FAILED: ApiError = ApiError::new(
    502,
    "model_stream_failed",
    "The model's answer stream broke off.",
);
pub const MODEL_ERROR: ApiError = ApiError::new(502, "model_error", "The model failed to answer.");
pub const CONTEXT_TOO_LONG: ApiError = ApiError::new(
    413,
    "context_window_exceeded",
    "The conversation no longer fits the model's context window.",
);
pub const OUTPUT_TRUNCATED: ApiError = ApiError::new(
    502,
    "model_output_truncated",
    "The model hit its output token limit.",
);
pub const INTERNAL: ApiError =
    ApiError::new(500, "internal_error", "The agent failed unexpectedly.");
pub const MEMORY_UNAVAILABLE: ApiError = ApiError::new(
    503,
    "memory_unavailable",
    "The conversation could not be restored from memory; retry later.",
);
pub const PAYLOAD_TOO_LARGE: ApiError =
    ApiError::new(413, "payload_too_large", "The request body is too large.");

/// The answer for an AWS error code, as the Python agent maps botocore's codes.
///
/// In-stream exceptions arrive with lower-camel codes (`modelStreamErrorException`).
pub fn for_aws_code(code: &str, message: &str) -> ApiError {
    match code {
        "ThrottlingException"
        | "throttlingException"
        | "ModelNotReadyException"
        | "ServiceQuotaExceededException" => THROTTLED,
        "AccessDeniedException"
        | "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "ExpiredTokenException" => ACCESS_DENIED,
        "ResourceNotFoundException" => MODEL_NOT_FOUND,
        "ModelTimeoutException" => TIMEOUT,
        "ServiceUnavailableException" | "serviceUnavailableException" => UNAVAILABLE,
        "modelStreamErrorException" | "internalServerException" => STREAM_FAILED,
        "ValidationException" | "validationException" => validation(message),
        _ => MODEL_ERROR,
    }
}

/// Bedrock says "validation" for three different things; tell them apart by its message as
/// Strands does (its context-overflow texts) and as the Python agent does (invalid model id).
fn validation(message: &str) -> ApiError {
    const CONTEXT_OVERFLOW: [&str; 3] = [
        "Input is too long for requested model",
        "input length and `max_tokens` exceed context limit",
        "too many total text bytes",
    ];
    if message.contains("model identifier is invalid") {
        MODEL_NOT_FOUND
    } else if CONTEXT_OVERFLOW.iter().any(|text| message.contains(text)) {
        CONTEXT_TOO_LONG
    } else {
        REQUEST_REJECTED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_messages_are_told_apart() {
        assert_eq!(
            for_aws_code(
                "ValidationException",
                "The provided model identifier is invalid."
            ),
            MODEL_NOT_FOUND
        );
        assert_eq!(
            for_aws_code(
                "ValidationException",
                "Input is too long for requested model."
            ),
            CONTEXT_TOO_LONG
        );
        assert_eq!(
            for_aws_code("ValidationException", "Malformed input request"),
            REQUEST_REJECTED
        );
        assert_eq!(for_aws_code("InternalServerException", ""), MODEL_ERROR);
        assert_eq!(for_aws_code("modelStreamErrorException", ""), STREAM_FAILED);
    }
}
