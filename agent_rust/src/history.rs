//! A conversation as the agent keeps it between turns, in a fraction of the SDK's memory.
//!
//! Why: most messages are one piece of text, and the SDK's `Message` spends 48 bytes plus a
//! 136-byte `ContentBlock` allocation on each before the text itself; idle sessions of 20 short
//! messages held about 16 KB each, against issue 10's target of 16 KB. A text-only message is
//! kept as its role and text (24 bytes and the text); anything else (tool use, tool results) as
//! the SDK message it is. Each model call builds the SDK messages from these, as it had to copy
//! them before.

use aws_sdk_bedrockruntime::types::{ContentBlock, ConversationRole, Message};

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
}
