//! A conversation as the agent keeps it between turns, in a fraction of the SDK's memory.
//!
//! Why: most messages are one piece of text, and the SDK's `Message` spends 48 bytes plus a
//! 136-byte `ContentBlock` allocation on each before the text itself; idle sessions of 20 short
//! messages held about 16 KB each, against issue 10's target of 16 KB. A text-only message is
//! kept as its role and text (24 bytes and the text); anything else (tool use, tool results) as
//! the SDK message it is. Each model call builds the SDK messages from these, as it had to copy
//! them before.

use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, Message, ToolResultBlock, ToolResultContentBlock,
    ToolResultStatus, ToolUseBlock,
};
use serde_json::{Value, json};

use crate::document::{from_document, to_document};

/// A session's conversation: its messages, and whether AgentCore Memory was read for it yet.
#[derive(Default)]
pub struct Conversation {
    pub messages: Vec<Stored>,
    /// Restored from Memory (or Memory is off): the next turn need not read it.
    pub loaded: bool,
}

pub enum Stored {
    UserText(Box<str>),
    AssistantText(Box<str>),
    Other(Box<Message>),
}

impl Stored {
    pub fn user_text(text: &str) -> Self {
        Self::UserText(text.into())
    }

    /// Keep a message: compactly when it is one piece of text.
    pub fn from_message(message: Message) -> Self {
        match (message.role(), message.content()) {
            (ConversationRole::User, [ContentBlock::Text(text)]) => {
                Self::UserText(text.as_str().into())
            }
            (ConversationRole::Assistant, [ContentBlock::Text(text)]) => {
                Self::AssistantText(text.as_str().into())
            }
            _ => Self::Other(Box::new(message)),
        }
    }

    /// The message as the model is sent it.
    pub fn to_message(&self) -> Message {
        let (role, text) = match self {
            Self::UserText(text) => (ConversationRole::User, text),
            Self::AssistantText(text) => (ConversationRole::Assistant, text),
            Self::Other(message) => return message.as_ref().clone(),
        };
        Message::builder()
            .role(role)
            .content(ContentBlock::Text(text.to_string()))
            .build()
            .expect("role and content are set")
    }

    /// A user message that is not tool results: where Bedrock accepts a conversation to start.
    pub fn starts_cleanly(&self) -> bool {
        match self {
            Self::UserText(_) => true,
            Self::AssistantText(_) => false,
            Self::Other(message) => {
                *message.role() == ConversationRole::User
                    && !message.content().iter().any(ContentBlock::is_tool_result)
            }
        }
    }
}

impl Stored {
    /// The message as Strands holds it (`{"role", "content": [{"text"} | {"toolUse"} |
    /// {"toolResult"}]}`): the form AgentCore Memory keeps it in, so either agent can resume a
    /// conversation the other stored.
    pub fn to_strands(&self) -> Value {
        let message = match self {
            Self::UserText(text) => return json!({"role": "user", "content": [{"text": text}]}),
            Self::AssistantText(text) => {
                return json!({"role": "assistant", "content": [{"text": text}]});
            }
            Self::Other(message) => message,
        };
        let content: Vec<Value> = message
            .content()
            .iter()
            .filter_map(block_to_strands)
            .collect();
        let role = if *message.role() == ConversationRole::User {
            "user"
        } else {
            "assistant"
        };
        json!({"role": role, "content": content})
    }

    /// A message as Strands holds it; `None` if it is not one (unknown blocks are left out).
    pub fn from_strands(value: &Value) -> Option<Self> {
        let role = match value.get("role")?.as_str()? {
            "user" => ConversationRole::User,
            "assistant" => ConversationRole::Assistant,
            _ => return None,
        };
        let content: Vec<ContentBlock> = value
            .get("content")?
            .as_array()?
            .iter()
            .filter_map(block_from_strands)
            .collect();
        if content.is_empty() {
            return None;
        }
        let message = Message::builder()
            .role(role)
            .set_content(Some(content))
            .build()
            .ok()?;
        Some(Self::from_message(message))
    }
}

fn block_to_strands(block: &ContentBlock) -> Option<Value> {
    Some(match block {
        ContentBlock::Text(text) => json!({"text": text}),
        ContentBlock::ToolUse(tool) => json!({"toolUse": {
            "toolUseId": tool.tool_use_id(),
            "name": tool.name(),
            "input": from_document(tool.input()),
        }}),
        ContentBlock::ToolResult(result) => {
            let content: Vec<Value> = result
                .content()
                .iter()
                .filter_map(|part| part.as_text().ok().map(|text| json!({"text": text})))
                .collect();
            let status = match result.status() {
                Some(ToolResultStatus::Error) => "error",
                _ => "success",
            };
            json!({"toolResult": {"toolUseId": result.tool_use_id(), "status": status, "content": content}})
        }
        _ => return None,
    })
}

fn block_from_strands(block: &Value) -> Option<ContentBlock> {
    if let Some(text) = block.get("text").and_then(Value::as_str) {
        return Some(ContentBlock::Text(text.to_string()));
    }
    if let Some(tool) = block.get("toolUse") {
        let built = ToolUseBlock::builder()
            .tool_use_id(tool.get("toolUseId")?.as_str()?)
            .name(tool.get("name")?.as_str()?)
            .input(to_document(tool.get("input").unwrap_or(&Value::Null)))
            .build()
            .ok()?;
        return Some(ContentBlock::ToolUse(built));
    }
    let result = block.get("toolResult")?;
    let texts = result
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    let content: Vec<ToolResultContentBlock> = texts
        .map(|part| match part.get("text").and_then(Value::as_str) {
            Some(text) => ToolResultContentBlock::Text(text.to_string()),
            None => ToolResultContentBlock::Text(
                part.get("json").map(Value::to_string).unwrap_or_default(),
            ),
        })
        .collect();
    let status = match result.get("status").and_then(Value::as_str) {
        Some("error") => ToolResultStatus::Error,
        _ => ToolResultStatus::Success,
    };
    let built = ToolResultBlock::builder()
        .tool_use_id(result.get("toolUseId")?.as_str()?)
        .set_content(Some(content))
        .status(status)
        .build()
        .ok()?;
    Some(ContentBlock::ToolResult(built))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_messages_are_kept_compactly_and_come_back_the_same() {
        assert_eq!(std::mem::size_of::<Stored>(), 24);
        let answer = Message::builder()
            .role(ConversationRole::Assistant)
            .content(ContentBlock::Text("four".into()))
            .build()
            .unwrap();
        let stored = Stored::from_message(answer.clone());
        assert!(matches!(stored, Stored::AssistantText(_)));
        assert_eq!(stored.to_message(), answer);
        assert!(Stored::user_text("hi").starts_cleanly() && !stored.starts_cleanly());
    }

    #[test]
    fn strands_messages_round_trip_with_tool_use_and_results() {
        let tool_turn = json!({"role": "assistant", "content": [
            {"text": "Let me work it out."},
            {"toolUse": {"toolUseId": "t1", "name": "calculate", "input": {"expression": "6*7"}}},
        ]});
        let results = json!({"role": "user", "content": [
            {"toolResult": {"toolUseId": "t1", "status": "success", "content": [{"text": "42"}]}},
        ]});
        for value in [
            tool_turn,
            results,
            json!({"role": "user", "content": [{"text": "hi"}]}),
        ] {
            let stored = Stored::from_strands(&value).expect("a Strands message");
            assert_eq!(stored.to_strands(), value);
        }
        assert!(
            Stored::from_strands(&json!({"role": "system", "content": [{"text": "x"}]})).is_none()
        );
    }
}
