//! The search box and similar proposals, over an in-memory index kept in
//! step with the database through the `search_changes` log: every write to
//! a searchable record appends to it in the same transaction, and each
//! server replays what it has not seen before answering (and every few
//! seconds in the background), so several servers on one database agree.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::cases::{committee, parse_range};
use super::{non_blank, Actor};
use crate::domain::archive;
use crate::domain::orgs::is_within;
use crate::domain::proposals::{is_public, ProposalStatus};
use crate::domain::roles::Role;
use crate::domain::text::{optional_text, required_line};
use crate::domain::validation::{FieldError, FieldErrors};
use crate::search::index::{
    analyse_all, highlight, query_terms, Analysed, Doc, DocKind, Entry, Index, Visible,
};
use crate::services::error::AppError;
use crate::storage::search::{self as store, DocRow, Links};
use crate::storage::{members, orgs, proposals, Db};

/// The change that tells every server to rebuild its index from the database.
pub const REBUILD: &str = "rebuild";

/// How many changes one replay reads at a time.
const BATCH: i64 = 5000;

#[derive(Default)]
struct State {
    index: Index,
    /// The last change replayed.
    seen: i64,
    built: bool,
    /// The last change of the snapshot kept in the database, as far as
    /// this server knows (it writes one when its index has gone past it).
    snapshot_seen: Option<i64>,
}

/// The layout of the snapshot's bytes ([`Index::to_snapshot`]).
const SNAPSHOT_FORMAT: i64 = 1;

/// How a server's index came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warmed {
    /// Read from the snapshot kept in the database, to be brought up to
    /// date from the change log.
    FromSnapshot { documents: usize },
    /// Built from the records (no snapshot, or one that did not match).
    Built { documents: usize },
}

/// Why a snapshot kept in the database is not read, if it is not: it must
/// be of this format, cut by this analyser, whole (its digest), and end
/// with a change the log still holds as it was (else it is stale or of
/// another database, and the index is built afresh).
fn snapshot_problem(
    kept: &store::Snapshot,
    analyser: &str,
    change_at_seen: Option<chrono::DateTime<chrono::Utc>>,
    oldest_change: Option<i64>,
) -> Option<&'static str> {
    use sha2::{Digest, Sha256};
    if kept.format != SNAPSHOT_FORMAT {
        return Some("another format");
    }
    if kept.analyser != analyser {
        return Some("texts cut another way");
    }
    if kept.seen > 0 {
        if change_at_seen.is_none() {
            return Some("its last change is no longer in the log");
        }
        if change_at_seen != kept.seen_at {
            return Some("its last change is not the log's");
        }
    } else if oldest_change.is_some_and(|oldest| oldest > 1) {
        return Some("changes after it were pruned");
    }
    if hex::encode(Sha256::digest(&kept.bytes)) != kept.digest {
        return Some("damaged (digest)");
    }
    None
}

/// The index shared by every request of one server.
#[derive(Default)]
pub struct SearchIndex {
    state: RwLock<State>,
    /// One replay at a time; the others wait for it and find nothing left.
    replay: tokio::sync::Mutex<()>,
    /// The first build runs in the background (`spawn_warm_up`): until it
    /// is done a search answers that the index is warming up rather than
    /// waiting for it, so a server answers within a second of starting.
    warming: AtomicBool,
}

/// The kind a hit is shown as: the archive's three are one (档案).
fn kind_name(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Proposal => "proposal",
        DocKind::InfoReport => "info",
        DocKind::Case => "case",
        DocKind::Activity => "activity",
        DocKind::ArchiveDocument | DocKind::Summary | DocKind::Attachment => "archive",
    }
}

/// The kinds of document a search's `kind` asks for.
fn kinds_asked(name: &str) -> Option<&'static [DocKind]> {
    match name {
        "proposal" => Some(&[DocKind::Proposal]),
        "info" => Some(&[DocKind::InfoReport]),
        "case" => Some(&[DocKind::Case]),
        "activity" => Some(&[DocKind::Activity]),
        "archive" => Some(&ARCHIVE_KINDS),
        _ => None,
    }
}

/// What the archive files, searched as one kind.
const ARCHIVE_KINDS: [DocKind; 3] = [
    DocKind::ArchiveDocument,
    DocKind::Summary,
    DocKind::Attachment,
];

