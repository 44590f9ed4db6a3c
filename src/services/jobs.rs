//! Long work a page starts and leaves running in the background (an
//! import, an export): the page that follows asks how far it has got and,
//! once it has ended, takes its outcome. Kept in this server's memory: the
//! work is one transaction or one file on one server, and so is the page
//! that watches it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::error::AppError;

/// Where a long piece of work has got to, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Rows checked (of those read).
    Check,
    /// Rows written.
    Write,
}

/// Jobs by their token, each with the outcome it ends with (`T`).
pub struct Jobs<T> {
    jobs: Mutex<HashMap<String, Arc<Job<T>>>>,
}

impl<T> Default for Jobs<T> {
    fn default() -> Self {
        Self {
            jobs: Mutex::new(HashMap::new()),
        }
    }
}

/// How long an ended job's outcome waits to be taken.
const ENDED_KEPT: Duration = Duration::from_secs(3600);

/// One piece of work running (or ended) in the background.
pub struct Job<T> {
    /// Who started it: only they may watch it.
    pub user_id: i64,
    writing: AtomicBool,
    done: AtomicUsize,
    total: AtomicUsize,
    outcome: Mutex<Option<(Result<T, AppError>, Instant)>>,
    ended: tokio::sync::Notify,
}

/// Where a job has got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobProgress {
    pub stage: Stage,
    pub done: usize,
    pub total: usize,
}

impl<T> Job<T> {
    fn new(user_id: i64) -> Self {
        Self {
            user_id,
            writing: AtomicBool::new(false),
            done: AtomicUsize::new(0),
            total: AtomicUsize::new(0),
            outcome: Mutex::new(None),
            ended: tokio::sync::Notify::new(),
        }
    }

    /// Told how far the work has got.
    pub fn report(&self, stage: Stage, done: usize, total: usize) {
        self.writing.store(stage == Stage::Write, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        self.done.store(done, Ordering::Relaxed);
    }

    pub fn progress(&self) -> JobProgress {
        JobProgress {
            stage: if self.writing.load(Ordering::Relaxed) {
                Stage::Write
            } else {
                Stage::Check
            },
            done: self.done.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
        }
    }

    pub fn has_ended(&self) -> bool {
        self.outcome.lock().is_ok_and(|o| o.is_some())
    }

    /// Wait until the work ends, or `limit` passes; whether it ended.
    pub async fn wait(&self, limit: Duration) -> bool {
        let ended = async {
            loop {
                let notified = self.ended.notified();
                if self.has_ended() {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, ended).await.is_ok()
    }

    fn end(&self, outcome: Result<T, AppError>) {
        if let Ok(mut slot) = self.outcome.lock() {
            *slot = Some((outcome, Instant::now()));
        }
        self.ended.notify_waiters();
    }
}

impl<T: Send + 'static> Jobs<T> {
    /// Run `work` in the background as the job `token`, told its job (for
    /// its progress); a job of the same token still running is not started
    /// twice: it is returned.
    pub fn start<F, Fut>(&self, token: &str, user_id: i64, work: F) -> Arc<Job<T>>
    where
        F: FnOnce(Arc<Job<T>>) -> Fut,
        Fut: Future<Output = Result<T, AppError>> + Send + 'static,
    {
        let job = Arc::new(Job::new(user_id));
        let Ok(mut jobs) = self.jobs.lock() else {
            // A poisoned registry: run it all the same, watched by nobody.
            spawn(Arc::clone(&job), work(Arc::clone(&job)));
            return job;
        };
        jobs.retain(|_, j| {
            j.outcome
                .lock()
                .map(|o| o.as_ref().is_none_or(|(_, at)| at.elapsed() < ENDED_KEPT))
                .unwrap_or(false)
        });
        if let Some(running) = jobs.get(token).filter(|j| !j.has_ended()) {
            return Arc::clone(running);
        }
        jobs.insert(token.to_string(), Arc::clone(&job));
        spawn(Arc::clone(&job), work(Arc::clone(&job)));
        job
    }

    /// The job `token`, when this server runs or ran it for `user_id`.
    pub fn get(&self, token: &str, user_id: i64) -> Option<Arc<Job<T>>> {
        let jobs = self.jobs.lock().ok()?;
        jobs.get(token)
            .filter(|j| j.user_id == user_id)
            .map(Arc::clone)
    }

    /// The outcome of the ended job `token` (started by `user_id`), taken:
    /// shown once.
    pub fn take_outcome(&self, token: &str, user_id: i64) -> Option<Result<T, AppError>> {
        let mut jobs = self.jobs.lock().ok()?;
        let outcome = {
            let job = jobs.get(token).filter(|j| j.user_id == user_id)?;
            let mut slot = job.outcome.lock().ok()?;
            slot.take()?.0
        };
        jobs.remove(token);
        Some(outcome)
    }
}

/// The work on a task of its own, so that a panic ends the job with an
/// error instead of leaving its page waiting for ever.
fn spawn<T: Send + 'static>(
    job: Arc<Job<T>>,
    work: impl Future<Output = Result<T, AppError>> + Send + 'static,
) {
    tokio::spawn(async move {
        let outcome = match tokio::spawn(work).await {
            Ok(outcome) => outcome,
            Err(e) => Err(AppError::internal(format!("background task: {e}"))),
        };
        job.end(outcome);
    });
}

/// A token for a new job: 128 random bits, URL-safe.
pub fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}
