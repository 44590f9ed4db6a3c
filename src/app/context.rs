//! The application context, built once at start.

use std::sync::Arc;

use super::config::{Policies, Settings};
use crate::security::crypto::FieldCipher;
use crate::services::cases::FiguresCache;
use crate::services::exports::Workbook;
use crate::services::imports::ImportJobs;
use crate::services::jobs::Jobs;
use crate::services::search::SearchIndex;
use crate::storage::Db;

/// Everything a request or a command can reach, built once at start: the
/// settings and the rules derived from them are not re-derived per request.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub cipher: Arc<FieldCipher>,
    pub settings: Arc<Settings>,
    /// The security rules the settings describe.
    pub policies: Arc<Policies>,
    /// The search index, shared by this server's requests.
    pub search: Arc<SearchIndex>,
    /// Case figures counted at the current data version.
    pub case_figures: Arc<FiguresCache>,
    /// Imports the page left running in the background.
    pub imports: Arc<ImportJobs>,
    /// Exports the page left running in the background.
    pub exports: Arc<Jobs<Workbook>>,
}

impl App {
    /// The context for `settings`, with an empty search index (see [`App::with_search`]).
    pub fn new(db: Db, cipher: FieldCipher, settings: Settings) -> Self {
        // `Settings::validate` refused an unknown zone at start.
        if let Ok(zone) = settings.zone() {
            super::clock::set_zone(zone);
        }
        Self {
            db,
            cipher: Arc::new(cipher),
            policies: Arc::new(settings.policies()),
            settings: Arc::new(settings),
            search: Default::default(),
            case_figures: Default::default(),
            imports: Default::default(),
            exports: Default::default(),
        }
    }

    /// The same context over an index that is already built (and refreshed).
    pub fn with_search(self, search: Arc<SearchIndex>) -> Self {
        Self { search, ..self }
    }

    /// The security rules (a shared handle: nothing is re-derived).
    pub fn policies(&self) -> Arc<Policies> {
        Arc::clone(&self.policies)
    }
}