fn table_of(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Proposal => "proposals",
        DocKind::InfoReport => "info_reports",
        DocKind::Case => "cases",
        DocKind::Activity => "activities",
        DocKind::ArchiveDocument => "archive_documents",
        DocKind::Summary => "summaries",
        DocKind::Attachment => "attachments",
    }
}

/// The kind a change in the `search_changes` log names.
fn kind_of(name: &str) -> Option<DocKind> {
    match name {
        "proposal" => Some(DocKind::Proposal),
        "info" => Some(DocKind::InfoReport),
        "case" => Some(DocKind::Case),
        "activity" => Some(DocKind::Activity),
        "archive_document" => Some(DocKind::ArchiveDocument),
        "summary" => Some(DocKind::Summary),
        "attachment" => Some(DocKind::Attachment),
        _ => None,
    }
}

fn grouped(links: Links) -> HashMap<i64, Vec<i64>> {
    let mut map: HashMap<i64, Vec<i64>> = HashMap::new();
    for (record, other) in links {
        map.entry(record).or_default().push(other);
    }
    map
}

fn doc(kind: DocKind, row: DocRow) -> Doc {
    Doc {
        kind,
        id: row.id,
        org_path: row.org_path,
        date: row.day,
        title: row.title,
        body: row.body,
        members: Vec::new(),
        departments: Vec::new(),
        public: false,
    }
}

/// The documents of one kind (all of them, or those of `ids`).
async fn load(db: &Db, kind: DocKind, ids: Option<&[i64]>) -> Result<Vec<Doc>, AppError> {
    Ok(match kind {
        DocKind::Proposal => {
            let mut people = grouped(store::proposal_members(db, ids).await?);
            let mut handlers = grouped(store::proposal_departments(db, ids).await?);
            store::proposals(db, ids)
                .await?
                .into_iter()
                .map(|row| {
                    let status = ProposalStatus::parse("status", &row.state).ok();
                    let handled = matches!(
                        status,
                        Some(
                            ProposalStatus::Assigned
                                | ProposalStatus::Answered
                                | ProposalStatus::Closed
                        )
                    );
                    let mut members = people.remove(&row.id).unwrap_or_default();
                    members.extend(row.person);
                    let departments = handlers.remove(&row.id).unwrap_or_default();
                    Doc {
                        members,
                        departments: if handled { departments } else { Vec::new() },
                        public: status.is_some_and(is_public),
                        ..doc(kind, row)
                    }
                })
                .collect()
        }
        DocKind::Case => store::cases(db, ids)
            .await?
            .into_iter()
            .map(|row| Doc {
                departments: row.person.into_iter().collect(),
                ..doc(kind, row)
            })
            .collect(),
        DocKind::Activity => {
            let mut invited = grouped(store::activity_members(db, ids).await?);
            store::activities(db, ids)
                .await?
                .into_iter()
                .map(|row| {
                    let mut members = invited.remove(&row.id).unwrap_or_default();
                    members.extend(row.person);
                    Doc {
                        members,
                        ..doc(kind, row)
                    }
                })
                .collect()
        }
        DocKind::InfoReport => info_docs(db, ids).await?,
        // The archive's: its committee's staff only.
        DocKind::ArchiveDocument => store::archive_documents(db, ids)
            .await?
            .into_iter()
            .map(|row| doc(kind, row))
            .collect(),
        DocKind::Summary => store::summaries(db, ids)
            .await?
            .into_iter()
            .map(|row| doc(kind, row))
            .collect(),
        DocKind::Attachment => store::attachments(db, ids)
            .await?
            .into_iter()
            .map(|row| doc(kind, row))
            .collect(),
    })
}

/// Information reports: the author reads their own; staff their committee's.
async fn info_docs(db: &Db, ids: Option<&[i64]>) -> Result<Vec<Doc>, AppError> {
    Ok(store::infos(db, ids)
        .await?
        .into_iter()
        .map(|row| Doc {
            members: row.person.into_iter().collect(),
            ..doc(DocKind::InfoReport, row)
        })
        .collect())
}

const KINDS: [DocKind; 7] = [
    DocKind::Proposal,
    DocKind::InfoReport,
    DocKind::Case,
    DocKind::Activity,
    DocKind::ArchiveDocument,
    DocKind::Summary,
    DocKind::Attachment,
];

