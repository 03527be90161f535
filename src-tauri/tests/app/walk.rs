//! The access walk: every command of the app's command list (`loopdesk::COMMANDS`, so a new
//! command is walked too), called as the webview calls it, on the locked kiosk and as each role.
//!
//! * Below the command's level (its `#[access(…)]`), the answer is `locked` on the kiosk and
//!   `forbidden` for a staff member, and the data file is exactly as it was (a digest of every
//!   table, taken before and after).
//! * At or above it, the command is not refused for access (any other answer, success or a
//!   reason of its own; the sample arguments must be understood: a Tauri error about them
//!   fails the walk).
//! * Whatever the locked kiosk and a receptionist are answered, refusals included, holds no
//!   private field or value ([`super::private`]), except what a sample names as shown by design
//!   and says why ([`Shown`]): reception's own work (the fire roll call needs every resident's
//!   name, room and evacuation notes), never a resuscitation decision, never a care note.
//!
//! Each command needs sample arguments in [`samples`]: the walk fails for a command without
//! them, which is how a new command is brought into it.

use std::collections::BTreeMap;

use chrono::TimeDelta;
use loopdesk::{Level, COMMANDS};
use loopdesk_core::desk::staff_lock::Access;
use loopdesk_core::secrets::{SecretStore, API_KEY};
use loopdesk_core::store::repo::{self, care, digest, pins::DeskRole};
use serde_json::{json, Value};

use crate::private::{Kind, Leak, PrivateValues};
use crate::{Backend, TestApp, Who};

/// A command's sample arguments.
struct Sample {
    /// As the webview sends them (camelCase names).
    args: Value,
    /// The command refuses these arguments itself, whoever calls it, with this code (and
    /// writes nothing).
    refuses_itself: Option<&'static str>,
    /// What of the private the command shows the locked kiosk by design, and why.
    kiosk_sees: Option<Shown>,
    /// What of the private it shows a receptionist by design, and why.
    receptionist_sees: Option<Shown>,
}

fn sample(args: Value) -> Sample {
    Sample {
        args,
        refuses_itself: None,
        kiosk_sees: None,
        receptionist_sees: None,
    }
}

impl Sample {
    fn for_receptionist(mut self, shown: Shown) -> Self {
        self.receptionist_sees = Some(shown);
        self
    }

    fn on_the_kiosk(mut self, shown: Shown) -> Self {
        self.kiosk_sees = Some(shown);
        self
    }
}

/// Private fields and kinds of value a command shows below a shift lead by design. Anything
/// else private it shows is a leak; a resuscitation decision always is.
#[derive(Clone, Copy)]
struct Shown {
    fields: &'static [&'static str],
    values: &'static [Kind],
    /// Why the person is shown it (a failure says it when something else is shown too).
    why: &'static str,
}

impl Shown {
    fn excuses(&self, leak: &Leak) -> bool {
        match leak {
            Leak::Field { name, .. } => self.fields.contains(&name.as_str()),
            Leak::Value { kind, .. } => self.values.contains(kind),
            Leak::Resuscitation { .. } => false,
        }
    }
}

/// The visitor records of the Reception desk (receptionists): the visitor's own phone and
/// relationship, as they gave them at the kiosk, and whom they visit by name.
const VISITOR_RECORDS: Shown = Shown {
    fields: &["phone", "relationship"],
    values: &[Kind::Name],
    why: "the reception desk's visitor book: whom each visitor came to see, and how to reach \
          the visitor",
};

/// The fire roll call (receptionists: any staff PIN opens it): a marshal needs everyone in
/// the building by name, with their room and a shift lead's evacuation notes.
const ROLL_CALL: Shown = Shown {
    fields: &["notes"],
    values: &[Kind::Name, Kind::Room],
    why: "the fire roll call: every resident by name with room and evacuation notes",
};

/// Residents' outings (receptionists sign them out and back in): by name, with their room.
const OUTINGS: Shown = Shown {
    fields: &[],
    values: &[Kind::Name, Kind::Room],
    why: "residents going out and coming back at reception: whom, by name and room",
};

/// What the samples refer to: rows of the synced desk and two alerts raised on it.
struct Context {
    location: String,
    resident: String,
    /// Scheduled visits to confirm, complete and cancel.
    visits: [String; 3],
    /// The open alerts (the walk acknowledges the first).
    alerts: [i64; 2],
    demo_url: String,
    demo_key: String,
    reception: ReceptionRows,
    incidents: IncidentRows,
}

