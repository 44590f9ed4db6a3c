//! A subject's step timeline as the pages show it (cases, proposals and
//! information reports alike; markup in `templates/timeline.html`).

use crate::storage::events::TimelineEvent;

/// A timeline entry as shown.
pub struct EventRow {
    pub on: String,
    pub at: String,
    pub action: String,
    pub status: String,
    pub who: String,
    /// What the step set down (the number given, the reply, …).
    pub detail: String,
    /// The note typed with the step, as typed.
    pub note: String,
}

/// The labels a capability gives its steps: the action's, the status's,
/// what a step set down (its `detail`, given the action) in words, and who
/// did it (when no user is recorded).
pub struct Labels<A, S, D> {
    pub action: A,
    pub status: S,
    pub detail: D,
    pub nobody: String,
}

/// The rows of a timeline, oldest first.
pub fn rows<E, A, S, D>(events: &[E], labels: Labels<A, S, D>) -> Vec<EventRow>
where
    E: TimelineEvent,
    A: Fn(&str) -> String,
    S: Fn(&str) -> String,
    D: Fn(&str, &str) -> String,
{
    events
        .iter()
        .map(|e| EventRow {
            on: e.occurred_on().to_string(),
            at: crate::app::clock::shown(e.at()),
            action: (labels.action)(e.action()),
            status: (labels.status)(e.to_status()),
            who: e
                .user_name()
                .or(e.username())
                .map_or_else(|| labels.nobody.clone(), str::to_string),
            detail: e
                .detail()
                .filter(|d| !d.is_empty())
                .map(|d| (labels.detail)(e.action(), d))
                .unwrap_or_default(),
            note: e.note().unwrap_or_default().to_string(),
        })
        .collect()
}