impl SearchIndex {
    /// Make the index ready: from the snapshot kept in the database when it
    /// matches (see [`snapshot_problem`]), else built from the records.
    /// Changes after the snapshot are replayed by the next [`Self::catch_up`].
    pub async fn warm_up(&self, db: &Db) -> Result<Warmed, AppError> {
        let _replay = self.replay.lock().await;
        match self.read_snapshot_locked(db).await {
            Ok(Some(documents)) => return Ok(Warmed::FromSnapshot { documents }),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "reading the search index snapshot failed"),
        }
        let documents = self.rebuild_locked(db).await?;
        Ok(Warmed::Built { documents })
    }

    /// The snapshot kept in the database, read into this index if it matches.
    async fn read_snapshot_locked(&self, db: &Db) -> Result<Option<usize>, AppError> {
        let Some(kept) = store::snapshot(db).await? else {
            tracing::info!("no search index snapshot: building the index");
            return Ok(None);
        };
        let change_at_seen = store::change_at(db, kept.seen).await?;
        let oldest = store::oldest_change(db).await?;
        let (problem, kept) = tokio::task::spawn_blocking(move || {
            let analyser = Index::new().analyser().fingerprint();
            (
                snapshot_problem(&kept, &analyser, change_at_seen, oldest),
                kept,
            )
        })
        .await
        .map_err(AppError::internal_from)?;
        if let Some(problem) = problem {
            tracing::info!(
                problem,
                "search index snapshot not used: building the index"
            );
            return Ok(None);
        }
        let seen = kept.seen;
        let expected = kept.documents;
        let read = tokio::task::spawn_blocking(move || Index::from_snapshot(&kept.bytes))
            .await
            .map_err(AppError::internal_from)?;
        let index = match read {
            Ok(index) if index.len() as i64 == expected => index,
            Ok(_) => {
                tracing::warn!("search index snapshot holds another number of documents");
                return Ok(None);
            }
            Err(e) => {
                tracing::warn!(error = %e, "search index snapshot not read");
                return Ok(None);
            }
        };
        let documents = index.len();
        log_memory(&index);
        *self.state.write().map_err(poisoned)? = State {
            index,
            seen,
            built: true,
            snapshot_seen: Some(seen),
        };
        Ok(Some(documents))
    }

    /// Keep this index in the database for the next server to start from,
    /// unless it holds nothing new since the snapshot kept there. Returns
    /// how many documents were written (None: nothing written).
    pub async fn save_snapshot(self: &Arc<Self>, db: &Db) -> Result<Option<usize>, AppError> {
        use sha2::{Digest, Sha256};
        let me = Arc::clone(self);
        // Written on a blocking thread: a province's index takes a moment.
        let written = tokio::task::spawn_blocking(move || {
            let state = me.state.read().map_err(poisoned)?;
            if !state.built || state.snapshot_seen.is_some_and(|kept| state.seen <= kept) {
                return Ok::<_, AppError>(None);
            }
            let bytes = state.index.to_snapshot();
            let analyser = state.index.analyser().fingerprint();
            Ok(Some((state.seen, state.index.len(), bytes, analyser)))
        })
        .await
        .map_err(AppError::internal_from)??;
        let Some((seen, documents, bytes, analyser)) = written else {
            return Ok(None);
        };
        let seen_at = store::change_at(db, seen).await?;
        if seen > 0 && seen_at.is_none() {
            // Its last change is gone from the log: it could never be checked.
            return Ok(None);
        }
        let snapshot = store::Snapshot {
            format: SNAPSHOT_FORMAT,
            analyser,
            seen,
            seen_at,
            documents: documents as i64,
            digest: hex::encode(Sha256::digest(&bytes)),
            bytes,
        };
        let kept = store::save_snapshot(db, &snapshot).await?;
        let mut state = self.state.write().map_err(poisoned)?;
        state.snapshot_seen = state.snapshot_seen.max(Some(seen));
        Ok(kept.then_some(documents))
    }

    /// Build the index afresh from the database; returns how many documents it holds.
    pub async fn rebuild(&self, db: &Db) -> Result<usize, AppError> {
        let _replay = self.replay.lock().await;
        self.rebuild_locked(db).await
    }

    async fn rebuild_locked(&self, db: &Db) -> Result<usize, AppError> {
        // Changes after this point are replayed later (upserts are idempotent).
        let seen = store::latest_change(db).await?;
        let mut index = Index::new();
        let mut all_ids = Vec::with_capacity(KINDS.len());
        for kind in KINDS {
            all_ids.push((kind, store::ids(db, table_of(kind)).await?));
        }
        index.reserve(all_ids.iter().map(|(_, ids)| ids.len()).sum());
        // In chunks, so that the texts read never all sit in memory at once;
        // a chunk is segmented on every core while the next one is read.
        let analyser = index.analyser();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut segmenting: Option<tokio::task::JoinHandle<Vec<Analysed>>> = None;
        for (kind, ids) in all_ids {
            for chunk in ids.chunks(2000) {
                let docs = load(db, kind, Some(chunk)).await?;
                if let Some(done) = segmenting.take() {
                    for a in done.await.map_err(AppError::internal_from)? {
                        index.upsert_analysed(a);
                    }
                }
                segmenting = Some(tokio::task::spawn_blocking(move || {
                    analyse_all(analyser, docs, threads)
                }));
            }
        }
        if let Some(done) = segmenting {
            for a in done.await.map_err(AppError::internal_from)? {
                index.upsert_analysed(a);
            }
        }
        index.refresh_norms();
        index.compact();
        let (postings, terms) = index.size();
        tracing::info!(
            documents = index.len(),
            postings,
            terms,
            "search index ready"
        );
        log_memory(&index);
        let size = index.len();
        let mut state = self.state.write().map_err(poisoned)?;
        let snapshot_seen = state.snapshot_seen;
        *state = State {
            index,
            seen,
            built: true,
            snapshot_seen,
        };
        Ok(size)
    }

    /// Replay the changes this server has not seen yet (building the index
    /// first if needed, unless the background build is under way: then the
    /// caller is told to come back, 503 with `search_warming_up`).
    pub async fn catch_up(&self, db: &Db) -> Result<(), AppError> {
        if !self.state.read().map_err(poisoned)?.built {
            if self.warming.load(Ordering::Acquire) {
                return Err(AppError::Unavailable("search_warming_up"));
            }
            self.rebuild(db).await?;
        }
        let _replay = self.replay.lock().await;
        let mut seen = self.state.read().map_err(poisoned)?.seen;
        // Changes this server never saw were pruned: start afresh.
        if store::oldest_change(db)
            .await?
            .is_some_and(|oldest| oldest > seen + 1)
        {
            self.rebuild_locked(db).await?;
            seen = self.state.read().map_err(poisoned)?.seen;
        }
        loop {
            let changes = store::changes_since(db, seen, BATCH).await?;
            let Some(last) = changes.last().map(|c| c.0) else {
                return Ok(());
            };
            if changes.iter().any(|(_, kind, _)| kind == REBUILD) {
                // `lvzhi search rebuild` asks every server to start afresh.
                self.rebuild_locked(db).await?;
                seen = self.state.read().map_err(poisoned)?.seen.max(last);
                self.state.write().map_err(poisoned)?.seen = seen;
                continue;
            }
            let mut by_kind: HashMap<DocKind, Vec<i64>> = HashMap::new();
            for (_, kind, id) in &changes {
                if let Some(kind) = kind_of(kind) {
                    let ids = by_kind.entry(kind).or_default();
                    if !ids.contains(id) {
                        ids.push(*id);
                    }
                }
            }
            let mut fresh = Vec::new();
            for (kind, ids) in &by_kind {
                for chunk in ids.chunks(500) {
                    fresh.push((*kind, chunk.to_vec(), load(db, *kind, Some(chunk)).await?));
                }
            }
            let mut state = self.state.write().map_err(poisoned)?;
            for (kind, ids, docs) in fresh {
                // A record no longer searchable (a draft again, say) is dropped.
                for id in ids {
                    state.index.remove(kind, id);
                }
                for d in docs {
                    state.index.upsert(d);
                }
            }
            state.index.refresh_norms();
            state.seen = last;
            seen = last;
        }
    }

    /// How many documents the index holds and the last change it replayed.
    pub fn status(&self) -> (usize, i64) {
        self.state
            .read()
            .map(|s| (s.index.len(), s.seen))
            .unwrap_or((0, 0))
    }

    /// Whether the background build has not finished yet.
    pub fn is_warming(&self) -> bool {
        self.warming.load(Ordering::Acquire) && !self.state.read().map(|s| s.built).unwrap_or(false)
    }

    /// Mark the index as being built in the background: searches answer
    /// `search_warming_up` until a build finishes. [`Self::spawn_warm_up`]
    /// does this before it spawns the build.
    pub fn begin_warming(&self) {
        self.warming.store(true, Ordering::Release);
    }

    /// Make the index ready in the background ([`Self::warm_up`]: from the
    /// snapshot, or built and then kept as the next snapshot), then keep it
    /// refreshed (see [`Self::spawn_refresher`]). A failure is logged and
    /// leaves the next search to build the index in its own time.
    pub fn spawn_warm_up(self: Arc<Self>, db: Db, every: Duration) {
        self.begin_warming();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let warmed = self.warm_up(&db).await;
            let millis = started.elapsed().as_millis() as u64;
            match &warmed {
                Ok(Warmed::FromSnapshot { documents }) => {
                    tracing::info!(documents, millis, "search index built from its snapshot")
                }
                Ok(Warmed::Built { documents }) => {
                    tracing::info!(documents, millis, "search index built")
                }
                Err(e) => tracing::warn!(error = %e, "building the search index failed"),
            }
            self.warming.store(false, Ordering::Release);
            if matches!(warmed, Ok(Warmed::Built { .. })) {
                self.save_snapshot_logged(&db).await;
            }
            self.spawn_refresher(db, every);
        });
    }

    /// [`Self::save_snapshot`], its outcome logged: the server's background
    /// tasks and its shutdown call it.
    pub async fn save_snapshot_logged(self: &Arc<Self>, db: &Db) {
        let started = std::time::Instant::now();
        match self.save_snapshot(db).await {
            Ok(Some(documents)) => tracing::info!(
                documents,
                millis = started.elapsed().as_millis() as u64,
                "search index snapshot written"
            ),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "writing the search index snapshot failed"),
        }
    }

    /// Keep replaying in the background, for servers sharing one database,
    /// and, hourly, write the index's snapshot if it has moved on and
    /// forget changes older than a day (those after the snapshot stay).
    pub fn spawn_refresher(self: Arc<Self>, db: Db, every: Duration) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            let mut pruned = std::time::Instant::now();
            loop {
                tick.tick().await;
                if let Err(e) = self.catch_up(&db).await {
                    tracing::warn!(error = %e, "search index refresh failed");
                }
                if pruned.elapsed() > Duration::from_secs(3600) {
                    pruned = std::time::Instant::now();
                    self.save_snapshot_logged(&db).await;
                    let day_ago = chrono::Utc::now() - chrono::Duration::days(1);
                    if let Err(e) = store::prune_changes(&db, day_ago).await {
                        tracing::warn!(error = %e, "pruning the search change log failed");
                    }
                }
            }
        });
    }
}