/// What the incident samples refer to, made through the desk before the walk: a critical
/// unwitnessed fall with a head injury (duties, observations, the 999 advice) and a draft.
struct IncidentRows {
    form: Value,
    incident: String,
    /// Two open duties: one to decide, one to mark sent.
    duties: [String; 2],
    /// Two observations: one to record, one to mark missed.
    observations: [String; 2],
    draft: String,
    resident: String,
}

impl IncidentRows {
    fn seed(t: &TestApp, resident: &str) -> Self {
        let desk = &t.desk;
        let at = chrono::Utc::now() - TimeDelta::minutes(10);
        let form = json!({
            "subject": "resident",
            "resident_id": resident,
            "type": "fall",
            "severity": "critical",
            "occurred_at": repo::ts(&at),
            "place": "Walk test: the lounge",
            "title": "Walk test: found on the floor",
            "description": "Walk test: found beside her chair, a bump on the back of the head",
            "witnessed": false,
            "body_regions": ["head.back", "hip.left"],
            "notified": ["family", "nhs_111_999"],
            "hospital_transfer": true,
            "fall": {"how": "found_on_floor", "head_injury": true, "anticoagulants": true,
                     "neuro_obs_started": true},
        });
        let parsed: loopdesk_core::desk::incidents::IncidentForm =
            serde_json::from_value(form.clone()).expect("the walk's incident form");
        let page = block(desk.save_incident(parsed.clone(), None, None)).expect("an incident");
        assert!(page.duties.len() >= 2, "duties advised: {:?}", page.duties);
        assert!(page.observations.len() >= 2, "observations scheduled");
        let draft = block(desk.save_incident_draft(None, None, parsed)).expect("a draft");
        Self {
            incident: page.id.clone(),
            duties: [page.duties[0].id.clone(), page.duties[1].id.clone()],
            observations: [
                page.observations[0].id.clone(),
                page.observations[1].id.clone(),
            ],
            draft: draft.id,
            resident: resident.to_owned(),
            form,
        }
    }
}

/// What reception's samples refer to, made through the desk before the walk (at the walk's
/// home, as `save_settings` leaves the desk).
struct ReceptionRows {
    /// Three letters and more of a resident's name and of a staff member's.
    resident_text: String,
    staff_text: String,
    /// A resident of the home to visit, and one who goes out.
    resident: String,
    going_out: String,
    /// A resident out with family, who comes back.
    out: String,
    /// A visitor who came before and signed out (last three phone digits: `RETURNING_DIGITS`).
    returning: String,
    /// Visitors in the building: one to ask about and tap out, one to sign out by code (and
    /// the code), one a receptionist signs out.
    on_site: String,
    code: String,
    signed_out_by_staff: String,
    /// Two sign-ins waiting for approval (a resident whose visits need it).
    to_approve: String,
    to_decline: String,
    /// A shift lead signed in at the kiosk (a receptionist signs them out).
    staff_on_site: String,
    /// An open roll call and a person on it.
    roll_call: String,
    person: String,
    /// The reception settings as they are, with a visitor policy.
    settings: Value,
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    tauri::async_runtime::block_on(f)
}

/// The returning visitor's phone ends in these.
const RETURNING_DIGITS: &str = "789";

/// Signs a visitor in through the desk: the sign-in's id, and the sign-out code when signed in.
fn visit(t: &TestApp, form: Value) -> (String, Option<String>) {
    let form = serde_json::from_value(form).expect("a sign-in form");
    let outcome = block(t.desk.sign_in_visitor(form))
        .unwrap_or_else(|e| panic!("the walk's visitor signs in: {e:?}"));
    let outcome = serde_json::to_value(outcome).unwrap();
    match outcome["outcome"].as_str() {
        Some("signed_in") => (
            outcome["confirmation"]["sign_in_id"]
                .as_str()
                .unwrap()
                .to_owned(),
            outcome["confirmation"]["sign_out_code"]
                .as_str()
                .map(str::to_owned),
        ),
        Some("wait_for_staff") => (outcome["sign_in_id"].as_str().unwrap().to_owned(), None),
        _ => panic!("the walk's visitor is not signed in: {outcome}"),
    }
}

fn visitor(first: &str, surname: &str, phone: &str, resident: &str) -> Value {
    json!({
        "first_name": first,
        "surname": surname,
        "phone": phone,
        "visiting_kind": "resident",
        "visiting_id": resident,
        "relationship": "friend",
        "screening_answers": [],
    })
}

/// Three letters and more of the last word of `name`.
fn part_of(name: &str) -> String {
    name.split_whitespace()
        .last()
        .unwrap_or(name)
        .chars()
        .take(4)
        .collect()
}

