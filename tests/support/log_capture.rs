//! Capturing one test's log lines while other tests of the same process run beside it.
//!
//! A test captures with a thread-scoped subscriber (`tracing::subscriber::set_default`), but whether a log
//! statement is enabled at all is decided once per statement for the whole process (its callsite's cached
//! interest). tracing-core asks every registered subscriber, except when only one is registered: then it asks the
//! default of whatever thread reaches the statement first (tokio-rs/tracing, `tracing-core/src/callsite.rs` at
//! tracing-core 0.1.36, `Dispatchers::rebuilder` and `Rebuilder::JustOne`). So under `cargo test`, where tests
//! share a process, a test without a subscriber that reached the audit record's statement while a capturing test's
//! subscriber was the only one registered disabled that statement for everyone, and the capturing test saw no audit
//! line (issue 24 item 5). nextest, one process per test, never met the race.
//!
//! The fix: a process-wide default that records nothing is registered before any capture, so that there are always
//! at least two subscribers, every statement's interest is asked of all of them, and a thread without a capture of
//! its own still records nothing.

use std::sync::Once;

use tracing::subscriber::{DefaultGuard, NoSubscriber};

/// Makes `subscriber` this thread's subscriber until the guard is dropped, as `tracing::subscriber::set_default`
/// does, and first makes sure that no other thread can disable a statement for it (see the module's comment).
pub fn set_log_capture(
    subscriber: impl tracing::Subscriber + Send + Sync + 'static,
) -> DefaultGuard {
    static PROCESS_DEFAULT: Once = Once::new();
    PROCESS_DEFAULT.call_once(|| {
        // Fails only when the process already has a global subscriber, which then plays the same part.
        let _ = tracing::subscriber::set_global_default(NoSubscriber::default());
    });
    tracing::subscriber::set_default(subscriber)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::set_log_capture;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A statement no other test reaches, so that its interest is first decided in this test.
    fn log_the_probe() {
        tracing::info!(probe = "log-capture", "probe");
    }

    /// The race of the module's comment, played in order: while this thread's capture is the only subscriber,
    /// another thread without one reaches the statement first; this thread's capture must still record it.
    /// Without `set_log_capture`'s process default (plain `set_default`), the statement is disabled and this fails.
    #[test]
    fn a_thread_without_a_subscriber_cannot_disable_a_statement_for_a_capture() {
        let lines = Lines::default();
        let writer = lines.clone();
        let _capture = set_log_capture(
            tracing_subscriber::fmt()
                .json()
                .with_writer(move || writer.clone())
                .finish(),
        );
        std::thread::spawn(log_the_probe).join().unwrap();
        log_the_probe();
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text.matches("log-capture").count(),
            1,
            "this thread's line, and not the other thread's: {text:?}"
        );
    }
}