/// Where the index's memory goes, in MB, for an operator sizing a server.
fn log_memory(index: &Index) {
    let memory = index.heap_bytes();
    let mb = |bytes: usize| (bytes as f64 / 1_048_576.0 * 10.0).round() / 10.0;
    tracing::info!(
        total_mb = mb(memory.total()),
        postings_mb = mb(memory.postings),
        documents_mb = mb(memory.documents),
        term_lists_mb = mb(memory.term_lists),
        keys_mb = mb(memory.keys),
        vocabulary_mb = mb(memory.vocabulary),
        "search index memory"
    );
}

fn poisoned<T>(_: T) -> AppError {
    AppError::internal("search index lock poisoned")
}

/// Who is asking, resolved once per query.
struct Viewer {
    role: Role,
    org_path: String,
    member_id: Option<i64>,
    /// A member's committee: its accepted proposals are theirs to read.
    committee_path: Option<String>,
    department_id: Option<i64>,
}

impl Viewer {
    async fn of(db: &Db, actor: &Actor) -> Result<Self, AppError> {
        let committee_path = match actor.member_id {
            Some(me) if actor.role == Role::Member => match members::get(db, me).await? {
                Some(m) => orgs::get_org(db, m.org_id).await?.map(|o| o.path),
                None => None,
            },
            _ => None,
        };
        Ok(Viewer {
            role: actor.role,
            org_path: actor.org_path.clone(),
            member_id: actor.member_id,
            committee_path,
            department_id: actor.department_id,
        })
    }