impl ReceptionRows {
    fn seed(t: &TestApp, home: &str) -> Self {
        let desk = &t.desk;
        let at_home = home.to_owned();
        let residents = desk
            .store()
            .write(move |tx| {
                repo::settings::set_setting(
                    tx,
                    loopdesk_core::desk::settings::LOCATION_ID,
                    &at_home,
                )?;
                repo::people::search_residents(
                    tx,
                    &repo::people::ResidentQuery {
                        text: None,
                        location_id: Some(at_home.clone()),
                        status: Some(repo::people::ResidentStatus::Current),
                    },
                    repo::Page {
                        limit: 4,
                        offset: 0,
                    },
                )
            })
            .expect("the walk's home and its residents");
        assert_eq!(residents.len(), 4, "four residents at the walk's home");
        let ids: Vec<String> = residents.iter().map(|r| r.id.clone()).collect();
        let shift_lead = t.holder(DeskRole::ShiftLead);
        let staff_full = desk
            .store()
            .read({
                let id = shift_lead.staff_id.clone();
                move |c| repo::people::staff_name(c, &id)
            })
            .expect("the shift lead's name")
            .expect("the shift lead is in the directory");

        // Visits to a resident whose visits need approval wait for it.
        block(desk.set_resident_reception(
            ids[1].clone(),
            true,
            Some("Walk test: uses a wheelchair".into()),
        ))
        .expect("visits need approval");
        let (_, code) = visit(t, visitor("Walter", "Pryce", "07700 900789", &ids[0]));
        let code = code.expect("signed in");
        block(desk.sign_out_with_code(code)).expect("the returning visitor signed out");
        let found = block(desk.find_returning_visitors("Walt".into())).expect("returning visitors");
        let returning = serde_json::to_value(found).unwrap()[0]["visitor_id"]
            .as_str()
            .expect("Walter P. is a returning visitor")
            .to_owned();
        let (on_site, _) = visit(t, visitor("Amira", "Cole", "07700 900111", &ids[0]));
        let (_, code) = visit(t, visitor("Basil", "Grant", "07700 900222", &ids[0]));
        let (signed_out_by_staff, _) = visit(t, visitor("Cora", "Lind", "07700 900333", &ids[0]));
        let (to_approve, _) = visit(t, visitor("Dev", "Patel", "07700 900444", &ids[1]));
        let (to_decline, _) = visit(t, visitor("Esme", "Ward", "07700 900555", &ids[1]));
        block(desk.kiosk_staff_sign_in(
            shift_lead.staff_id.clone(),
            loopdesk_core::secret::Secret::new(shift_lead.pin),
        ))
        .expect("the shift lead signs in at the kiosk");
        block(desk.resident_goes_out(ids[2].clone(), "Walk test: with her son".into()))
            .expect("a resident goes out");
        let roll_call = block(desk.start_roll_call()).expect("a roll call");
        let roll_call = serde_json::to_value(roll_call).unwrap();
        let person = roll_call["residents_in"][0]["key"]
            .as_str()
            .expect("a resident in the building")
            .to_owned();
        let mut settings =
            serde_json::to_value(block(desk.get_reception_settings()).unwrap()).unwrap();
        settings["policy_text"] = json!("Walk test: please sign in and out.");
        Self {
            resident_text: part_of(&residents[0].full_name),
            staff_text: part_of(&staff_full),
            resident: ids[0].clone(),
            going_out: ids[3].clone(),
            out: ids[2].clone(),
            returning,
            on_site,
            code: code.expect("signed in"),
            signed_out_by_staff,
            to_approve,
            to_decline,
            staff_on_site: shift_lead.staff_id.clone(),
            roll_call: roll_call["id"].as_str().unwrap().to_owned(),
            person,
            settings,
        }
    }
}

