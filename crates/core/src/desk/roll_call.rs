//! The fire roll call, from this desk's file alone (the network may be down, the sync may
//! never have finished today): everyone in the building when it started — visitors (those
//! waiting for approval too), staff signed in, residents in the building with room, floor and
//! their personal evacuation notes — and the residents who are out. Marshals tick people off
//! on screen (kept per roll call); the count of unaccounted people follows; an A4 PDF is made
//! on the desk. Receptionists and up (the kiosk's corner control unlocks with a staff PIN
//! first).

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::clock;
use crate::ipc::{Code, CommandError};
use crate::print::{self, Font, Mark};
use crate::store::repo::reception::{self as rx, Approval, RollCallRow, VisitingKind};
use crate::store::repo::{self, people};

use super::reception::{desk_location, write_file, SavedFile};
use super::Desk;

/// Which list a person is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RollCallGroup {
    Visitors,
    Staff,
    ResidentsIn,
    ResidentsOut,
}

/// One person on the roll call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RollCallPerson {
    /// `visitor:<id>`, `staff:<id>`, `resident:<id>`: what a tick names.
    pub key: String,
    pub name: String,
    /// "Room 105 · Floor 1", "Visiting Maggie Wilson · 07700 900123", "Nurse"...
    pub detail: Option<String>,
    /// A resident's personal evacuation notes.
    pub notes: Option<String>,
    /// "since 10:05" (in the building or out).
    pub since: Option<String>,
    /// Ticked by a marshal (residents out are not counted).
    #[serde(default)]
    pub accounted: bool,
}

/// A roll call as the screen and the print show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct RollCallView {
    pub id: String,
    pub home_name: Option<String>,
    pub started_at: DateTime<Utc>,
    /// "today at 14:02"
    pub started_words: String,
    pub started_by: String,
    pub ended_at: Option<DateTime<Utc>>,
    /// When the resident list last came from CareLoop (none: never on this desk).
    pub residents_updated_at: Option<DateTime<Utc>>,
    /// "Resident list from today at 07:00", or that it has never been downloaded.
    pub residents_freshness: String,
    pub visitors: Vec<RollCallPerson>,
    pub staff: Vec<RollCallPerson>,
    pub residents_in: Vec<RollCallPerson>,
    pub residents_out: Vec<RollCallPerson>,
    /// People in the building (visitors, staff, residents in).
    pub in_building: u32,
    pub accounted: u32,
    pub unaccounted: u32,
}

/// The snapshot stored with a roll call.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Snapshot {
    home_name: Option<String>,
    residents_updated_at: Option<DateTime<Utc>>,
    visitors: Vec<RollCallPerson>,
    staff: Vec<RollCallPerson>,
    residents_in: Vec<RollCallPerson>,
    residents_out: Vec<RollCallPerson>,
}

/// "Floor 1" for room "105", "Ground floor" for "12" (room numbers read as floor + two-digit
/// room, as the homes number them); none for another scheme.
pub fn floor_of(room: &str) -> Option<String> {
    let room = room.trim();
    if room.is_empty() || !room.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if room.len() <= 2 {
        return Some("Ground floor".into());
    }
    let floor: u32 = room[..room.len() - 2].parse().ok()?;
    Some(if floor == 0 {
        "Ground floor".into()
    } else {
        format!("Floor {floor}")
    })
}