    /// Whether every document of the organisation at `org_path` that is
    /// (or is not) public is visible, or none is, when that decides: for
    /// staff, and for a member the public records of their committee (a
    /// member also reads their own, wherever they are: asked of each).
    fn sees_org(&self, org_path: &str, public: bool) -> Option<bool> {
        match self.role {
            Role::Staff => Some(is_within(org_path, &self.org_path)),
            Role::Member if public => self
                .committee_path
                .as_deref()
                .is_some_and(|c| is_within(org_path, c))
                .then_some(true),
            _ => None,
        }
    }

    fn sees(&self, d: &Entry) -> bool {
        match self.role {
            Role::Staff => is_within(&d.org_path, &self.org_path),
            Role::Member => {
                self.member_id.is_some_and(|me| d.members.contains(&me))
                    || (d.public
                        && self
                            .committee_path
                            .as_deref()
                            .is_some_and(|c| is_within(&d.org_path, c)))
            }
            Role::Department => self
                .department_id
                .is_some_and(|dep| d.departments.contains(&dep)),
            _ => false,
        }
    }
}

/// The search box's filters and the caller's visibility, answered per
/// organisation and kind where they can be (see [`Visible`]).
struct SearchFilter<'a> {
    kinds: Option<&'a [DocKind]>,
    range: &'a super::cases::Range,
    scope: Option<&'a str>,
    viewer: &'a Viewer,
}

