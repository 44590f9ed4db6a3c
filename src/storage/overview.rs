//! The figures of the first pages that no list filter gives: the records of
//! a scope counted per month, in one query.

use chrono::NaiveDate;
use sqlx::FromRow;

use super::Db;
use crate::on_db;

/// How many records fell in a month (1–12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct MonthCount {
    pub month: i64,
    pub n: i64,
}

/// The records of the committees within `scope_path` dated `from..=to`,
/// counted per month: approved activities by the day held, proposals and
/// information reports by the day submitted (not drafts, not withdrawn),
/// citizens' cases by the day received. Months without any are left out.
pub async fn records_per_month(
    db: &Db,
    scope_path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<MonthCount>, sqlx::Error> {
    // Dates are ISO text on SQLite, dates on PostgreSQL.
    let month = |column: &str| match db {
        Db::Sqlite(_) => format!("CAST(substr({column}, 6, 2) AS INTEGER)"),
        Db::Postgres(_) => format!("CAST(EXTRACT(MONTH FROM {column}) AS BIGINT)"),
    };
    let scope = super::scope_ids(db, "$1");
    let sql = format!(
        "SELECT m AS month, COUNT(*) AS n FROM ( \
         SELECT {a} AS m FROM activities a WHERE a.org_id IN {scope} AND a.approval = 'approved' \
         AND a.held_on BETWEEN $2 AND $3 \
         UNION ALL SELECT {p} FROM proposals p WHERE p.org_id IN {scope} \
         AND p.status NOT IN ('draft', 'withdrawn') AND p.submitted_on BETWEEN $2 AND $3 \
         UNION ALL SELECT {r} FROM info_reports r WHERE r.org_id IN {scope} \
         AND r.status <> 'withdrawn' AND r.submitted_on BETWEEN $2 AND $3 \
         UNION ALL SELECT {c} FROM cases c WHERE c.org_id IN {scope} \
         AND c.received_on BETWEEN $2 AND $3 \
         ) x GROUP BY m ORDER BY m",
        a = month("a.held_on"),
        p = month("p.submitted_on"),
        r = month("r.submitted_on"),
        c = month("c.received_on"),
    );
    on_db!(db, pool => sqlx::query_as::<_, MonthCount>(&sql)
        .bind(scope_path).bind(from).bind(to).fetch_all(pool).await)
}
