//! The container's copy of the org's active group rules (`rules.rs` reads them), kept by the client across
//! invocations for a few minutes and for one org only.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::models::ActiveRule;

/// How long a container trusts its copy of the rules.
const TTL: Duration = Duration::from_secs(300);

#[derive(Debug, Default)]
pub struct RuleCache {
    rules: Mutex<Option<CachedRules>>,
}

#[derive(Debug)]
struct CachedRules {
    read_at: Instant,
    org: String,
    rules: Arc<Vec<ActiveRule>>,
}

impl RuleCache {
    /// The rules read from `org` less than the TTL ago, if any.
    pub fn fresh(&self, org: &str) -> Option<Arc<Vec<ActiveRule>>> {
        let guard = self.rules.lock().ok()?;
        let cached = guard.as_ref()?;
        (cached.org == org && cached.read_at.elapsed() < TTL).then(|| Arc::clone(&cached.rules))
    }

    /// Keeps `rules`, just read from `org`.
    pub fn store(&self, org: String, rules: Arc<Vec<ActiveRule>>) {
        if let Ok(mut guard) = self.rules.lock() {
            *guard = Some(CachedRules {
                read_at: Instant::now(),
                org,
                rules,
            });
        }
    }
}