impl Visible for SearchFilter<'_> {
    fn by_org(&self, org_path: &str, kind: DocKind, public: bool) -> Option<bool> {
        if self.kinds.is_some_and(|k| !k.contains(&kind))
            || self.scope.is_some_and(|s| !is_within(org_path, s))
        {
            return Some(false);
        }
        match self.viewer.sees_org(org_path, public) {
            Some(false) => Some(false),
            // Dates are each document's own.
            Some(true) if self.range.from.is_none() && self.range.to.is_none() => Some(true),
            _ => None,
        }
    }

    fn entry(&self, d: &Entry) -> bool {
        self.kinds.is_none_or(|k| k.contains(&d.kind))
            && self.range.from.is_none_or(|f| d.date >= f)
            && self.range.to.is_none_or(|t| d.date <= t)
            && self.scope.is_none_or(|s| is_within(&d.org_path, s))
            && self.viewer.sees(d)
    }
}

/// What a similar list may show: the caller's visibility alone (the
/// proposal under review is left out of the list afterwards).
struct SimilarFilter<'a>(&'a Viewer);

impl Visible for SimilarFilter<'_> {
    fn by_org(&self, org_path: &str, _kind: DocKind, public: bool) -> Option<bool> {
        self.0.sees_org(org_path, public)
    }

    fn entry(&self, d: &Entry) -> bool {
        self.0.sees(d)
    }
}

/// A draft to compare with the proposals on record.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct SimilarInput {
    /// The draft's title.
    pub headline: String,
    /// The draft's body.
    pub text: String,
    /// The proposal under review, left out of its own list.
    #[schema(value_type = Option<i64>)]
    pub exclude_id: Option<String>,
    /// 1–50, default 10.
    #[schema(value_type = Option<i64>)]
    pub limit: Option<String>,
}

/// A proposal like the draft, with its cosine score (0–1).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SimilarProposal {
    pub id: i64,
    pub score: f32,
    pub title: String,
    pub session: Option<i64>,
    pub number: Option<i64>,
    pub status: String,
    pub lead_member_name: Option<String>,
    pub submitted_on: Option<NaiveDate>,
}

