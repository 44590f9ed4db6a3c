//! The `lvzhi` command.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::app::config::Settings;
use crate::app::i18n::{self, Locale};
use crate::app::App;
use crate::domain::roles::Role;
use crate::security::crypto::FieldCipher;
use crate::services::error::AppError;
use crate::services::{auth, orgs as org_service, users as user_service};
use crate::storage::{redact_url, Backend, Db};

#[derive(Parser, Debug)]
#[command(
    name = "lvzhi",
    version,
    about = "履职 — the duty-performance platform of a CPPCC committee"
)]
pub struct Cli {
    /// Database URL: sqlite://PATH (default sqlite://data/lvzhi.db) or postgres://USER@HOST/DB.
    /// Also LVZHI_DATABASE_URL.
    #[arg(long, global = true, value_name = "URL")]
    database: Option<String>,
    /// Settings file (TOML); default ./lvzhi.toml when present.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the web server (pages and the JSON API).
    Serve(ServeArgs),
    /// Load the demo committee (长江路街道政协工委) into the database, or with
    /// --scale a large generated tree for load tests.
    ///
    /// --scale district|city|province generates, from --seed, a committee tree
    /// with five years (2021–2025) of reception days, visits, cases with every
    /// step, activities with attendance, proposals and duty files: district is
    /// about 1/20 of province, city about 1/5, province over 30,000 members,
    /// 3,000 departments and millions of rows. Every generated account's
    /// password is Lvzhi-Scale-2025. Only into an empty database (a new
    /// SQLite file or a new PostgreSQL database); prints the rows per table.
    Demo(DemoArgs),
    /// Bring the database schema up to date.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage the search index.
    #[command(subcommand)]
    Search(SearchCommand),
    /// Write an encrypted backup of the database while it stays in use.
    ///
    /// SQLite: a consistent copy with VACUUM INTO; PostgreSQL: pg_dump (must be on
    /// PATH, the server's version or newer). The file is encrypted with a key derived
    /// from the data key (LVZHI_DATA_KEY or the key file): keep that key, or the
    /// backup cannot be read. Audited.
    Backup(BackupArgs),
    /// Bring back a backup made by `lvzhi backup` into the database.
    ///
    /// The backup must be of the same engine and made with the same data key.
    /// A database that already holds data is refused unless --force. Stop
    /// `lvzhi serve` first. The schema is brought up to date, the database checked
    /// and the audit chain verified. Audited. PostgreSQL: uses pg_restore, into an
    /// existing database.
    Restore(RestoreArgs),
    /// Write documents drafted from the records.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Export a list as an Excel workbook (.xlsx), with a progress bar.
    ///
    /// KIND is members, activities (with attendance), reception (days and
    /// visits), cases, proposals, info, points, plan_status, or all (one
    /// sheet per kind, for --year). The list is the committee's and the
    /// committees' below it, as its staff see it: ID and phone numbers
    /// masked. With --year: that year's records (the proposals of its
    /// session, its points and plan status). Sheet names and headers in
    /// Chinese, or English with LVZHI_LOCALE=en. Audited.
    Export(ExportArgs),
    /// Import the member roster or the departments from an .xlsx or .csv
    /// file filled in from the template (the import page gives it).
    ///
    /// Members are matched by ID number, departments by name. Every row is
    /// checked first, as the member form checks it; with one problem left
    /// nothing is imported, and each problem is printed with its row and
    /// column. Otherwise everything is imported in one transaction. Audited.
    #[command(subcommand)]
    Import(ImportCommand),
}

#[derive(Args, Debug)]
struct ExportArgs {
    /// members | activities | reception | cases | proposals | info | points | plan_status | all
    kind: String,
    /// The committee: its id or exact name.
    #[arg(long)]
    org: String,
    /// The year, e.g. 2011 (all: default this year).
    #[arg(long)]
    year: Option<i32>,
    /// The .xlsx file to write (replaced if it exists).
    #[arg(long, value_name = "FILE")]
    output: PathBuf,
}

#[derive(Subcommand, Debug)]
enum ImportCommand {
    /// The member roster (委员名册).
    Members(ImportArgs),
    /// The departments (承办单位).
    Departments(ImportArgs),
}