impl Context {
    fn seed(t: &TestApp) -> Self {
        let location = tauri::async_runtime::block_on(t.desk.list_locations()).unwrap()[0]
            .id
            .clone();
        let now = chrono::Utc::now();
        let (resident, visits, alerts) = t
            .desk
            .store()
            .write(move |tx| {
                let views = care::visit_views_between(tx, None, now, now + TimeDelta::days(14))?;
                let scheduled: Vec<String> = views
                    .iter()
                    .filter(|v| v.visit.status == care::VisitStatus::Scheduled)
                    .map(|v| v.visit.id.clone())
                    .take(3)
                    .collect();
                // Two missed visits to residents with a room: the alerts name the room.
                let mut alerts = Vec::new();
                let mut resident = None;
                for v in views.iter().filter(|v| v.visit.resident_id.is_some()) {
                    let rid = v.visit.resident_id.as_deref().unwrap_or_default();
                    if repo::people::resident_named(tx, rid)?
                        .and_then(|n| n.room)
                        .is_none()
                    {
                        continue;
                    }
                    resident.get_or_insert_with(|| rid.to_owned());
                    let c = loopdesk_core::alerts::compose::compose(
                        tx,
                        "visit.no_show",
                        &json!({"data": {"visit_id": v.visit.id}}),
                        Some(&v.visit.id),
                    )?;
                    let key = repo::alerts::event_key(&v.visit.id);
                    alerts.extend(repo::alerts::raise_alert(
                        tx,
                        &repo::alerts::NewAlert {
                            key: &key,
                            event_id: None,
                            kind: "visit.no_show",
                            title: &c.title,
                            detail: c.detail.as_deref(),
                            location_id: c.location_id.as_deref(),
                            resident_id: c.resident_id.as_deref(),
                            resource_id: c.resource_id.as_deref(),
                            when_at: c.when_at,
                        },
                    )?);
                    if alerts.len() == 2 {
                        break;
                    }
                }
                Ok((resident, scheduled, alerts))
            })
            .expect("the walk's rows");
        let backend = t.demo.backend();
        let reception = ReceptionRows::seed(t, &location);
        let incidents = IncidentRows::seed(t, &reception.resident);
        Self {
            reception,
            incidents,
            location,
            resident: resident.expect("a resident with a room and a visit"),
            visits: visits.try_into().expect("three scheduled visits"),
            alerts: alerts.try_into().expect("two alerts raised"),
            demo_url: backend.base_url.clone(),
            demo_key: backend
                .secrets
                .get(API_KEY)
                .unwrap()
                .expect("the demo key")
                .expose()
                .to_owned(),
        }
    }
}

/// A care note the walk writes (a private value once written).
const NOTE: &str = "Walk test: enjoyed the garden after lunch";

