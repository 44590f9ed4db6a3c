//! What waits on a member: the counts their first page lists. Staff's and
//! departments' to-dos come from the capabilities' own list filters.

use chrono::NaiveDate;

use super::Db;
use crate::on_db;

/// A member's open items, each counted from the records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberTodos {
    /// Invitations to activities not yet held that wait for their reply.
    pub invitations_to_answer: i64,
    /// Proposals of theirs still drafts.
    pub proposal_drafts: i64,
    /// Drafts they were invited to sign and have not answered.
    pub cosign_invitations: i64,
    /// Their answered proposals they have not rated in this round.
    pub answers_to_rate: i64,
    /// Cases they took up that are not resolved yet.
    pub open_cases: i64,
    /// Information reports they submitted in the period asked for (not withdrawn).
    pub info_in_period: i64,
    /// The soonest activity waiting for their reply, and their oldest open
    /// case: a to-do of one leads straight to it.
    pub first_invitation: Option<i64>,
    pub first_open_case: Option<i64>,
}

pub async fn for_member(
    db: &Db,
    member_id: i64,
    today: NaiveDate,
    period: (NaiveDate, NaiveDate),
) -> Result<MemberTodos, sqlx::Error> {
    const SQL: &str = "SELECT \
        (SELECT COUNT(*) FROM activity_invitations i JOIN activities a ON a.id = i.activity_id \
          WHERE i.member_id = $1 AND i.reply = 'pending' AND a.held_on >= $2), \
        (SELECT COUNT(*) FROM proposals WHERE lead_member_id = $1 AND status = 'draft'), \
        (SELECT COUNT(*) FROM proposal_cosigners c JOIN proposals p ON p.id = c.proposal_id \
          WHERE c.member_id = $1 AND c.status = 'invited' AND p.status = 'draft'), \
        (SELECT COUNT(*) FROM proposals p WHERE p.lead_member_id = $1 AND p.status = 'answered' \
          AND NOT EXISTS (SELECT 1 FROM proposal_ratings r WHERE r.proposal_id = p.id \
            AND r.round = p.round)), \
        (SELECT COUNT(*) FROM cases WHERE raised_by = $1 \
          AND status IN ('registered', 'forwarded', 'in_progress')), \
        (SELECT COUNT(*) FROM info_reports WHERE author_member_id = $1 \
          AND status <> 'withdrawn' AND submitted_on >= $3 AND submitted_on <= $4), \
        (SELECT a.id FROM activity_invitations i JOIN activities a ON a.id = i.activity_id \
          WHERE i.member_id = $1 AND i.reply = 'pending' AND a.held_on >= $2 \
          ORDER BY a.held_on, a.id LIMIT 1), \
        (SELECT MIN(id) FROM cases WHERE raised_by = $1 \
          AND status IN ('registered', 'forwarded', 'in_progress'))";
    type Row = (i64, i64, i64, i64, i64, i64, Option<i64>, Option<i64>);
    let row: Row = on_db!(db, pool => sqlx::query_as::<_, Row>(SQL)
        .bind(member_id)
        .bind(today)
        .bind(period.0)
        .bind(period.1)
        .fetch_one(pool)
        .await)?;
    Ok(MemberTodos {
        invitations_to_answer: row.0,
        proposal_drafts: row.1,
        cosign_invitations: row.2,
        answers_to_rate: row.3,
        open_cases: row.4,
        info_in_period: row.5,
        first_invitation: row.6,
        first_open_case: row.7,
    })
}