#[derive(Args, Debug)]
struct ImportArgs {
    /// The committee to import into: its id or exact name.
    #[arg(long)]
    org: String,
    /// The .xlsx or .csv file.
    #[arg(long, value_name = "FILE")]
    file: PathBuf,
    /// Only check and show what would change; write nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Subcommand, Debug)]
enum ReportCommand {
    /// Draft a committee's work summary (工作总结) for a period from its
    /// records and write it as a file: Word laid out as an official document
    /// (GB/T 9704), Markdown or HTML. Audited.
    Summary(SummaryArgs),
    /// Write a committee's work plan (工作计划) for a year: its items, and
    /// how each rule stands at the year's end (or today). Audited.
    Plan(PlanArgs),
}

#[derive(Args, Debug)]
struct PlanArgs {
    /// The committee: its id or exact name.
    #[arg(long)]
    org: String,
    /// The plan's year, e.g. 2012.
    #[arg(long)]
    year: i32,
    /// docx | md | html
    #[arg(long, default_value = "docx")]
    format: String,
    /// The file to write (replaced if it exists).
    #[arg(long, value_name = "FILE")]
    output: PathBuf,
}

#[derive(Args, Debug)]
struct SummaryArgs {
    /// The committee: its id or exact name.
    #[arg(long)]
    org: String,
    /// 2011 (a year), 2011-H1 / 2011-H2 (a half-year), 2011-Q3 or 2011-05;
    /// or give --from and --to. Default: the half-year of the committee's
    /// latest record.
    #[arg(long)]
    period: Option<String>,
    /// First day, YYYY-MM-DD (with --to).
    #[arg(long)]
    from: Option<String>,
    /// Last day, YYYY-MM-DD (with --from).
    #[arg(long)]
    to: Option<String>,
    /// docx | md | html
    #[arg(long, default_value = "docx")]
    format: String,
    /// The file to write (replaced if it exists).
    #[arg(long, value_name = "FILE")]
    output: PathBuf,
}

#[derive(Args, Debug)]
struct DemoArgs {
    /// Generate a large tree instead of the demo committee: district | city | province.
    #[arg(long, value_name = "SCALE", value_parser = parse_scale)]
    scale: Option<crate::demo::scale::Scale>,
    /// The seed of the generated data: the same seed gives the same data.
    #[arg(long, default_value_t = crate::demo::scale::DEFAULT_SEED, requires = "scale")]
    seed: u64,
}

fn parse_scale(s: &str) -> Result<crate::demo::scale::Scale, String> {
    crate::demo::scale::Scale::parse(s)
        .ok_or_else(|| format!("unknown scale '{s}': use district, city or province"))
}

#[derive(Args, Debug)]
struct BackupArgs {
    /// The backup file to write (replaced atomically if it exists).
    #[arg(long, value_name = "FILE")]
    output: PathBuf,
}

#[derive(Args, Debug)]
struct RestoreArgs {
    /// The backup file to read.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// Replace a database that already holds data.
    #[arg(long)]
    force: bool,
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Recompute the audit log's hash chain; exits 1 and names the first row
    /// that was changed or whose predecessor was removed.
    ///
    /// Prints the chain's head (COUNT:HASH: the row count and the newest
    /// row's hash): keep it, and give it back later with --expect-head. The
    /// chain is compared with every earlier head given, and with the heads
    /// recorded in the backups in --backups (default: the backup_dir
    /// setting); exits 1 when it went backwards (rows removed from its tail,
    /// which the chain alone cannot show) or holds another row at an earlier
    /// head's position. Messages in Chinese, or in English with LVZHI_LOCALE=en.
    Verify(VerifyArgs),
}

#[derive(Args, Debug)]
struct VerifyArgs {
    /// A head printed by an earlier verify, a backup or the server's log:
    /// COUNT:HASH (may be repeated).
    #[arg(long = "expect-head", value_name = "COUNT:HASH", value_parser = parse_head)]
    expect_head: Vec<crate::domain::audit_head::ChainHead>,
    /// A folder of backups (lvzhi backup, scheduled backups) whose recorded
    /// heads are compared too; default: the backup_dir setting.
    #[arg(long, value_name = "DIR")]
    backups: Option<PathBuf>,
}

fn parse_head(s: &str) -> Result<crate::domain::audit_head::ChainHead, String> {
    crate::domain::audit_head::ChainHead::parse(s)
        .ok_or_else(|| format!("'{s}' is not COUNT:HASH (a row count, a colon, 64 hex digits)"))
}

/// The language of the operator's messages: Chinese, or English when
/// `LVZHI_LOCALE` says `en`.
fn operator_locale() -> Locale {
    match std::env::var("LVZHI_LOCALE") {
        Ok(v) if v.trim().to_ascii_lowercase().starts_with("en") => Locale::En,
        _ => Locale::ZhCn,
    }
}

#[derive(Subcommand, Debug)]
enum SearchCommand {
    /// Rebuild the search index from the database: every running server
    /// starts afresh on its next refresh (within `search_refresh_seconds`),
    /// and the next to start reads the fresh index's snapshot, written here.
    /// Prints how many documents the index holds. Audited.
    Rebuild,
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on (also LVZHI_LISTEN); port 0 picks a free port.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Load the demo committee first and print one login per role; staff,
    /// like the administrators, then sign in with a one-time code too
    /// (unless totp_required_roles is set).
    #[arg(long)]
    demo: bool,
}

#[derive(Args, Debug)]
struct AddUserArgs {
    #[arg(long)]
    username: String,
    /// At least 12 characters from three of: lower case, upper case, digits, others.
    #[arg(long)]
    password: String,
    /// admin | security | auditor | staff | member | department
    #[arg(long)]
    role: String,
    /// Organisation id or exact name (the account's scope); default: the top organisation.
    #[arg(long)]
    org: Option<String>,
    /// Name shown in the interface; default: the user name.
    #[arg(long)]
    display_name: Option<String>,
    /// For the member role: the member's id.
    #[arg(long)]
    member: Option<i64>,
    /// For the department role: the department's id.
    #[arg(long)]
    department: Option<i64>,
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create an account with a role (the operator's bootstrap path; audited).
    Add(AddUserArgs),
    /// Give an account a new random password, printed once, that must be
    /// changed at the next sign-in; ends its sessions and API tokens. Works on
    /// every account, the administrator trio's too (audited as the operator's).
    ResetPassword {
        #[arg(long)]
        username: String,
    },
    /// Disable an account: it cannot sign in, its sessions end and its API
    /// tokens are revoked at once (audited).
    Disable {
        #[arg(long)]
        username: String,
    },
    /// Re-enable a disabled account (audited).
    Enable {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Print a new API token for a user (shown once; use as `Authorization: Bearer TOKEN`).
    Create {
        #[arg(long)]
        username: String,
        /// A label to recognise the token by.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("lvzhi: settings: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(url) = &cli.database {
        settings.database_url = url.clone();
    }
    if let Err(message) = settings.validate() {
        eprintln!("lvzhi: settings: {message}");
        return ExitCode::from(2);
    }
    init_tracing(&settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("lvzhi: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lvzhi: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(settings: &Settings) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("LVZHI_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if settings.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// An operation's error as one line for the terminal.
fn describe(error: AppError) -> String {
    error.message(Locale::ZhCn)
        + &match error {
            AppError::Internal(detail) => format!(" ({detail})"),
            _ => String::new(),
        }
}

async fn open(settings: &Settings) -> Result<Db, String> {
    let db = Db::connect(&settings.database_url)
        .await
        .map_err(|e| format!("database {}: {e}", redact_url(&settings.database_url)))?;
    db.migrate().await.map_err(|e| format!("migration: {e}"))?;
    for warning in db.durability_warnings().await.map_err(|e| e.to_string())? {
        tracing::warn!("{warning}");
    }
    Ok(db)
}

fn cipher(settings: &Settings) -> Result<FieldCipher, String> {
    FieldCipher::load(settings.data_key.as_deref(), &settings.data_key_file)
        .map_err(|e| e.to_string())
}

async fn run(command: Command, settings: Settings) -> Result<(), String> {
    let serving = matches!(command, Command::Serve(_));
    let outcome = run_command(command, settings.clone()).await;
    if !serving && outcome.is_ok() {
        link_audit_rows(&settings).await;
    }
    outcome
}

/// On PostgreSQL, the audit rows a command wrote are linked into the chain
/// before it exits, as a server links them twice a second (see
/// `storage::audit`), so that no process leaves rows unlinked behind it.
async fn link_audit_rows(settings: &Settings) {
    if Backend::from_url(&settings.database_url).ok() != Some(Backend::Postgres) {
        return;
    }
    let Ok(db) = Db::connect(&settings.database_url).await else {
        return; // the command has said why the database cannot be reached
    };
    if let Err(e) = crate::storage::audit::chain_pending(&db).await {
        tracing::warn!(error = %e, "audit rows left for the next server to link");
    }
}

async fn run_command(command: Command, settings: Settings) -> Result<(), String> {
    match command {
        Command::Migrate => {
            open(&settings).await?;
            println!("{}", i18n::t(Locale::ZhCn, "cli.migrated"));
            Ok(())
        }
        Command::Demo(args) => demo(&settings, args).await,
        Command::User(UserCommand::Add(args)) => add_user(&settings, args).await,
        Command::User(UserCommand::ResetPassword { username }) => {
            account_action(
                &settings,
                &username,
                user_service::AccountAction::ResetPassword,
            )
            .await
        }
        Command::User(UserCommand::Disable { username }) => {
            account_action(&settings, &username, user_service::AccountAction::Disable).await
        }
        Command::User(UserCommand::Enable { username }) => {
            account_action(&settings, &username, user_service::AccountAction::Enable).await
        }
        Command::Token(TokenCommand::Create { username, name }) => {
            let db = open(&settings).await?;
            let token = auth::create_token(&db, &username, &name)
                .await
                .map_err(describe)?;
            println!("{token}");
            Ok(())
        }
        Command::Search(SearchCommand::Rebuild) => {
            let db = open(&settings).await?;
            let documents = crate::services::search::request_rebuild(&db)
                .await
                .map_err(describe)?;
            println!(
                "{}",
                i18n::t_with(
                    Locale::ZhCn,
                    "cli.search_rebuilt",
                    &[("documents", documents.to_string())]
                )
            );
            Ok(())
        }
        Command::Audit(AuditCommand::Verify(args)) => verify_audit(&settings, args).await,
        Command::Backup(args) => backup(&settings, args).await,
        Command::Restore(args) => restore(&settings, args).await,
        Command::Serve(args) => serve(settings, args).await,
        Command::Report(ReportCommand::Summary(args)) => report_summary(&settings, args).await,
        Command::Report(ReportCommand::Plan(args)) => report_plan(&settings, args).await,
        Command::Export(args) => export(&settings, args).await,
        Command::Import(ImportCommand::Members(args)) => {
            import(
                &settings,
                crate::services::imports::ImportKind::Members,
                args,
            )
            .await
        }
        Command::Import(ImportCommand::Departments(args)) => {
            import(
                &settings,
                crate::services::imports::ImportKind::Departments,
                args,
            )
            .await
        }
    }
}

/// `lvzhi export`: a list, or all of them, as a workbook, with a progress
/// bar while the rows are written (a spinner while they are read).
async fn export(settings: &Settings, args: ExportArgs) -> Result<(), String> {
    use crate::domain::audit::AuditVia;
    use crate::services::exports::{self as service, ExportKind};
    use indicatif::{ProgressBar, ProgressStyle};
    let locale = operator_locale();
    let kind = match args.kind.trim() {
        "all" => None,
        k => Some(ExportKind::parse(k).ok_or_else(|| {
            let kinds: Vec<&str> = ExportKind::ALL.iter().map(|k| k.as_str()).collect();
            i18n::t_with(
                locale,
                "exports.cli_unknown_kind",
                &[
                    ("kind", k.to_string()),
                    ("kinds", kinds.join(", ") + ", all"),
                ],
            )
        })?),
    };
    let bar = ProgressBar::new_spinner().with_message(i18n::t(locale, "exports.cli_reading"));
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let style = ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} {eta}")
        .map_err(|e| e.to_string())?;
    let writing = bar.clone();
    let mut progress = move |done: usize, total: usize| {
        if writing.length() != Some(total as u64) {
            writing.set_style(style.clone());
            writing.set_length(total as u64);
        }
        writing.set_position(done as u64);
    };
    let db = open(settings).await?;
    let result = async {
        let org = org_service::resolve(&db, &args.org).await?;
        let operator = service::operator(&org, locale);
        match kind {
            Some(kind) => {
                let query = service::cli_query(kind, &org, args.year);
                service::list(&db, &operator, AuditVia::Cli, query, "", &mut progress).await
            }
            None => {
                let q = service::AllQuery {
                    org: Some(org.id.to_string()),
                    year: args.year.map(|y| y.to_string()),
                };
                service::all(&db, &operator, AuditVia::Cli, &q, &mut progress).await
            }
        }
    }
    .await;
    db.close().await;
    bar.finish_and_clear();
    let book = result.map_err(describe)?;
    std::fs::write(&args.output, &book.bytes)
        .map_err(|e| format!("{}: {e}", args.output.display()))?;
    println!(
        "{}",
        i18n::t_with(
            locale,
            "exports.cli_done",
            &[
                ("rows", book.rows.to_string()),
                ("file", args.output.display().to_string()),
            ],
        )
    );
    Ok(())
}

/// `lvzhi import members|departments`: checked whole (a bar shows how far),
/// every problem printed by row and column; imported only without one.
async fn import(
    settings: &Settings,
    kind: crate::services::imports::ImportKind,
    args: ImportArgs,
) -> Result<(), String> {
    use crate::services::imports::{self as service, ImportFile, Importer, Mode, Stage};
    let size = std::fs::metadata(&args.file)
        .map_err(|e| format!("{}: {e}", args.file.display()))?
        .len();
    if size > service::MAX_BYTES {
        return Err(describe(service::too_large()));
    }
    let bytes = std::fs::read(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let db = open(settings).await?;
    let cipher = cipher(settings)?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len}")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );
    let progress = |stage: Stage, done: usize, total: usize| {
        let key = match stage {
            Stage::Check => "import.cli.checked",
            Stage::Write => "import.cli.written",
        };
        bar.set_message(i18n::t(Locale::ZhCn, key));
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let result = async {
        let org = org_service::resolve(&db, &args.org).await?;
        let actor = service::cli_actor(&org);
        let who = Importer {
            actor: &actor,
            via: crate::domain::audit::AuditVia::Cli,
        };
        let file = || ImportFile {
            name: &name,
            bytes: &bytes,
        };
        let preview = Mode {
            dry_run: true,
            expect: None,
        };
        let report = service::run(
            &db,
            &cipher,
            &who,
            kind,
            Some(org.id),
            file(),
            &preview,
            &progress,
        )
        .await?;
        if args.dry_run || !report.problems.is_empty() {
            return Ok(report);
        }
        let mode = Mode {
            dry_run: false,
            expect: Some(report.preview.clone()),
        };
        service::run(
            &db,
            &cipher,
            &who,
            kind,
            Some(org.id),
            file(),
            &mode,
            &progress,
        )
        .await
    }
    .await;
    bar.finish_and_clear();
    db.close().await;
    let report = result.map_err(|e| match e {
        AppError::Validation(errors) => i18n::field_messages(Locale::ZhCn, &errors).join("\n"),
        e => describe(e),
    })?;
    let zh = Locale::ZhCn;
    let n = |v: usize| v.to_string();
    println!(
        "{}",
        i18n::t_with(
            zh,
            "import.summary",
            &[
                ("rows", n(report.rows_read)),
                ("created", n(report.created)),
                ("updated", n(report.updated)),
                ("unchanged", n(report.unchanged)),
                ("skipped", n(report.skipped)),
                ("invalid", n(report.invalid)),
            ],
        )
    );
    for p in &report.problems {
        println!("{}", p.message);
    }
    if !report.problems.is_empty() {
        return Err(i18n::t_with(
            zh,
            "import.cli.refused",
            &[("count", n(report.problems.len()))],
        ));
    }
    if !report.imported {
        for r in report.rows.iter().filter(|r| !r.changes.is_empty()) {
            let changes: Vec<String> = r
                .changes
                .iter()
                .map(|c| {
                    i18n::t_with(
                        zh,
                        "import.change",
                        &[
                            ("column", c.column.clone()),
                            ("before", c.before.clone()),
                            ("after", c.after.clone()),
                        ],
                    )
                })
                .collect();
            println!("{} {}：{}", r.row, r.name, changes.join("；"));
        }
        println!("{}", i18n::t(zh, "import.cli.dry_run"));
    } else {
        println!(
            "{}",
            i18n::t_with(
                zh,
                "import.done",
                &[
                    ("org", report.org_name.clone()),
                    ("created", n(report.created)),
                    ("updated", n(report.updated)),
                    ("unchanged", n(report.unchanged)),
                ],
            )
        );
    }
    Ok(())
}

/// `lvzhi report summary`: the summary drafted now and written to a file.
async fn report_summary(settings: &Settings, args: SummaryArgs) -> Result<(), String> {
    use crate::services::reports as report_service;
    let format = report_service::FileFormat::parse("format", &args.format)
        .map_err(|e| i18n::field_message(Locale::ZhCn, &e))?;
    let query = report_service::SummaryQuery {
        org: None,
        period: args.period,
        from: args.from,
        to: args.to,
    };
    report_service::parse_period(&query).map_err(describe)?;
    let db = open(settings).await?;
    let result = async {
        let org = org_service::resolve(&db, &args.org).await?;
        let period = report_service::period_for(&db, &org, &query).await?;
        report_service::export(&db, report_service::Requester::Cli, &org, period, format).await
    }
    .await;
    db.close().await;
    let file = result.map_err(describe)?;
    write_report(&args.output, &file.bytes)
}

/// `lvzhi report plan`: the year's plan and where its rules stand, to a file.
async fn report_plan(settings: &Settings, args: PlanArgs) -> Result<(), String> {
    use crate::services::reports as report_service;
    let format = report_service::FileFormat::parse("format", &args.format)
        .map_err(|e| i18n::field_message(Locale::ZhCn, &e))?;
    let db = open(settings).await?;
    let result = async {
        let org = org_service::resolve(&db, &args.org).await?;
        report_service::plan_file(&db, report_service::Requester::Cli, &org, args.year, format)
            .await
    }
    .await;
    db.close().await;
    let file = result.map_err(describe)?;
    write_report(&args.output, &file.bytes)
}

/// Write a drafted document and say where.
fn write_report(output: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(output, bytes).map_err(|e| format!("{}: {e}", output.display()))?;
    println!(
        "{}",
        i18n::t_with(
            Locale::ZhCn,
            "cli.report_written",
            &[
                ("file", output.display().to_string()),
                ("bytes", bytes.len().to_string()),
            ],
        )
    );
    Ok(())
}

/// `lvzhi demo`: the demo committee, or generated data at a scale.
async fn demo(settings: &Settings, args: DemoArgs) -> Result<(), String> {
    let db = open(settings).await?;
    if let Some(scale) = args.scale {
        let result = crate::demo::scale::load(&db, &cipher(settings)?, scale, args.seed).await;
        db.close().await;
        print_scale_report(&result.map_err(|e| e.to_string())?);
    } else {
        let logins = crate::demo::load(&db, &cipher(settings)?)
            .await
            .map_err(describe)?;
        print_logins(&logins);
    }
    Ok(())
}

/// `lvzhi user add`: an account with a role, in the given organisation or the top one.
async fn add_user(settings: &Settings, args: AddUserArgs) -> Result<(), String> {
    let AddUserArgs {
        username,
        password,
        role,
        org,
        display_name,
        member,
        department,
    } = args;
    let db = open(settings).await?;
    let role = Role::parse("role", &role).map_err(|e| i18n::field_message(Locale::ZhCn, &e))?;
    let org = match org {
        Some(org) => org_service::resolve(&db, &org).await.map_err(describe)?,
        None => {
            let all = crate::storage::orgs::list_orgs(&db, "/", None)
                .await
                .map_err(|e| e.to_string())?;
            match all.into_iter().find(|o| o.parent_id.is_none()) {
                Some(root) => root,
                None => return Err(i18n::t(Locale::ZhCn, "cli.no_org")),
            }
        }
    };
    let input = user_service::UserInput {
        display_name: display_name.unwrap_or_else(|| username.clone()),
        username,
        org_id: Some(org.id.to_string()),
        member_id: member.map(|v| v.to_string()),
        department_id: department.map(|v| v.to_string()),
        password: Some(password),
    };
    let (user, _) = user_service::create_with_policy(
        &db,
        &settings.policies().password,
        user_service::Creator::Cli,
        &input,
        Some(role),
    )
    .await
    .map_err(describe)?;
    println!(
        "{} {} ({}, {})",
        i18n::t(Locale::ZhCn, "user.created"),
        user.username,
        role.as_str(),
        org.name
    );
    Ok(())
}

/// `lvzhi audit verify`: the hash chain is intact, the retention it proves,
/// its head now, and that no earlier head is lost.
async fn verify_audit(settings: &Settings, args: VerifyArgs) -> Result<(), String> {
    use crate::domain::audit_head::{compare, Against};
    let locale = operator_locale();
    let db = open(settings).await?;
    // `verify` links what waits first; say so, since rows left waiting
    // mean no server has been linking them.
    let waiting = crate::services::audit::waiting(&db)
        .await
        .map_err(describe)?;
    if waiting.rows > 0 {
        println!("{}", waiting.in_words(locale, "cli.audit_waiting"));
    }
    match crate::storage::audit::verify(&db)
        .await
        .map_err(|e| e.to_string())?
    {
        crate::storage::audit::ChainCheck::Intact { rows } => {
            println!(
                "{}",
                i18n::t_with(locale, "cli.audit_intact", &[("rows", rows.to_string())])
            );
            // Retention, checked: the chain starts at its genesis link,
            // so the oldest row is the first ever written.
            let retention = crate::services::audit::retention(&db, settings.audit_retention_days)
                .await
                .map_err(describe)?;
            println!("{}", retention.describe(locale));
        }
        crate::storage::audit::ChainCheck::Broken { id, reason } => {
            let reason = i18n::t(locale, &format!("cli.audit_reason.{reason}"));
            return Err(i18n::t_with(
                locale,
                "cli.audit_broken",
                &[("id", id.to_string()), ("reason", reason)],
            ));
        }
    }
    let head = crate::storage::audit::head(&db)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "{}",
        i18n::t_with(locale, "cli.audit_head", &[("head", head.to_string())])
    );

    // The heads written down before: given, and recorded in the backups.
    let mut earlier: Vec<(String, crate::domain::audit_head::ChainHead)> = args
        .expect_head
        .into_iter()
        .map(|h| (i18n::t(locale, "cli.audit_head_given"), h))
        .collect();
    if let Some(dir) = args.backups.or_else(|| settings.backup_dir.clone()) {
        let cipher = cipher(settings)?;
        for file in crate::ops::backup::backup_files(&dir).map_err(|e| e.message(locale))? {
            let name = file.display().to_string();
            match crate::ops::backup::recorded_head(&cipher, &file).await {
                Ok(Some(h)) => earlier.push((
                    i18n::t_with(locale, "cli.audit_head_backup", &[("file", name)]),
                    h,
                )),
                Ok(None) => {}
                Err(e) => eprintln!(
                    "{}",
                    i18n::t_with(
                        locale,
                        "cli.audit_head_unreadable",
                        &[("file", name), ("detail", e.message(locale))]
                    )
                ),
            }
        }
    }
    let mut problems = Vec::new();
    for (source, h) in &earlier {
        let at = if h.rows > 0 && h.rows <= head.rows {
            crate::storage::audit::hash_at(&db, h.rows)
                .await
                .map_err(|e| e.to_string())?
        } else {
            None
        };
        let params = |extra: (&'static str, String)| {
            vec![
                ("source", source.clone()),
                ("earlier", h.to_string()),
                ("rows", h.rows.to_string()),
                extra,
            ]
        };
        match compare(h, head.rows, at.as_deref()) {
            Against::Kept => {}
            Against::Backwards { rows_now } => problems.push(i18n::t_with(
                locale,
                "cli.audit_backwards",
                &params(("rows_now", rows_now.to_string())),
            )),
            Against::Diverged { hash_now } => problems.push(i18n::t_with(
                locale,
                "cli.audit_diverged",
                &params(("hash_now", hash_now)),
            )),
        }
    }
    db.close().await;
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    if !earlier.is_empty() {
        println!(
            "{}",
            i18n::t_with(
                locale,
                "cli.audit_heads_kept",
                &[("count", earlier.len().to_string())]
            )
        );
    }
    Ok(())
}

/// `lvzhi user reset-password|disable|enable --username U`: the operator's
/// path, for every account (the administrator trio's too), audited as `(cli)`.
async fn account_action(
    settings: &Settings,
    username: &str,
    action: user_service::AccountAction,
) -> Result<(), String> {
    let db = open(settings).await?;
    let user = crate::storage::users::find_by_username(&db, username)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| {
            i18n::t_with(
                Locale::ZhCn,
                "account.cli_unknown_user",
                &[("username", username.to_string())],
            )
        })?;
    let change = user_service::account_action(
        &db,
        user_service::Creator::Cli,
        user.id,
        action,
        &Default::default(),
    )
    .await
    .map_err(describe)?;
    db.close().await;
    let username = ("username", change.user.username.clone());
    let line = match (action, change.password) {
        (user_service::AccountAction::ResetPassword, Some(password)) => i18n::t_with(
            Locale::ZhCn,
            "account.reset_done",
            &[username, ("password", password)],
        ),
        (user_service::AccountAction::Disable, _) => {
            i18n::t_with(Locale::ZhCn, "account.disabled_done", &[username])
        }
        _ => i18n::t_with(Locale::ZhCn, "account.enabled_done", &[username]),
    };
    println!("{line}");
    Ok(())
}

async fn backup(settings: &Settings, args: BackupArgs) -> Result<(), String> {
    let db = open(settings).await?;
    let cipher = cipher(settings)?;
    let result =
        crate::ops::backup::backup(&db, &settings.database_url, &cipher, &args.output).await;
    let outcome = match result {
        Ok(report) => {
            let engine = crate::ops::backup::engine_name(report.engine);
            let mut entry = user_service::cli_audit(
                "backup",
                "database",
                0,
                format!(
                    "file={}; engine={engine}; bytes={}; audit_head={}",
                    args.output.display(),
                    report.bytes,
                    report.head
                ),
            );
            entry.object_id = None;
            crate::storage::audit::insert_alone(&db, &entry)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{}",
                i18n::t_with(
                    Locale::ZhCn,
                    "backup.done",
                    &[
                        ("file", args.output.display().to_string()),
                        (
                            "engine",
                            crate::ops::backup::engine_label(report.engine).into()
                        ),
                        ("bytes", report.bytes.to_string()),
                    ],
                )
            );
            println!(
                "{}",
                i18n::t_with(
                    Locale::ZhCn,
                    "backup.head",
                    &[("head", report.head.to_string())]
                )
            );
            Ok(())
        }
        Err(e) => Err(e.message(Locale::ZhCn)),
    };
    db.close().await;
    outcome
}

async fn restore(settings: &Settings, args: RestoreArgs) -> Result<(), String> {
    let cipher = cipher(settings)?;
    // The target is not opened before: restore replaces a SQLite file whole.
    let report =
        crate::ops::backup::restore(&settings.database_url, &cipher, &args.input, args.force)
            .await
            .map_err(|e| e.message(Locale::ZhCn))?;
    let db = open(settings).await?;
    let engine = crate::ops::backup::engine_name(report.engine);
    let mut entry = user_service::cli_audit(
        "restore",
        "database",
        0,
        format!(
            "file={}; engine={engine}; force={}",
            args.input.display(),
            args.force
        ),
    );
    entry.object_id = None;
    let written = crate::storage::audit::insert_alone(&db, &entry)
        .await
        .map_err(|e| e.to_string());
    db.close().await;
    written?;
    match report.audit {
        crate::storage::audit::ChainCheck::Intact { rows } => {
            println!(
                "{}",
                i18n::t_with(
                    Locale::ZhCn,
                    "backup.restored",
                    &[
                        ("file", args.input.display().to_string()),
                        ("target", redact_url(&settings.database_url)),
                        (
                            "engine",
                            crate::ops::backup::engine_label(report.engine).into()
                        ),
                        ("tables", report.tables.to_string()),
                        ("rows", rows.to_string()),
                    ],
                )
            );
            Ok(())
        }
        crate::storage::audit::ChainCheck::Broken { id, .. } => Err(i18n::t_with(
            Locale::ZhCn,
            "backup.restored_chain_broken",
            &[("id", id.to_string())],
        )),
    }
}

fn print_scale_report(report: &crate::demo::scale::Report) {
    println!(
        "{}",
        i18n::t_with(
            Locale::ZhCn,
            "cli.scale_loaded",
            &[
                ("scale", report.scale.as_str().to_string()),
                ("seed", report.seed.to_string()),
                ("rows", report.total().to_string()),
                ("seconds", format!("{:.1}", report.elapsed.as_secs_f64())),
            ],
        )
    );
    let mut seen = Vec::new();
    for (table, _) in &report.tables {
        if !seen.contains(table) {
            seen.push(table);
            println!("  {table:<22} {:>10}", report.rows(table));
        }
    }
    println!("{}", i18n::t(Locale::ZhCn, "cli.demo_logins"));
    for (role, username, org) in &report.logins {
        println!(
            "  {role:<11} {username:<24} {} {org}",
            crate::demo::scale::PASSWORD
        );
    }
}

fn print_logins(logins: &crate::demo::DemoLogins) {
    println!("{}", i18n::t(Locale::ZhCn, "cli.demo_logins"));
    for (role, username) in &logins.users {
        let label = Role::parse("role", role)
            .map(|r| i18n::t(Locale::ZhCn, r.label_key()))
            .unwrap_or_else(|_| role.clone());
        println!("  {label:<12} {username:<12} {}", logins.password);
    }
}

async fn serve(mut settings: Settings, args: ServeArgs) -> Result<(), String> {
    if let Some(listen) = args.listen {
        settings.listen = listen;
    }
    let db = open(&settings).await?;
    let cipher = cipher(&settings)?;
    if args.demo {
        let logins = crate::demo::load(&db, &cipher).await.map_err(describe)?;
        print_logins(&logins);
        settings = settings.with_demo_totp();
        let roles: Vec<String> = settings
            .policies()
            .totp_required
            .iter()
            .map(|r| i18n::t(Locale::ZhCn, r.label_key()))
            .collect();
        if !roles.is_empty() {
            println!(
                "{}",
                i18n::t_with(
                    Locale::ZhCn,
                    "cli.demo_totp",
                    &[("roles", roles.join("、"))]
                )
            );
        }
    } else if let Some((username, password)) =
        user_service::bootstrap_admin(&db).await.map_err(describe)?
    {
        // Shown once: the first administrator of an empty installation.
        println!("{}", i18n::t(Locale::ZhCn, "cli.first_admin"));
        println!("  {username} / {password}");
    }
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .map_err(|e| format!("listen {}: {e}", settings.listen))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    // Reached from other machines, the session cookie must only travel over
    // TLS: say so when the settings do not.
    if !address.ip().is_loopback() && !settings.secure_cookies {
        let warning = i18n::t_with(
            Locale::ZhCn,
            "cli.insecure_listen",
            &[("address", address.to_string())],
        );
        eprintln!("{warning}");
        tracing::warn!(%address, "serving beyond this machine without secure_cookies");
    }
    println!("lvzhi: http://{address}/");
    // Pages and the API answer at once; search says it is warming up until
    // its index is built in the background.
    let search = Arc::new(crate::services::search::SearchIndex::default());
    Arc::clone(&search).spawn_warm_up(
        db.clone(),
        std::time::Duration::from_secs(settings.search_refresh_seconds.max(1)),
    );
    let state = App::new(db.clone(), cipher, settings).with_search(Arc::clone(&search));
    crate::services::notifications::spawn_worker(db.clone(), Arc::clone(&state.settings));
    let result = crate::http::serve(state, listener)
        .await
        .map_err(|e| e.to_string());
    // Stopped: the index as it is now is where the next start begins.
    search.save_snapshot_logged(&db).await;
    db.close().await;
    result
}