/// Sample arguments for every command, by name.
fn samples(t: &TestApp, c: &Context) -> BTreeMap<&'static str, Sample> {
    let tomorrow = (chrono::Utc::now() + TimeDelta::days(1)).date_naive();
    let at = |time: &str| format!("{tomorrow}T{time}:00Z");
    let r = &c.reception;
    let i = &c.incidents;
    let training = tauri::async_runtime::block_on(t.desk.training_rules()).unwrap();
    BTreeMap::from([
        ("startup_state", sample(json!({}))),
        ("app_info", sample(json!({}))),
        // Opens the data file again only after its key could not be used; else says how
        // start-up went.
        ("retry_startup", sample(json!({}))),
        // Only after an unreadable file was moved aside: refused here, for everyone.
        (
            "create_fresh_database",
            Sample {
                args: json!({}),
                refuses_itself: Some("invalid_input"),
                kiosk_sees: None,
                receptionist_sees: None,
            },
        ),
        (
            "search_residents",
            sample(json!({"text": null, "limit": 500})),
        ),
        ("get_resident", sample(json!({"id": c.resident}))),
        (
            "add_care_note",
            sample(json!({"residentId": c.resident, "body": NOTE, "category": "mood"})),
        ),
        ("list_locations", sample(json!({}))),
        ("list_staff", sample(json!({}))),
        (
            "list_visits",
            sample(
                json!({"from": at("00:00"), "to": (tomorrow + TimeDelta::days(7)).to_string() + "T00:00:00Z"}),
            ),
        ),
        ("confirm_visit", sample(json!({"id": c.visits[0]}))),
        ("complete_visit", sample(json!({"id": c.visits[1]}))),
        (
            "cancel_visit",
            sample(json!({"id": c.visits[2], "reason": "Walk test: family visiting instead"})),
        ),
        (
            "schedule_visit",
            sample(json!({
                "locationId": c.location,
                "staffUserId": t.holder(DeskRole::ShiftLead).staff_id,
                "residentId": c.resident,
                "visitType": "medication",
                "startsAt": at("09:00"),
                "endsAt": at("09:30"),
                "notes": "Walk test: bring the blue folder",
            })),
        ),
        ("sync_status", sample(json!({}))),
        ("watch_sync", sample(json!({"onEvent": "__CHANNEL__:9001"}))),
        ("sync_now", sample(json!({}))),
        ("outbox_attention", sample(json!({}))),
        (
            "resubmit_outbox_entry",
            sample(json!({"seq": 999_999, "payload": {}})),
        ),
        ("discard_outbox_entry", sample(json!({"seq": 999_999}))),
        ("get_settings", sample(json!({}))),
        // The demo CareLoop as real settings: the desk goes on working with it.
        (
            "save_settings",
            sample(
                json!({"apiBaseUrl": c.demo_url, "locationId": c.location, "apiKey": c.demo_key}),
            ),
        ),
        ("test_connection", sample(json!({}))),
        ("desk_summary", sample(json!({}))),
        ("list_alerts", sample(json!({}))),
        (
            "acknowledge_alert",
            sample(json!({"id": c.alerts[0], "by": "Walk test"})),
        ),
        ("alert_feed_status", sample(json!({}))),
        (
            "watch_alerts",
            sample(json!({"onEvent": "__CHANNEL__:9002"})),
        ),
        // Refused for its address: no bridge starts polling in the background.
        (
            "save_bridge_settings",
            sample(json!({"bridgeUrl": "not an address", "deviceToken": null})),
        ),
        ("lock_status", sample(json!({}))),
        ("watch_lock", sample(json!({"onEvent": "__CHANNEL__:9003"}))),
        ("pin_holders", sample(json!({}))),
        (
            "unlock",
            sample(json!({
                "staffId": t.holder(DeskRole::Receptionist).staff_id,
                "pin": t.holder(DeskRole::Receptionist).pin,
            })),
        ),
        ("still_here", sample(json!({}))),
        ("lock_desk", sample(json!({}))),
        // Only while no PIN is set: refused here, for everyone.
        (
            "set_first_manager_pin",
            Sample {
                args: json!({"staffId": t.spare_staff, "pin": "13572468"}),
                refuses_itself: Some("forbidden"),
                kiosk_sees: None,
                receptionist_sees: None,
            },
        ),
        ("list_pins", sample(json!({}))),
        (
            "set_staff_pin",
            sample(json!({"staffId": t.spare_staff, "pin": "246813", "role": "receptionist"})),
        ),
        (
            "set_staff_role",
            sample(json!({"staffId": t.spare_staff, "role": "shift_lead"})),
        ),
        (
            "remove_staff_pin",
            sample(json!({"staffId": t.spare_staff})),
        ),
        ("set_idle_lock", sample(json!({"minutes": 60}))),
        ("get_window_options", sample(json!({}))),
        ("set_kiosk_mode", sample(json!({"enabled": true}))),
        ("set_start_at_login", sample(json!({"enabled": true}))),
        ("quit_app", sample(json!({}))),
        // Signed updates: no update address here (no checks), nothing ready to install.
        ("update_status", sample(json!({}))),
        (
            "save_update_settings",
            sample(json!({"settings": {"address": "", "quiet_time": "03:00"}})),
        ),
        ("check_for_update", sample(json!({}))),
        ("install_update", sample(json!({}))),
        ("set_form_open", sample(json!({"open": false}))),
        // Reception: the kiosk's commands (first names and initials only).
        ("kiosk_reception", sample(json!({}))),
        ("find_returning_visitors", sample(json!({"text": "Walt"}))),
        // The visitor's own relationship comes back to them once their phone's last digits
        // say it is them (to fill in the form as last time).
        (
            "confirm_returning_visitor",
            sample(json!({"visitorId": r.returning, "lastDigits": RETURNING_DIGITS})).on_the_kiosk(
                Shown {
                    fields: &["relationship"],
                    values: &[],
                    why: "a returning visitor's own answer from last time, after their digits",
                },
            ),
        ),
        (
            "kiosk_find_residents",
            sample(json!({"text": r.resident_text})),
        ),
        ("kiosk_find_staff", sample(json!({"text": r.staff_text}))),
        // The first signs in; the others are told she already is.
        (
            "sign_in_visitor",
            sample(json!({"form": visitor("Fern", "Hollis", "07700 900666", &r.resident)})),
        ),
        (
            "visitor_sign_in_status",
            sample(json!({"signInId": r.on_site})),
        ),
        ("kiosk_on_site", sample(json!({}))),
        ("sign_out_visitor", sample(json!({"signInId": r.on_site}))),
        ("sign_out_with_code", sample(json!({"code": r.code}))),
        (
            "kiosk_staff_sign_in",
            sample(json!({
                "staffId": t.holder(DeskRole::Receptionist).staff_id,
                "pin": t.holder(DeskRole::Receptionist).pin,
            })),
        ),
        (
            "kiosk_staff_sign_out",
            sample(json!({
                "staffId": t.holder(DeskRole::Receptionist).staff_id,
                "pin": t.holder(DeskRole::Receptionist).pin,
            })),
        ),
        // The Reception desk (receptionists).
        (
            "visitors_on_site",
            sample(json!({})).for_receptionist(VISITOR_RECORDS),
        ),
        (
            "staff_sign_out_visitor",
            sample(json!({"signInId": r.signed_out_by_staff})).for_receptionist(VISITOR_RECORDS),
        ),
        (
            "pending_visitor_approvals",
            sample(json!({})).for_receptionist(VISITOR_RECORDS),
        ),
        (
            "approve_visitor",
            sample(json!({"signInId": r.to_approve})).for_receptionist(VISITOR_RECORDS),
        ),
        (
            "decline_visitor",
            sample(json!({"signInId": r.to_decline})).for_receptionist(VISITOR_RECORDS),
        ),
        (
            "visitor_history",
            sample(json!({"query": {}})).for_receptionist(VISITOR_RECORDS),
        ),
        ("export_visitor_history", sample(json!({"query": {}}))),
        (
            "automatic_sign_outs",
            sample(json!({})).for_receptionist(VISITOR_RECORDS),
        ),
        ("review_automatic_sign_outs", sample(json!({}))),
        ("staff_on_site", sample(json!({}))),
        (
            "staff_sign_out_staff",
            sample(json!({"staffId": r.staff_on_site})),
        ),
        (
            "reception_find_residents",
            sample(json!({"text": r.resident_text})).for_receptionist(OUTINGS),
        ),
        ("residents_out", sample(json!({})).for_receptionist(OUTINGS)),
        (
            "resident_goes_out",
            sample(json!({"residentId": r.going_out, "withWhom": "Walk test: with her daughter"}))
                .for_receptionist(OUTINGS),
        ),
        ("resident_comes_back", sample(json!({"residentId": r.out}))),
        // The fire roll call (receptionists: any staff PIN).
        (
            "start_roll_call",
            sample(json!({})).for_receptionist(ROLL_CALL),
        ),
        (
            "current_roll_call",
            sample(json!({})).for_receptionist(ROLL_CALL),
        ),
        (
            "get_roll_call",
            sample(json!({"id": r.roll_call})).for_receptionist(ROLL_CALL),
        ),
        (
            "tick_roll_call",
            sample(json!({"rollCallId": r.roll_call, "personKey": r.person, "accounted": true}))
                .for_receptionist(ROLL_CALL),
        ),
        (
            "end_roll_call",
            sample(json!({"rollCallId": r.roll_call})).for_receptionist(ROLL_CALL),
        ),
        (
            "save_roll_call_pdf",
            sample(json!({"rollCallId": r.roll_call})),
        ),
        // A resident's reception notes (shift leads), reception's settings (managers).
        (
            "get_resident_reception",
            sample(json!({"residentId": r.resident})),
        ),
        (
            "set_resident_reception",
            sample(json!({
                "residentId": r.resident,
                "visitsNeedApproval": false,
                "evacuationNotes": "Walk test: hard of hearing",
            })),
        ),
        ("get_reception_settings", sample(json!({}))),
        (
            "save_reception_settings",
            sample(json!({"settings": r.settings})),
        ),
        ("purge_reception_records", sample(json!({}))),
        // Incidents and falls (shift leads; managers mark duties sent and set the protocol).
        ("incident_form_options", sample(json!({}))),
        ("assess_incident", sample(json!({"form": i.form}))),
        (
            "save_incident",
            sample(json!({"form": i.form, "incidentId": null, "draftId": null})),
        ),
        ("get_incident", sample(json!({"id": i.incident}))),
        ("list_incidents", sample(json!({"filter": {}}))),
        (
            "resident_incidents",
            sample(json!({"residentId": i.resident})),
        ),
        (
            "save_incident_draft",
            sample(json!({"draftId": null, "incidentId": null, "form": i.form})),
        ),
        ("list_incident_drafts", sample(json!({}))),
        (
            "discard_incident_draft",
            sample(json!({"draftId": i.draft})),
        ),
        (
            "set_incident_status",
            sample(json!({"incidentId": i.incident, "status": "under_review"})),
        ),
        (
            "decide_incident_duty",
            sample(json!({
                "dutyId": i.duties[0],
                "decision": "will_notify",
                "note": "Walk test: the manager will phone",
            })),
        ),
        (
            "mark_duty_sent",
            sample(json!({"dutyId": i.duties[1], "reference": "Walk-test-0001"})),
        ),
        (
            "record_observation",
            sample(json!({
                "observationId": i.observations[0],
                "reading": {"pupils": "Equal and reactive", "gcs": 15, "pulse": 80},
            })),
        ),
        (
            "miss_observation",
            sample(json!({
                "observationId": i.observations[1],
                "reason": "Walk test: asleep, breathing checked",
            })),
        ),
        ("due_observations", sample(json!({}))),
        ("get_observation_protocol", sample(json!({}))),
        (
            "save_observation_protocol",
            sample(json!({"protocol": {
                "stages": [
                    {"every_minutes": 30, "until_minutes": 120},
                    {"every_minutes": 60, "until_minutes": 360},
                    {"every_minutes": 120, "until_minutes": 1440},
                ],
                "bruising_check_hours": [24, 48],
            }})),
        ),
        ("falls_register", sample(json!({}))),
        ("export_falls_register", sample(json!({}))),
        // The training matrix (managers; whether shift leads may lead: shift leads too).
        (
            "training_matrix",
            sample(json!({"filter": {"status": "expired"}})),
        ),
        ("training_rules", sample(json!({}))),
        (
            "save_training_rules",
            sample(json!({"rules": {"roles": training.roles, "renewals": []}})),
        ),
        (
            "staff_training",
            sample(json!({"staffId": t.holder(DeskRole::ShiftLead).staff_id})),
        ),
        ("may_lead_list", sample(json!({"locationId": c.location}))),
        (
            "record_certification",
            sample(json!({"form": {
                "staff_id": t.holder(DeskRole::ShiftLead).staff_id,
                "course_id": training.courses[0].course_id,
                "completed_on": (chrono::Utc::now() - TimeDelta::days(2)).date_naive().to_string(),
                "certificate_number": "WALK-1",
            }})),
        ),
        ("training_notices", sample(json!({}))),
        (
            "save_training_matrix_csv",
            sample(json!({"filter": {"window_days": 90}})),
        ),
        ("save_training_matrix_pdf", sample(json!({"filter": {}}))),
        ("set_demo_sandbox", sample(json!({"running": true}))),
        ("demo_server_visit", sample(json!({"id": c.visits[0]}))),
        // This demo has no alert bridge: refused for that, nothing is sent.
        (
            "trigger_demo_alert",
            sample(json!({"kind": "visit.no_show"})),
        ),
        ("set_demo_bridge", sample(json!({"running": true}))),
        // This app is not on the demo: refused for that (by a manager), nothing is deleted.
        ("reset_demo_data", sample(json!({}))),
        ("advance_demo_clock", sample(json!({"minutes": 1}))),
    ])
}

