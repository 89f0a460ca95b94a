//! One conversation per session id, bounded by an LRU of idle sessions.
//!
//! As in the Python agent (`sessions.py`): each session has its own history behind an async
//! mutex, so turns of one session run in arrival order while sessions run in parallel; the least
//! recently used *idle* sessions beyond `capacity` are forgotten. A session in use (a request
//! holds or waits for it) is never evicted, so the store may briefly hold more than `capacity`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::history::Conversation;

/// A conversation's messages; lock it for a whole turn.
pub type History = Arc<tokio::sync::Mutex<Conversation>>;

struct Entry {
    history: History,
    users: usize,
    last_used: u64,
}

struct Inner {
    sessions: HashMap<String, Entry>,
    clock: u64,
}

pub struct SessionStore {
    capacity: usize,
    inner: Mutex<Inner>,
}

/// A session checked out for one request; dropping it marks that use finished.
pub struct Checkout {
    store: Arc<SessionStore>,
    id: String,
    pub history: History,
}

impl Drop for Checkout {
    fn drop(&mut self) {
        let mut inner = self
            .store
            .inner
            .lock()
            .expect("the session store lock is never poisoned");
        if let Some(entry) = inner.sessions.get_mut(&self.id) {
            entry.users -= 1;
        }
        SessionStore::evict(&mut inner, self.store.capacity);
    }
}

impl SessionStore {
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Self {
            capacity,
            inner: Mutex::new(Inner {
                sessions: HashMap::new(),
                clock: 0,
            }),
        })
    }

    /// Get or create the session, mark it in use and most recently used.
    pub fn checkout(self: &Arc<Self>, id: &str) -> Checkout {
        let mut inner = self
            .inner
            .lock()
            .expect("the session store lock is never poisoned");
        inner.clock += 1;
        let now = inner.clock;
        let entry = inner
            .sessions
            .entry(id.to_string())
            .or_insert_with(|| Entry {
                history: Arc::new(tokio::sync::Mutex::new(Conversation::default())),
                users: 0,
                last_used: now,
            });
        entry.users += 1;
        entry.last_used = now;
        let history = entry.history.clone();
        Self::evict(&mut inner, self.capacity);
        Checkout {
            store: self.clone(),
            id: id.to_string(),
            history,
        }
    }

    fn evict(inner: &mut Inner, capacity: usize) {
        let excess = inner.sessions.len().saturating_sub(capacity);
        if excess == 0 {
            return;
        }
        let mut idle: Vec<(u64, String)> = inner
            .sessions
            .iter()
            .filter(|(_, entry)| entry.users == 0)
            .map(|(id, entry)| (entry.last_used, id.clone()))
            .collect();
        idle.sort_unstable();
        for (_, id) in idle.into_iter().take(excess) {
            inner.sessions.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_sessions_stay_and_the_excess_goes_once_idle() {
        let store = SessionStore::new(1);
        let a = store.checkout("a");
        drop(store.checkout("b")); // over capacity while a is busy: b, idle, goes
        assert_eq!(store.inner.lock().unwrap().sessions.len(), 1);
        let b = store.checkout("b");
        assert_eq!(store.inner.lock().unwrap().sessions.len(), 2);
        drop(a); // a is now the least recently used idle session
        let inner = store.inner.lock().unwrap();
        assert!(inner.sessions.contains_key("b") && !inner.sessions.contains_key("a"));
        drop(inner);
        drop(b);
    }
}