/// The proposals (this session and earlier) most like a draft that the actor may read.
pub async fn similar(
    index: &SearchIndex,
    db: &Db,
    actor: &Actor,
    input: &SimilarInput,
) -> Result<Vec<SimilarProposal>, AppError> {
    actor.require(&[Role::Staff, Role::Member])?;
    let mut errors = FieldErrors::new();
    let title = errors
        .check(optional_text("headline", &input.headline, 200))
        .flatten();
    let body = errors
        .check(optional_text("text", &input.text, 20_000))
        .flatten();
    if title.is_none() && body.is_none() && errors.is_empty() {
        errors.push(FieldError::new("headline", "similar_needs_text"));
    }
    let exclude = errors
        .check(crate::domain::dates::parse_optional_id(
            "exclude_id",
            input.exclude_id.as_deref().unwrap_or(""),
        ))
        .flatten();
    let limit = match non_blank(&input.limit) {
        None => Some(10),
        Some(l) => errors.check(
            l.parse::<usize>()
                .ok()
                .filter(|n| (1..=50).contains(n))
                .ok_or_else(|| {
                    FieldError::new("limit", "per_page_range")
                        .with("min", 1)
                        .with("max", 50)
                }),
        ),
    };
    errors.into_result()?;
    let limit = limit.unwrap_or(10);
    index.catch_up(db).await?;
    let viewer = Viewer::of(db, actor).await?;
    let found = {
        let state = index.state.read().map_err(poisoned)?;
        state.index.similar(
            DocKind::Proposal,
            title.as_deref().unwrap_or(""),
            body.as_deref().unwrap_or(""),
            limit + 1,
            SimilarFilter(&viewer),
        )
    };
    let ids: Vec<i64> = found
        .iter()
        .map(|s| s.id)
        .filter(|id| Some(*id) != exclude)
        .collect();
    let rows = proposals::get_many(db, &ids).await?;
    Ok(found
        .into_iter()
        .filter_map(|s| {
            let p = rows.iter().find(|p| p.id == s.id)?;
            Some(SimilarProposal {
                id: p.id,
                score: (s.score * 1000.0).round() / 1000.0,
                title: p.title.clone(),
                session: p.session,
                number: p.number,
                status: p.status.as_str().to_string(),
                lead_member_name: p.lead_member_name.clone(),
                submitted_on: p.submitted_on,
            })
        })
        .take(limit)
        .collect())
}

/// What the search box sends.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SearchQuery {
    pub q: Option<String>,
    /// proposal | info | case | activity | archive
    pub kind: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// A committee in the user's subtree (staff).
    pub org: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
}

/// A piece of a highlighted text.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Piece {
    pub text: String,
    /// A matched word.
    pub hit: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    /// proposal | info | case | activity | archive (a filed document, a
    /// saved summary, an attachment by its name)
    pub kind: String,
    pub id: i64,
    pub score: f32,
    pub date: NaiveDate,
    pub title: Vec<Piece>,
    pub snippet: Vec<Piece>,
    /// Where the record's page is.
    pub url: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResults {
    pub items: Vec<SearchHit>,
    pub total: i64,
}

fn pieces(parts: Vec<(String, bool)>) -> Vec<Piece> {
    parts
        .into_iter()
        .map(|(text, hit)| Piece { text, hit })
        .collect()
}

fn url_of(kind: DocKind, id: i64) -> String {
    match kind {
        DocKind::Proposal => format!("/proposals/{id}"),
        DocKind::InfoReport => format!("/info/{id}"),
        DocKind::Case => format!("/cases/{id}"),
        DocKind::Activity => format!("/activities/{id}"),
        DocKind::ArchiveDocument => archive::document_url(id),
        DocKind::Summary => archive::entry_url(archive::ArchiveKind::Summary, id),
        DocKind::Attachment => archive::entry_url(archive::ArchiveKind::Attachment, id),
    }
}

/// Ranked, highlighted results the actor may see.
pub async fn search(
    index: &SearchIndex,
    db: &Db,
    actor: &Actor,
    q: &SearchQuery,
) -> Result<SearchResults, AppError> {
    actor.require(&[Role::Staff, Role::Member, Role::Department])?;
    let mut errors = FieldErrors::new();
    // Nothing asked: nothing found (the box is empty, not wrong); the other
    // filters are checked all the same.
    let asked = non_blank(&q.q).is_some();
    let text = if asked {
        errors.check(required_line("q", q.q.as_deref().unwrap_or(""), 100))
    } else {
        None
    };
    let kinds = match non_blank(&q.kind) {
        Some(k) => match kinds_asked(k) {
            Some(k) => Some(k),
            None => {
                errors.push(FieldError::new("kind", "invalid_choice"));
                None
            }
        },
        None => None,
    };
    let page =
        match crate::domain::paging::PageRequest::parse(q.page.as_deref(), q.per_page.as_deref()) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.0.extend(e.0);
                None
            }
        };
    if !errors.is_empty() {
        return Err(AppError::BadRequest(errors));
    }
    let range = parse_range(&q.from, &q.to)?;
    let scope = match non_blank(&q.org) {
        Some(org) => Some(
            committee(db, actor, "org", Some(org))
                .await
                .map_err(super::cases::bad_request)?
                .path,
        ),
        None => None,
    };
    if !asked {
        return Ok(SearchResults {
            items: Vec::new(),
            total: 0,
        });
    }
    let (Some(text), Some(page)) = (text, page) else {
        return Err(AppError::internal("validated query missing"));
    };
    index.catch_up(db).await?;
    let viewer = Viewer::of(db, actor).await?;
    let (hits, total) = {
        let state = index.state.read().map_err(poisoned)?;
        state.index.search(
            &text,
            SearchFilter {
                kinds,
                range: &range,
                scope: scope.as_deref(),
                viewer: &viewer,
            },
            page.offset() as usize,
            page.limit() as usize,
        )
    };
    // The texts of the hits shown, read from the database and highlighted.
    let words = query_terms(&text);
    let mut texts: HashMap<(DocKind, i64), (String, String)> = HashMap::new();
    for kind in KINDS {
        let ids: Vec<i64> = hits
            .iter()
            .filter(|h| h.kind == kind)
            .map(|h| h.id)
            .collect();
        if !ids.is_empty() {
            for d in load(db, kind, Some(&ids)).await? {
                texts.insert((kind, d.id), (d.title, d.body));
            }
        }
    }
    let items = hits
        .into_iter()
        .filter_map(|h| {
            let (title, body) = texts.get(&(h.kind, h.id))?;
            Some(SearchHit {
                kind: kind_name(h.kind).to_string(),
                id: h.id,
                score: (h.score * 1000.0).round() / 1000.0,
                date: h.date,
                url: url_of(h.kind, h.id),
                title: pieces(highlight(title, &words, usize::MAX)),
                snippet: pieces(highlight(body, &words, 120)),
            })
        })
        .collect();
    Ok(SearchResults {
        items,
        total: total as i64,
    })
}

