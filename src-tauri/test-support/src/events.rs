//! Records every event of a run, for tests to read back.

use std::sync::{Arc, Mutex};

use bucketforge_engine::generate::{EventSink, GenerationEvent};

#[derive(Clone, Default)]
pub struct Events(Arc<Mutex<Vec<GenerationEvent>>>);

impl Events {
    /// A sink that keeps each event, in order.
    pub fn sink(&self) -> EventSink {
        let events = self.0.clone();
        Arc::new(move |e| events.lock().unwrap().push(e))
    }

    pub fn all(&self) -> Vec<GenerationEvent> {
        self.0.lock().unwrap().clone()
    }

    pub fn last(&self) -> GenerationEvent {
        self.all().last().cloned().expect("at least one event")
    }
}