fn compose(c: &Connection, now: DateTime<Utc>) -> crate::store::Result<Snapshot> {
    let zone = repo::settings::home_zone(c)?;
    let hhmm = |t: DateTime<Utc>| format!("since {}", t.with_timezone(&zone).format("%H:%M"));
    let location = desk_location(c)?;
    let home_name = match &location {
        Some(l) => people::location_name(c, l)?,
        None => None,
    };
    let mut visitors = Vec::new();
    for s in rx::sign_ins_on_site(c, location.as_deref())? {
        let whom = match s.visiting_kind {
            VisitingKind::Resident => match &s.visiting_resident_id {
                Some(id) => people::resident_named(c, id)?.map(|n| format!("Visiting {}", n.name)),
                None => None,
            },
            VisitingKind::Staff => match &s.visiting_staff_id {
                Some(id) => people::staff_name(c, id)?.map(|n| format!("Visiting {n}")),
                None => None,
            },
            VisitingKind::Other => Some(s.purpose.clone()),
        };
        let mut detail: Vec<String> = whom.into_iter().collect();
        if s.approval == Approval::Pending {
            detail.push("waiting at reception".into());
        }
        detail.extend(s.phone.clone());
        visitors.push(RollCallPerson {
            key: format!("visitor:{}", s.id),
            name: s.visitor_name.clone(),
            detail: Some(detail.join(" · ")).filter(|d| !d.is_empty()),
            notes: None,
            since: Some(hhmm(s.signed_in_at)),
            accounted: false,
        });
    }
    let staff = rx::staff_on_site(c)?
        .into_iter()
        .map(|s| RollCallPerson {
            key: format!("staff:{}", s.staff_id),
            name: people::display_name(&s.full_name, s.preferred_name.as_deref()),
            detail: s.role.map(|r| {
                let r = r.replace('_', " ");
                let mut chars = r.chars();
                chars
                    .next()
                    .map(|f| f.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            }),
            notes: None,
            since: Some(hhmm(s.signed_in_at)),
            accounted: false,
        })
        .collect();
    let outings: std::collections::HashMap<String, rx::Outing> = rx::outings_now(c)?
        .into_iter()
        .map(|o| (o.resident_id.clone(), o))
        .collect();
    let (mut residents_in, mut residents_out) = (Vec::new(), Vec::new());
    for r in rx::current_residents(c, location.as_deref())? {
        let name = people::display_name(&r.full_name, r.preferred_name.as_deref());
        let room = r
            .room_number
            .as_deref()
            .map(str::trim)
            .filter(|x| !x.is_empty());
        let place = room.map(|room| match floor_of(room) {
            Some(f) => format!("Room {room} · {f}"),
            None => format!("Room {room}"),
        });
        match outings.get(&r.id) {
            Some(o) => residents_out.push(RollCallPerson {
                key: format!("resident:{}", r.id),
                name,
                detail: Some(format!("Out with {}", o.with_whom)),
                notes: None,
                since: Some(hhmm(o.out_at)),
                accounted: false,
            }),
            None => residents_in.push(RollCallPerson {
                key: format!("resident:{}", r.id),
                name,
                detail: place,
                notes: r.evacuation_notes.clone(),
                since: None,
                accounted: false,
            }),
        }
    }
    let _ = now;
    Ok(Snapshot {
        home_name,
        residents_updated_at: repo::sync_state::get_sync_state(c, "residents")?.last_success_at,
        visitors,
        staff,
        residents_in,
        residents_out,
    })
}

fn view(
    c: &Connection,
    row: &RollCallRow,
    now: DateTime<Utc>,
) -> crate::store::Result<RollCallView> {
    let zone = repo::settings::home_zone(c)?;
    let mut snap: Snapshot = serde_json::from_value(row.snapshot.clone()).unwrap_or_default();
    let ticked: std::collections::HashSet<String> =
        rx::ticks(c, &row.id)?.into_iter().map(|(k, _)| k).collect();
    let mut in_building = 0u32;
    let mut accounted = 0u32;
    for group in [&mut snap.visitors, &mut snap.staff, &mut snap.residents_in] {
        for p in group.iter_mut() {
            p.accounted = ticked.contains(&p.key);
            in_building += 1;
            accounted += u32::from(p.accounted);
        }
    }
    for p in &mut snap.residents_out {
        p.accounted = ticked.contains(&p.key);
    }
    let started_by = super::reception::actor_name(c, &row.started_by)?;
    Ok(RollCallView {
        id: row.id.clone(),
        home_name: snap.home_name,
        started_at: row.started_at,
        started_words: clock::when(row.started_at, now, zone),
        started_by,
        ended_at: row.ended_at,
        residents_freshness: match snap.residents_updated_at {
            Some(t) => format!("Resident list from CareLoop {}", clock::when(t, now, zone)),
            None => "The resident list has never been downloaded on this desk".into(),
        },
        residents_updated_at: snap.residents_updated_at,
        visitors: snap.visitors,
        staff: snap.staff,
        residents_in: snap.residents_in,
        residents_out: snap.residents_out,
        in_building,
        accounted,
        unaccounted: in_building - accounted,
    })
}

fn no_roll_call() -> CommandError {
    CommandError::new(Code::NotFound, "That roll call is not on this desk.")
}

impl Desk {
    /// Starts a roll call now: the list of everyone in the building, from this desk's file
    /// only. A roll call still open is ended (the new one replaces it).
    pub async fn start_roll_call(&self) -> Result<RollCallView, CommandError> {
        let actor = self.actor().await?;
        let now = self.clock.now();
        self.save(move |tx| {
            if let Some(open) = rx::open_roll_call(tx)? {
                rx::end_roll_call(tx, &open.id, now, &actor)?;
            }
            let snap = compose(tx, now)?;
            let row = RollCallRow {
                id: uuid::Uuid::new_v4().to_string(),
                started_at: now,
                started_by: actor.clone(),
                ended_at: None,
                snapshot: serde_json::to_value(&snap)
                    .map_err(|e| crate::errors::internal(format!("roll call: {e}")))?,
            };
            rx::insert_roll_call(tx, &row)?;
            repo::audit::audit(
                tx,
                &actor,
                "reception.roll_call",
                Some(("roll_call", &row.id)),
                Some(&json!({
                    "visitors": snap.visitors.len(),
                    "staff": snap.staff.len(),
                    "residents_in": snap.residents_in.len(),
                    "residents_out": snap.residents_out.len(),
                })),
            )?;
            Ok(view(tx, &row, now)?)
        })
        .await
    }

    /// The roll call still open, if any.
    pub async fn current_roll_call(&self) -> Result<Option<RollCallView>, CommandError> {
        let now = self.clock.now();
        self.read(move |c| match rx::open_roll_call(c)? {
            Some(row) => Ok(Some(view(c, &row, now)?)),
            None => Ok(None),
        })
        .await
    }

    pub async fn get_roll_call(&self, id: String) -> Result<RollCallView, CommandError> {
        let now = self.clock.now();
        self.read(move |c| match rx::get_roll_call(c, &id)? {
            Some(row) => Ok(Some(view(c, &row, now)?)),
            None => Ok(None),
        })
        .await?
        .ok_or_else(no_roll_call)
    }

    /// A marshal accounts for a person (or takes it back).
    pub async fn tick_roll_call(
        &self,
        roll_call_id: String,
        person_key: String,
        accounted: bool,
    ) -> Result<RollCallView, CommandError> {
        let actor = self.actor().await?;
        let now = self.clock.now();
        self.save(move |tx| {
            let row = rx::get_roll_call(tx, &roll_call_id)?.ok_or_else(no_roll_call)?;
            let snap: Snapshot = serde_json::from_value(row.snapshot.clone()).unwrap_or_default();
            let listed = [
                &snap.visitors,
                &snap.staff,
                &snap.residents_in,
                &snap.residents_out,
            ]
            .iter()
            .any(|g| g.iter().any(|p| p.key == person_key));
            if !listed {
                return Err(CommandError::invalid_fields(
                    "This person is not on this roll call",
                    [("person_key".to_owned(), "Not on this roll call".to_owned())],
                ));
            }
            if accounted {
                rx::tick(tx, &row.id, &person_key, now, &actor)?;
            } else {
                rx::untick(tx, &row.id, &person_key)?;
            }
            Ok(view(tx, &row, now)?)
        })
        .await
    }

    /// Ends a roll call (it stays readable until the visitor records' retention ends).
    pub async fn end_roll_call(&self, roll_call_id: String) -> Result<RollCallView, CommandError> {
        let actor = self.actor().await?;
        let now = self.clock.now();
        self.save(move |tx| {
            rx::end_roll_call(tx, &roll_call_id, now, &actor)?;
            let row = rx::get_roll_call(tx, &roll_call_id)?.ok_or_else(no_roll_call)?;
            Ok(view(tx, &row, now)?)
        })
        .await
    }

    /// The roll call as an A4 PDF, made on the desk.
    pub async fn roll_call_pdf(&self, roll_call_id: String) -> Result<Vec<u8>, CommandError> {
        let v = self.get_roll_call(roll_call_id).await?;
        crate::errors::blocking(move || roll_call_pages(&v))
            .await?
            .map_err(crate::errors::internal)
    }

    /// The roll call's PDF written into `dir` (the app passes the Downloads folder).
    pub async fn save_roll_call_pdf(
        &self,
        roll_call_id: String,
        dir: PathBuf,
    ) -> Result<SavedFile, CommandError> {
        let v = self.get_roll_call(roll_call_id.clone()).await?;
        let bytes = self.roll_call_pdf(roll_call_id).await?;
        let zone = self.read(repo::settings::home_zone).await?;
        let name = format!(
            "fire-roll-call-{}",
            v.started_at.with_timezone(&zone).format("%Y-%m-%d-%H%M")
        );
        write_file(&dir, &name, "pdf", bytes).await
    }
}

/// Lays the roll call out on A4 pages and makes the PDF.
fn roll_call_pages(v: &RollCallView) -> Result<Vec<u8>, String> {
    const MARGIN: f32 = 36.0;
    const BOTTOM: f32 = 48.0;
    let width = print::A4_WIDTH - 2.0 * MARGIN;
    let (regular, bold) = (Font::regular(), Font::bold());
    let mut pages: Vec<Vec<Mark>> = vec![Vec::new()];
    let mut y = print::A4_HEIGHT - MARGIN - 14.0;
    let text = |x: f32, y: f32, size: f32, b: bool, t: String| Mark::Text {
        x,
        y,
        size,
        bold: b,
        text: t,
    };
    let title = match &v.home_name {
        Some(h) => format!("Fire roll call — {h}"),
        None => "Fire roll call".to_owned(),
    };
    let first = pages.last_mut().expect("a page");
    first.push(text(MARGIN, y, 16.0, true, bold.fit(&title, 16.0, width)));
    y -= 16.0;
    first.push(text(
        MARGIN,
        y,
        9.0,
        false,
        regular.fit(
            &format!(
                "Started {} by {}. {}.",
                v.started_words, v.started_by, v.residents_freshness
            ),
            9.0,
            width,
        ),
    ));
    y -= 14.0;
    first.push(text(
        MARGIN,
        y,
        11.0,
        true,
        format!(
            "In the building: {}   Accounted for: {}   Unaccounted: {}",
            v.in_building, v.accounted, v.unaccounted
        ),
    ));
    y -= 10.0;
    let groups = [
        ("Visitors", &v.visitors),
        ("Staff on site", &v.staff),
        ("Residents in the building", &v.residents_in),
        ("Residents out (not in the building)", &v.residents_out),
    ];
    let name_w = 170.0;
    let since_w = 60.0;
    let detail_x = MARGIN + 18.0 + name_w + 6.0;
    let detail_w = width - (detail_x - MARGIN) - since_w;
    for (heading, people) in groups {
        if y - 40.0 < BOTTOM {
            pages.push(Vec::new());
            y = print::A4_HEIGHT - MARGIN;
        }
        y -= 20.0;
        let page = pages.last_mut().expect("a page");
        page.push(text(
            MARGIN,
            y,
            12.0,
            true,
            format!("{heading} ({})", people.len()),
        ));
        y -= 4.0;
        page.push(Mark::Rule {
            x: MARGIN,
            y,
            width,
        });
        if people.is_empty() {
            y -= 13.0;
            page.push(text(MARGIN, y, 9.0, false, "No one".into()));
        }
        for p in people.iter() {
            let notes = p
                .notes
                .as_deref()
                .map(|n| regular.wrap(&format!("Evacuation: {n}"), 8.5, detail_w + since_w))
                .unwrap_or_default();
            let height = 14.0 + 10.5 * notes.len() as f32;
            if y - height < BOTTOM {
                pages.push(Vec::new());
                y = print::A4_HEIGHT - MARGIN - 6.0;
            }
            let page = pages.last_mut().expect("a page");
            y -= 14.0;
            page.push(Mark::Box {
                x: MARGIN,
                y: y - 1.5,
                size: 10.0,
                ticked: p.accounted,
            });
            page.push(text(
                MARGIN + 18.0,
                y,
                10.0,
                true,
                bold.fit(&p.name, 10.0, name_w),
            ));
            if let Some(d) = &p.detail {
                page.push(text(detail_x, y, 9.0, false, regular.fit(d, 9.0, detail_w)));
            }
            if let Some(s) = &p.since {
                page.push(text(
                    MARGIN + width - since_w + 4.0,
                    y,
                    9.0,
                    false,
                    regular.fit(s, 9.0, since_w - 4.0),
                ));
            }
            for line in notes {
                y -= 10.5;
                page.push(text(detail_x, y, 8.5, false, line));
            }
        }
    }
    let total = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        page.push(text(
            MARGIN,
            24.0,
            8.0,
            false,
            format!(
                "{title} · started {} · page {} of {total}",
                v.started_words,
                i + 1
            ),
        ));
    }
    print::a4_pdf(&title, &pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(i: usize, notes: bool) -> RollCallPerson {
        RollCallPerson {
            key: format!("resident:{i}"),
            name: format!("Resident with a rather long name number {i}"),
            detail: Some(format!("Room {} · Floor 1", 100 + i)),
            notes: notes.then(|| {
                "Needs two staff and the evacuation chair; hard of hearing, \
                                  knock loudly and wait"
                    .to_owned()
            }),
            since: None,
            accounted: i % 3 == 0,
        }
    }

    #[test]
    fn a_long_roll_call_runs_over_pages_that_all_fit_a4() {
        let v = RollCallView {
            id: "rc".into(),
            home_name: Some("Rose Court".into()),
            started_at: chrono::Utc::now(),
            started_words: "today at 14:02".into(),
            started_by: "Priya Okafor".into(),
            ended_at: None,
            residents_updated_at: None,
            residents_freshness: "Resident list from CareLoop today at 07:00".into(),
            visitors: (0..40).map(|i| person(i, false)).collect(),
            staff: (0..30).map(|i| person(i, false)).collect(),
            residents_in: (0..120).map(|i| person(i, i % 4 == 0)).collect(),
            residents_out: (0..5).map(|i| person(i, false)).collect(),
            in_building: 190,
            accounted: 60,
            unaccounted: 130,
        };
        let pdf = roll_call_pages(&v).unwrap();
        let text = String::from_utf8_lossy(&pdf);
        let pages = text.matches("/MediaBox [0 0 595.28 841.89]").count();
        assert!(pages >= 5, "{pages}");
        assert!(text.contains(&format!("/Count {pages}")));
    }

    #[test]
    fn floors_are_read_from_room_numbers() {
        assert_eq!(floor_of("105").as_deref(), Some("Floor 1"));
        assert_eq!(floor_of("1203").as_deref(), Some("Floor 12"));
        assert_eq!(floor_of("12").as_deref(), Some("Ground floor"));
        assert_eq!(floor_of("7").as_deref(), Some("Ground floor"));
        assert_eq!(floor_of("G4"), None);
        assert_eq!(floor_of(""), None);
    }
}
