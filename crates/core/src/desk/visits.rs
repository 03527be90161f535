//! Visits: the day's list, and confirming, completing, cancelling and scheduling them.

use crate::ipc::{Code, CommandError};
use crate::outbox::visit_create::{self, parse_time, ScheduleVisit};
use crate::outbox::{self, VisitCreate, VisitUpdate};
use crate::store::repo::care::{self, Visit, VisitStatus, VisitView};
use crate::store::repo::{self, now};

use super::Desk;

impl Desk {
    /// Visits starting in `[from, to)` (RFC 3339), for one home or all.
    pub async fn list_visits(
        &self,
        from: String,
        to: String,
        location_id: Option<String>,
    ) -> Result<Vec<VisitView>, CommandError> {
        let mut bad = Vec::new();
        let from = parse_time("from", &from).map_err(|e| bad.push(e)).ok();
        let to = parse_time("to", &to).map_err(|e| bad.push(e)).ok();
        let (Some(from), Some(to)) = (from, to) else {
            return Err(CommandError::invalid_fields("Choose the days to show", bad));
        };
        if to <= from {
            return Err(CommandError::invalid_fields(
                "Choose the days to show",
                [(
                    "to".to_owned(),
                    "The end must be after the start".to_owned(),
                )],
            ));
        }
        self.read(move |c| {
            care::visit_views_between(
                c,
                location_id.as_deref().filter(|l| !l.trim().is_empty()),
                from,
                to,
            )
        })
        .await
    }

    pub async fn confirm_visit(&self, id: String) -> Result<VisitView, CommandError> {
        self.change_visit(id, VisitStatus::Confirmed, None).await
    }

    pub async fn complete_visit(&self, id: String) -> Result<VisitView, CommandError> {
        self.change_visit(id, VisitStatus::Completed, None).await
    }

    pub async fn cancel_visit(
        &self,
        id: String,
        reason: String,
    ) -> Result<VisitView, CommandError> {
        let reason = reason.trim().to_owned();
        let problem = if reason.is_empty() {
            Some("Enter why the visit is cancelled")
        } else if reason.chars().count() > 1000 {
            Some("Enter a reason of 1,000 characters or fewer")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(CommandError::invalid_fields(
                "Say why the visit is cancelled",
                [("reason".to_owned(), problem.to_owned())],
            ));
        }
        self.change_visit(id, VisitStatus::Cancelled, Some(reason))
            .await
    }

    async fn change_visit(
        &self,
        id: String,
        to: VisitStatus,
        reason: Option<String>,
    ) -> Result<VisitView, CommandError> {
        let by = self.session().await?;
        self.save(move |tx| {
            let Some(mut v) = care::get_visit(tx, &id)? else {
                return Err(CommandError::new(
                    Code::NotFound,
                    "This visit is not on this desk.",
                ));
            };
            let payload = VisitUpdate::apply(&mut v, to, reason, now())
                .map_err(|message| CommandError::new(Code::InvalidInput, message))?;
            care::record_visit_change(tx, &v, name_of(&by))?;
            outbox::enqueue(tx, &VisitUpdate, &id, payload)?;
            repo::audit::audit(
                tx,
                &actor_of(&by),
                &format!("visit.{}", to.as_str()),
                Some(("visit", &id)),
                None,
            )?;
            visit_view(tx, &id)
        })
        .await
    }

    /// Schedules a visit here at once (validated as CareLoop would); it goes to CareLoop when it
    /// can.
    pub async fn schedule_visit(&self, input: ScheduleVisit) -> Result<VisitView, CommandError> {
        let now = self.clock.now();
        let by = self.session().await?;
        self.save(move |tx| {
            let checked = visit_create::check(tx, &input, now)?;
            let client_id = uuid::Uuid::new_v4().to_string();
            let at = now;
            let v = Visit {
                id: client_id.clone(),
                location_id: checked.location_id.clone(),
                staff_user_id: Some(checked.staff_user_id.clone()),
                resident_id: checked.resident_id.clone(),
                visit_type: checked.visit_type.as_str().to_owned(),
                starts_at: checked.starts_at,
                ends_at: checked.ends_at,
                status: VisitStatus::Scheduled,
                notes: checked.notes.clone(),
                confirmed_at: None,
                completed_at: None,
                cancelled_at: None,
                cancel_reason: None,
                created_at: Some(at),
                updated_at: at,
            };
            care::insert_local_visit(tx, &v)?;
            care::set_changed_by(tx, &client_id, name_of(&by))?;
            outbox::enqueue_create(tx, &VisitCreate, &client_id, VisitCreate::payload(&checked))?;
            repo::audit::audit(
                tx,
                &actor_of(&by),
                "visit.schedule",
                Some(("visit", &client_id)),
                None,
            )?;
            visit_view(tx, &client_id)
        })
        .await
    }
}

/// The name of the staff member a write is made by (none while the desk is being set up).
fn name_of(session: &Option<super::staff_lock::Session>) -> Option<&str> {
    session
        .as_ref()
        .filter(|s| s.staff_id.is_some())
        .map(|s| s.name.as_str())
}

/// The audit log's actor for a write made in `session`.
fn actor_of(session: &Option<super::staff_lock::Session>) -> String {
    session
        .as_ref()
        .and_then(|s| s.staff_id.clone())
        .unwrap_or_else(|| "setup".into())
}

fn visit_view(c: &rusqlite::Connection, id: &str) -> Result<VisitView, CommandError> {
    care::visit_view(c, id)?
        .ok_or_else(|| CommandError::new(Code::NotFound, "This visit is not on this desk."))
}