/// Where a role or level stands: the kiosk 0, then receptionist, shift lead, manager.
fn rank_of_access(access: Access) -> u8 {
    match access {
        Access::Kiosk => 0,
        Access::Staff(role) => role.rank(),
    }
}

fn rank_of(who: Who) -> u8 {
    match who {
        Who::Kiosk => 0,
        Who::Staff(role) => role.rank(),
    }
}

/// The data file in short, table by table.
fn digest(t: &TestApp) -> BTreeMap<String, digest::TableDigest> {
    t.desk
        .store()
        .read(digest::table_digests)
        .expect("a digest of the data file")
}

/// Waits for what allowed commands asked the sync engine to do (a refresh, a sync after new
/// settings): the engine does one thing at a time, in order, so a sync asked for now ends
/// after them. Then nothing is written in the background until the next command.
fn settle(t: &TestApp) {
    let _ = tauri::async_runtime::block_on(t.desk.sync_now());
}

#[test]
fn every_command_refuses_below_its_level_writes_nothing_then_and_shows_the_public_nothing_private()
{
    let _entry = crate::START_AT_LOGIN.lock();
    let t = TestApp::start(Backend::Quiet);
    let context = Context::seed(&t);
    let samples = samples(&t, &context);

    let missing: Vec<&str> = COMMANDS
        .iter()
        .map(|c| c.name)
        .filter(|name| !samples.contains_key(name))
        .collect();
    assert!(
        missing.is_empty(),
        "give these commands sample arguments in src-tauri/tests/app/walk.rs (samples): {missing:?}"
    );
    let stale: Vec<&&str> = samples
        .keys()
        .filter(|name| !COMMANDS.iter().any(|c| c.name == **name))
        .collect();
    assert!(
        stale.is_empty(),
        "samples for commands that do not exist: {stale:?}"
    );

    let mut private = PrivateValues::read(&t.desk);
    private.insert(NOTE);
    assert!(
        private.len() > 100,
        "the desk has private values to look for"
    );

    let mut failures = Vec::new();
    let mut walked = 0;
    let mut unsettled = true;
    for command in COMMANDS {
        if command.demo && !cfg!(feature = "demo") {
            continue;
        }
        let level: Level = command.access.expect("every command declares its level");
        let sample = &samples[command.name];
        for who in Who::ALL {
            t.become_(who);
            let allowed = rank_of(who) >= rank_of_access(level.access());
            let checks_writes = !allowed || sample.refuses_itself.is_some();
            let before = checks_writes.then(|| {
                if unsettled {
                    settle(&t);
                    unsettled = false;
                }
                digest(&t)
            });
            let answer = t.invoke(command.name, sample.args.clone());
            walked += 1;
            let at = format!("{} as {who:?}", command.name);
            let code = answer
                .as_ref()
                .err()
                .map(|e| e.get("code").and_then(Value::as_str).map(str::to_owned));
            match (&code, allowed) {
                // A Tauri error, not the command's: the sample arguments were not understood.
                (Some(None), _) => failures.push(format!("{at}: {answer:?}")),
                (Some(Some(code)), false) => {
                    let want = if who == Who::Kiosk {
                        "locked"
                    } else {
                        "forbidden"
                    };
                    if code != want {
                        failures.push(format!("{at}: answered {code}, not {want}"));
                    }
                }
                (None, false) => failures.push(format!("{at}: answered {answer:?}, not refused")),
                (Some(Some(code)), true) => {
                    let own = sample.refuses_itself == Some(code.as_str());
                    if (code == "locked" || code == "forbidden") && !own {
                        failures.push(format!("{at}: refused ({code}) at its level {level:?}"));
                    }
                    if sample.refuses_itself.is_some() && !own {
                        failures.push(format!(
                            "{at}: answered {code}, not {:?}",
                            sample.refuses_itself
                        ));
                    }
                }
                (None, true) => {
                    if let Some(own) = sample.refuses_itself {
                        failures.push(format!("{at}: answered {answer:?}, not {own}"));
                    }
                }
            }
            if let Some(before) = before {
                let after = digest(&t);
                let changed: Vec<&String> = after
                    .iter()
                    .filter(|(table, d)| before.get(*table) != Some(d))
                    .map(|(table, _)| table)
                    .collect();
                if !changed.is_empty() {
                    failures.push(format!("{at}: refused, yet wrote to {changed:?}"));
                }
            }
            if allowed && sample.refuses_itself.is_none() {
                unsettled = true;
            }
            if !who.sees_private() {
                let shown = match &answer {
                    Ok(v) | Err(v) => v,
                };
                // What the kiosk is shown by design a receptionist may be shown too.
                let by_design: Vec<Shown> = match who {
                    Who::Kiosk => sample.kiosk_sees.into_iter().collect(),
                    _ => sample
                        .kiosk_sees
                        .into_iter()
                        .chain(sample.receptionist_sees)
                        .collect(),
                };
                for leak in private.leaks(shown) {
                    if by_design.iter().any(|s| s.excuses(&leak)) {
                        continue;
                    }
                    let why: Vec<&str> = by_design.iter().map(|s| s.why).collect();
                    if why.is_empty() {
                        failures.push(format!("{at}: shown {leak}"));
                    } else {
                        failures.push(format!(
                            "{at}: shown {leak}, beyond what it shows by design ({})",
                            why.join("; ")
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "the access walk found {} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(walked >= 4 * 40, "walked {walked} calls");
    t.stop();
}

/// The release app (no `demo` feature) has none of the demo's commands: the webview's call to
/// each is refused as an unknown command. With the feature each is there. `make test` runs this
/// with the feature; `make test-release` without it (`cargo test -p loopdesk --test app`).
#[test]
fn the_demo_commands_are_there_only_in_a_build_with_the_demo_feature() {
    let t = TestApp::start(Backend::Quiet);
    let demo: Vec<&str> = COMMANDS.iter().filter(|c| c.demo).map(|c| c.name).collect();
    assert!(
        demo.len() >= 5,
        "the list marks the demo's commands: {demo:?}"
    );
    for name in demo {
        // Locked and without arguments: a command that is there refuses (locked, or a missing
        // argument) and does nothing; one that is not is unknown.
        let answer = t.invoke(name, json!({}));
        let unknown = answer
            .as_ref()
            .err()
            .is_some_and(|e| e.to_string().contains("not found"));
        assert_eq!(
            unknown,
            !cfg!(feature = "demo"),
            "{name} (demo feature {}): {answer:?}",
            cfg!(feature = "demo")
        );
    }
    t.stop();
}