/// `lvzhi search rebuild`: every server rebuilds its index on its next
/// replay; returns how many documents a fresh build holds now.
pub async fn request_rebuild(db: &Db) -> Result<usize, AppError> {
    let mut tx = db.begin().await?;
    store::record_change(&mut tx, REBUILD, 0).await?;
    crate::storage::audit::insert(
        &mut tx,
        &crate::storage::audit::NewAuditEntry {
            action: "search_rebuild",
            outcome: "ok",
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    // Built here, it is the snapshot the next server starts from.
    let index = Arc::new(SearchIndex::default());
    let documents = index.rebuild(db).await?;
    index.save_snapshot(db).await?;
    Ok(documents)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn kept(seen: i64, at: Option<chrono::DateTime<chrono::Utc>>) -> store::Snapshot {
        let bytes = b"LVZHIIX1 whatever".to_vec();
        store::Snapshot {
            format: SNAPSHOT_FORMAT,
            analyser: "cut-this-way".into(),
            seen,
            seen_at: at,
            documents: 0,
            digest: hex::encode(Sha256::digest(&bytes)),
            bytes,
        }
    }

    #[test]
    fn a_snapshot_is_read_only_when_it_matches_the_log() {
        let at = chrono::DateTime::from_timestamp(1_333_000_000, 123_000).unwrap();
        let other = chrono::DateTime::from_timestamp(1_333_000_001, 0).unwrap();
        let ok = kept(40, Some(at));
        assert_eq!(
            snapshot_problem(&ok, "cut-this-way", Some(at), Some(12)),
            None
        );
        // Its last change gone, or another change under its number.
        assert!(snapshot_problem(&ok, "cut-this-way", None, Some(41)).is_some());
        assert!(snapshot_problem(&ok, "cut-this-way", Some(other), Some(12)).is_some());
        // Cut another way, or laid out another way.
        assert!(snapshot_problem(&ok, "cut-another-way", Some(at), Some(12)).is_some());
        let old_format = store::Snapshot {
            format: SNAPSHOT_FORMAT + 1,
            ..ok.clone()
        };
        assert!(snapshot_problem(&old_format, "cut-this-way", Some(at), Some(12)).is_some());
        // Bytes that are not the ones digested.
        let mut damaged = ok.clone();
        damaged.bytes[3] ^= 1;
        assert!(snapshot_problem(&damaged, "cut-this-way", Some(at), Some(12)).is_some());
        // Taken before any change: good while none has been pruned since.
        let first = kept(0, None);
        assert_eq!(snapshot_problem(&first, "cut-this-way", None, None), None);
        assert_eq!(
            snapshot_problem(&first, "cut-this-way", None, Some(1)),
            None
        );
        assert!(snapshot_problem(&first, "cut-this-way", None, Some(2)).is_some());
    }
}
