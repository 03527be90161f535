//! "This desk": what a person at the desk needs first — open alerts, visits overdue and due
//! soon, writes waiting or refused, certifications expired — counted from the local file.

use chrono::TimeDelta;
use serde::Serialize;
use ts_rs::TS;

use crate::ipc::CommandError;
use crate::store::repo::{self, care, people, training};

use super::{settings, Desk};

/// The summary at the top of "This desk". Each count links to the screen that lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DeskSummary {
    /// This desk's home, if one is set (the visit and certification counts are for it;
    /// otherwise for every home).
    pub location_id: Option<String>,
    pub location_name: Option<String>,
    pub open_alerts: u32,
    /// Of the open alerts, critical incidents.
    pub critical_alerts: u32,
    /// Scheduled visits whose start has passed without being confirmed, today.
    pub visits_overdue: u32,
    /// Scheduled or confirmed visits starting within the next hour.
    pub visits_due_next_hour: u32,
    /// Writes waiting to reach CareLoop.
    pub writes_waiting: u32,
    /// Writes CareLoop refused: a person must fix or discard them.
    pub writes_need_attention: u32,
    /// Certifications (of this home's staff) past their expiry date today.
    pub certifications_expired: u32,
}

impl Desk {
    pub async fn desk_summary(&self) -> Result<DeskSummary, CommandError> {
        let now = self.clock.now();
        self.read(move |c| {
            let location_id = repo::settings::get_setting(c, settings::LOCATION_ID)?;
            let location_name = match &location_id {
                Some(l) => people::location_name(c, l)?,
                None => None,
            };
            let today = settings::home_date(c, now)?;
            let start_of_day = crate::clock::start_of_day(repo::settings::home_zone(c)?, today);
            let visits = care::visit_counts(
                c,
                location_id.as_deref(),
                start_of_day,
                now,
                now + TimeDelta::hours(1),
            )?;
            let (writes_waiting, writes_need_attention) = repo::outbox::outbox_counts(c)?;
            let (open_alerts, critical_alerts) = repo::alerts::open_counts(c)?;
            Ok(DeskSummary {
                location_name,
                open_alerts,
                critical_alerts,
                visits_overdue: visits.overdue,
                visits_due_next_hour: visits.due_soon,
                writes_waiting,
                writes_need_attention,
                certifications_expired: training::count_expired(c, location_id.as_deref(), today)?,
                location_id,
            })
        })
        .await
    }
}
