use chrono::NaiveDate;
use loopdesk_core::store::repo::{
    alerts::*, audit::*, bridge_events::*, care::*, outbox::*, people::*, settings::*,
    sync_state::*, training::*, Page,
};
use loopdesk_core::StoreError;
use serde_json::json;

use crate::{t, test_store};

fn resident(id: &str, name: &str, preferred: &str, room: &str) -> Resident {
    Resident {
        id: id.into(),
        full_name: name.into(),
        preferred_name: Some(preferred.into()),
        room_number: Some(room.into()),
        date_of_birth: NaiveDate::from_ymd_opt(1942, 3, 12),
        status: ResidentStatus::Current,
        dnar_status: DnarStatus::Dnar,
        location_id: Some("loc_1".into()),
        keyworker: Some(PersonRef {
            id: "stf_1".into(),
            full_name: "Priya Shah".into(),
        }),
        contacts: vec![
            Contact {
                id: format!("{id}_con_1"),
                name: "David Wilson".into(),
                relationship: Some("son".into()),
                phone: Some("07700 900123".into()),
                email: None,
                is_next_of_kin: true,
            },
            Contact {
                id: format!("{id}_con_2"),
                name: "Ann Wilson".into(),
                relationship: Some("daughter-in-law".into()),
                phone: None,
                email: Some("ann@example.org".into()),
                is_next_of_kin: false,
            },
        ],
        admitted_at: Some(t("2024-01-05T10:00:00Z")),
        discharged_at: None,
        created_at: Some(t("2024-01-05T10:00:00Z")),
        updated_at: t("2026-11-01T09:00:00Z"),
    }
}

fn staff(id: &str, name: &str) -> Staff {
    Staff {
        id: id.into(),
        full_name: name.into(),
        preferred_name: None,
        role: StaffRole::SeniorCarer,
        email: Some("priya@example.org".into()),
        phone: None,
        location_id: Some("loc_1".into()),
        status: StaffStatus::Active,
        certification_summary: Some(CertificationSummary {
            total: 9,
            valid: 6,
            expiring_30: 1,
            expiring_60: 1,
            expiring_90: 0,
            expired: 1,
        }),
        created_at: None,
        updated_at: t("2026-11-01T09:00:00Z"),
    }
}

#[test]
fn residents_round_trip_with_keyworker_and_contacts() {
    let ts = test_store();
    let maggie = resident("res_1", "Margaret Wilson", "Maggie", "12");
    ts.store
        .write(|tx| {
            upsert_staff(tx, &staff("stf_1", "Priya Shah"))?;
            upsert_resident(tx, &maggie)
        })
        .unwrap();
    let got = ts
        .store
        .read(|c| get_resident(c, "res_1"))
        .unwrap()
        .unwrap();
    assert_eq!(got, maggie);

    // Replacing the resident replaces the contact list whole.
    let mut changed = maggie.clone();
    changed.contacts.truncate(1);
    changed.dnar_status = DnarStatus::ForResus;
    ts.store.write(|tx| upsert_resident(tx, &changed)).unwrap();
    let got = ts
        .store
        .read(|c| get_resident(c, "res_1"))
        .unwrap()
        .unwrap();
    assert_eq!(got.contacts.len(), 1);
    assert_eq!(got.dnar_status, DnarStatus::ForResus);

    // A deletion takes the contacts with it.
    assert!(ts.store.write(|tx| delete_resident(tx, "res_1")).unwrap());
    assert!(ts
        .store
        .read(|c| get_resident(c, "res_1"))
        .unwrap()
        .is_none());
    let orphans: i64 = ts
        .store
        .read(|c| Ok(c.query_row("SELECT count(*) FROM resident_contacts", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(orphans, 0);
}

#[test]
fn resident_search_matches_name_words_preferred_name_and_room() {
    let ts = test_store();
    ts.store
        .write(|tx| {
            upsert_resident(tx, &resident("res_1", "Margaret Wilson", "Maggie", "12"))?;
            upsert_resident(tx, &resident("res_2", "Arthur Pemberton", "Art", "3A"))?;
            let mut gone = resident("res_3", "Wilfred Owen", "Wilf", "7");
            gone.status = ResidentStatus::Discharged;
            upsert_resident(tx, &gone)
        })
        .unwrap();
    let search = |text: &str, status: Option<ResidentStatus>| -> Vec<String> {
        ts.store
            .read(|c| {
                search_residents(
                    c,
                    &ResidentQuery {
                        text: Some(text.into()),
                        location_id: None,
                        status,
                    },
                    Page::default(),
                )
            })
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    assert_eq!(
        search("wil", None),
        ["res_1", "res_3"],
        "surname and first name"
    );
    assert_eq!(search("maggie", None), ["res_1"], "preferred name");
    assert_eq!(search("3a", None), ["res_2"], "room");
    assert_eq!(search("wil", Some(ResidentStatus::Current)), ["res_1"]);
    assert_eq!(
        search("%", None),
        ["res_2", "res_1", "res_3"],
        "wildcards are literal-safe"
    );
    assert!(search("zzz", None).is_empty());
}

#[test]
fn staff_and_locations_round_trip() {
    let ts = test_store();
    let s = staff("stf_1", "Priya Shah");
    let loc = Location {
        id: "loc_1".into(),
        name: "Avery Park".into(),
        address: Some("1 Avery Road, Leeds".into()),
        created_at: None,
        updated_at: t("2026-01-01T00:00:00Z"),
    };
    ts.store
        .write(|tx| {
            upsert_staff(tx, &s)?;
            upsert_location(tx, &loc)
        })
        .unwrap();
    // The summary CareLoop sent is not kept: it is counted from the certifications on the day
    // it is read (none here).
    let today: NaiveDate = "2026-11-25".parse().unwrap();
    let s = Staff {
        certification_summary: Some(CertificationSummary::default()),
        ..s
    };
    assert_eq!(
        ts.store.read(|c| get_staff(c, "stf_1", today)).unwrap(),
        Some(s.clone())
    );
    assert_eq!(
        ts.store
            .read(|c| list_staff(c, Some("loc_1"), Page::default(), today))
            .unwrap(),
        vec![s]
    );
    assert!(ts
        .store
        .read(|c| list_staff(c, Some("loc_2"), Page::default(), today))
        .unwrap()
        .is_empty());
    assert_eq!(ts.store.read(list_locations).unwrap(), vec![loc]);
}

#[test]
fn courses_and_certifications_by_expiry() {
    let ts = test_store();
    let course = Course {
        id: "crs_1".into(),
        name: "Fire safety".into(),
        code: Some("FIRE".into()),
        scope: CourseScope::System,
        mandatory: true,
        validity_months: Some(12),
        created_at: None,
        updated_at: t("2026-01-01T00:00:00Z"),
    };
    let cert = |id: &str, expires: &str| Certification {
        id: id.into(),
        staff_id: "stf_1".into(),
        course_id: "crs_1".into(),
        course_name: Some("Fire safety".into()),
        issued_on: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        expires_on: Some(expires.parse().unwrap()),
        status: Some(CertificationStatus::Valid),
        certificate_number: None,
        created_at: None,
        updated_at: t("2026-01-01T00:00:00Z"),
    };
    ts.store
        .write(|tx| {
            upsert_course(tx, &course)?;
            upsert_certification(tx, &cert("crt_late", "2027-06-01"))?;
            upsert_certification(tx, &cert("crt_soon", "2026-12-01"))?;
            upsert_certification(tx, &cert("crt_gone", "2026-10-01"))
        })
        .unwrap();
    assert_eq!(ts.store.read(list_courses).unwrap(), vec![course]);
    // Statuses are counted on the day they are read: on 1 August 2026 crt_soon (1 December) is
    // more than 90 days from its expiry, so valid, as the fixture says.
    let today: NaiveDate = "2026-08-01".parse().unwrap();
    let soon: Vec<_> = ts
        .store
        .read(|c| certifications_expiring_before(c, "2027-01-01".parse().unwrap(), today))
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(soon, ["crt_gone", "crt_soon"]);
    assert_eq!(
        ts.store
            .read(|c| certifications_for_staff(c, "stf_1", today))
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        ts.store
            .read(|c| get_certification(c, "crt_soon", today))
            .unwrap(),
        Some(cert("crt_soon", "2026-12-01"))
    );
}

fn visit(id: &str, starts: &str, ends: &str) -> Visit {
    Visit {
        id: id.into(),
        location_id: "loc_1".into(),
        staff_user_id: Some("stf_1".into()),
        resident_id: Some("res_1".into()),
        visit_type: "personal_care".into(),
        starts_at: t(starts),
        ends_at: t(ends),
        status: VisitStatus::Scheduled,
        notes: Some("Prefers shower.".into()),
        confirmed_at: None,
        completed_at: None,
        cancelled_at: None,
        cancel_reason: None,
        created_at: None,
        updated_at: t("2026-11-20T00:00:00Z"),
    }
}

#[test]
fn visits_in_a_window_in_start_order_and_bad_times_refused() {
    let ts = test_store();
    ts.store
        .write(|tx| {
            upsert_visit(
                tx,
                &visit("vis_2", "2026-11-22T11:00:00Z", "2026-11-22T12:00:00Z"),
            )?;
            upsert_visit(
                tx,
                &visit("vis_1", "2026-11-22T09:00:00Z", "2026-11-22T10:00:00Z"),
            )?;
            upsert_visit(
                tx,
                &visit("vis_3", "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z"),
            )
        })
        .unwrap();
    let today: Vec<_> = ts
        .store
        .read(|c| {
            visits_between(
                c,
                Some("loc_1"),
                t("2026-11-22T00:00:00Z"),
                t("2026-11-23T00:00:00Z"),
            )
        })
        .unwrap()
        .into_iter()
        .map(|v| v.id)
        .collect();
    assert_eq!(today, ["vis_1", "vis_2"]);

    let backwards = visit("vis_bad", "2026-11-22T10:00:00Z", "2026-11-22T09:00:00Z");
    let err = ts
        .store
        .write(|tx| upsert_visit(tx, &backwards))
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)));
    assert!(ts
        .store
        .read(|c| get_visit(c, "vis_bad"))
        .unwrap()
        .is_none());
}

#[test]
fn incidents_keep_body_map_witnesses_and_fall_details() {
    let ts = test_store();
    let fall = Incident {
        id: "inc_1".into(),
        location_id: "loc_1".into(),
        resident_id: Some("res_1".into()),
        kind: IncidentType::Fall,
        severity: Severity::Critical,
        status: IncidentStatus::Open,
        title: "Witnessed fall in lounge".into(),
        description: Some("Slipped getting up from chair".into()),
        occurred_at: t("2026-11-22T08:14:55Z"),
        reported_by_staff_id: Some("stf_1".into()),
        body_map: vec![
            BodyMapRegion {
                region: "hip".into(),
                side: Some(BodySide::Left),
                note: Some("bruising".into()),
            },
            BodyMapRegion {
                region: "forearm".into(),
                side: Some(BodySide::Right),
                note: None,
            },
        ],
        witnesses: vec![Witness {
            name: "Tom Briggs".into(),
            staff_id: Some("stf_2".into()),
            statement: Some("Saw her lose balance".into()),
        }],
        fall: Some(FallDetails {
            place: "lounge".into(),
            was_witnessed: true,
            injury: FallInjury::Minor,
            hospital_transfer: false,
        }),
        created_at: None,
        updated_at: t("2026-11-22T08:20:00Z"),
    };
    ts.store.write(|tx| upsert_incident(tx, &fall)).unwrap();
    assert_eq!(
        ts.store.read(|c| get_incident(c, "inc_1")).unwrap(),
        Some(fall.clone())
    );
    let recent = ts
        .store
        .read(|c| incidents_since(c, Some("loc_1"), t("2026-11-01T00:00:00Z")))
        .unwrap();
    assert_eq!(recent.len(), 1);
    assert!(ts.store.write(|tx| delete_incident(tx, "inc_1")).unwrap());
    let children: i64 = ts
        .store
        .read(|c| {
            Ok(c.query_row(
                "SELECT (SELECT count(*) FROM incident_body_map)
                      + (SELECT count(*) FROM incident_witnesses)",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(children, 0);
}

#[test]
fn care_notes_newest_first_and_empty_notes_refused() {
    let ts = test_store();
    let note = |id: &str, at: &str, body: &str| CareNote {
        id: id.into(),
        resident_id: "res_1".into(),
        author_staff_id: None,
        author_name: "Priya Shah".into(),
        category: "general".into(),
        body: body.into(),
        recorded_at: t(at),
        created_at: None,
        updated_at: t(at),
    };
    ts.store
        .write(|tx| {
            upsert_care_note(tx, &note("not_1", "2026-11-21T10:00:00Z", "Ate well"))?;
            upsert_care_note(tx, &note("not_2", "2026-11-22T10:00:00Z", "Visited by son"))
        })
        .unwrap();
    let ids: Vec<_> = ts
        .store
        .read(|c| care_notes_for_resident(c, "res_1"))
        .unwrap()
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(ids, ["not_2", "not_1"]);
    let err = ts
        .store
        .write(|tx| upsert_care_note(tx, &note("not_3", "2026-11-22T11:00:00Z", "   ")))
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)));
}

#[test]
fn visitors_on_site_are_those_not_signed_out() {
    let ts = test_store();
    let sign_in = |id: &str, out: Option<&str>| VisitorSignIn {
        id: id.into(),
        location_id: "loc_1".into(),
        visitor_name: format!("Visitor {id}"),
        visiting_resident_id: Some("res_1".into()),
        purpose: "family visit".into(),
        phone: None,
        car_registration: None,
        signed_in_at: t("2026-11-22T10:00:00Z"),
        signed_out_at: out.map(t),
        created_at: None,
        updated_at: t("2026-11-22T10:00:00Z"),
    };
    ts.store
        .write(|tx| {
            upsert_visitor_sign_in(tx, &sign_in("vsi_1", None))?;
            upsert_visitor_sign_in(tx, &sign_in("vsi_2", Some("2026-11-22T11:00:00Z")))
        })
        .unwrap();
    let on_site: Vec<_> = ts
        .store
        .read(|c| visitors_on_site(c, "loc_1"))
        .unwrap()
        .into_iter()
        .map(|v| v.id)
        .collect();
    assert_eq!(on_site, ["vsi_1"]);
    let err = ts
        .store
        .write(|tx| upsert_visitor_sign_in(tx, &sign_in("vsi_3", Some("2026-11-22T09:00:00Z"))))
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid(_)),
        "signed out before signing in"
    );
}

#[test]
fn outbox_entries_commit_with_their_domain_row_or_not_at_all() {
    let ts = test_store();
    // A write whose domain row fails leaves no outbox entry behind.
    let bad = visit("vis_x", "2026-11-22T10:00:00Z", "2026-11-22T09:00:00Z");
    let result = ts.store.write(|tx| {
        enqueue(
            tx,
            &NewOutboxEntry {
                op: "visit.create",
                entity: "visit",
                entity_id: "vis_x",
                payload: json!({"starts_at": "2026-11-22T10:00:00Z"}),
            },
        )?;
        upsert_visit(tx, &bad)
    });
    assert!(result.is_err());
    assert_eq!(ts.store.read(outbox_counts).unwrap(), (0, 0));

    let first = ts
        .store
        .write(|tx| {
            upsert_visit(
                tx,
                &visit("vis_1", "2026-11-22T09:00:00Z", "2026-11-22T10:00:00Z"),
            )?;
            enqueue(
                tx,
                &NewOutboxEntry {
                    op: "visit.confirm",
                    entity: "visit",
                    entity_id: "vis_1",
                    payload: json!({"status": "confirmed"}),
                },
            )
        })
        .unwrap();
    let second = ts
        .store
        .write(|tx| {
            enqueue(
                tx,
                &NewOutboxEntry {
                    op: "care_note.create",
                    entity: "care_note",
                    entity_id: "tmp_1",
                    payload: json!({"body": "Ate well"}),
                },
            )
        })
        .unwrap();
    assert!(second.seq > first.seq);
    assert_ne!(first.client_id, second.client_id);
    assert!(uuid::Uuid::parse_str(&first.client_id).is_ok());
    assert!(ts
        .store
        .read(|c| has_unacknowledged_write(c, "visit", "vis_1"))
        .unwrap());

    let pending = ts
        .store
        .read(|c| outbox_entries(c, OutboxStatus::Pending))
        .unwrap();
    assert_eq!(
        pending.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [first.seq, second.seq]
    );

    // Retry bookkeeping, then the server refuses the note: it is parked, never dropped.
    ts.store
        .write(|tx| record_outbox_retry(tx, first.seq, "connection refused", None))
        .unwrap();
    ts.store
        .write(|tx| {
            park_outbox_entry(
                tx,
                second.seq,
                "body is too long",
                &json!({"body": "too_long"}),
            )
        })
        .unwrap();
    assert_eq!(ts.store.read(outbox_counts).unwrap(), (1, 1));
    let parked = ts
        .store
        .read(|c| outbox_entries(c, OutboxStatus::NeedsAttention))
        .unwrap();
    assert_eq!(parked[0].field_errors, Some(json!({"body": "too_long"})));

    ts.store
        .write(|tx| resubmit_outbox_entry(tx, second.seq, &json!({"body": "Ate well."})))
        .unwrap();
    assert_eq!(ts.store.read(outbox_counts).unwrap(), (2, 0));

    ts.store
        .write(|tx| complete_outbox_entry(tx, first.seq))
        .unwrap();
    assert!(!ts
        .store
        .read(|c| has_unacknowledged_write(c, "visit", "vis_1"))
        .unwrap());
    let again = ts
        .store
        .write(|tx| complete_outbox_entry(tx, first.seq))
        .unwrap_err();
    assert!(matches!(again, StoreError::NotFound { .. }));
}

#[test]
fn an_event_is_stored_once_and_raises_one_alert_until_acknowledged() {
    let ts = test_store();
    let event = BridgeEvent {
        id: "evt_1".into(),
        cursor: "1".into(),
        source: "careloop".into(),
        kind: "incident.critical".into(),
        occurred_at: Some(t("2026-11-22T08:14:55Z")),
        received_at: t("2026-11-22T08:14:56Z"),
        resource_id: Some("inc_1".into()),
        data: json!({"incident_id": "inc_1", "severity": "critical"}),
    };
    let alert = NewAlert {
        key: "incident:inc_1",
        event_id: Some("evt_1"),
        kind: "incident.critical",
        title: "Critical incident: witnessed fall in lounge",
        detail: None,
        location_id: Some("loc_1"),
        resident_id: Some("res_1"),
        resource_id: Some("inc_1"),
        when_at: None,
    };
    assert!(ts
        .store
        .write(|tx| insert_bridge_event(tx, &event))
        .unwrap());
    assert!(!ts
        .store
        .write(|tx| insert_bridge_event(tx, &event))
        .unwrap());
    assert_eq!(ts.store.read(count_bridge_events).unwrap(), 1);
    let id = ts
        .store
        .write(|tx| raise_alert(tx, &alert))
        .unwrap()
        .unwrap();
    assert_eq!(ts.store.write(|tx| raise_alert(tx, &alert)).unwrap(), None);
    assert_eq!(ts.store.read(open_alerts).unwrap().len(), 1);

    let err = ts
        .store
        .write(|tx| acknowledge_alert(tx, id, " "))
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)));
    let acked = ts
        .store
        .write(|tx| acknowledge_alert(tx, id, "Priya Shah"))
        .unwrap();
    assert_eq!(acked.acknowledged_by.as_deref(), Some("Priya Shah"));
    assert!(acked.acknowledged_at.is_some());
    // A second acknowledgement does not rewrite who and when.
    let again = ts
        .store
        .write(|tx| acknowledge_alert(tx, id, "Someone else"))
        .unwrap();
    assert_eq!(again.acknowledged_by.as_deref(), Some("Priya Shah"));
    assert!(ts.store.read(open_alerts).unwrap().is_empty());
    assert_eq!(ts.store.read(|c| recent_alerts(c, 10)).unwrap().len(), 1);
}

#[test]
fn sync_state_records_cursor_success_and_errors() {
    let ts = test_store();
    let fresh = ts.store.read(|c| get_sync_state(c, "residents")).unwrap();
    assert_eq!(fresh.cursor, None);
    ts.store
        .write(|tx| {
            set_sync_cursor(tx, "residents", Some("2026-11-22T10:00:00.000Z"))?;
            record_sync_error(tx, "residents", "timed out")
        })
        .unwrap();
    let s = ts.store.read(|c| get_sync_state(c, "residents")).unwrap();
    assert_eq!(s.last_error.as_deref(), Some("timed out"));
    ts.store
        .write(|tx| record_sync_success(tx, "residents", true))
        .unwrap();
    let s = ts.store.read(|c| get_sync_state(c, "residents")).unwrap();
    assert_eq!(s.cursor.as_deref(), Some("2026-11-22T10:00:00.000Z"));
    assert!(s.last_error.is_none() && s.last_success_at.is_some() && s.last_full_at.is_some());
    assert_eq!(ts.store.read(all_sync_states).unwrap().len(), 1);
}

#[rstest::rstest]
#[case("api_key")]
#[case("bridge.device-token")]
#[case("PIN")]
#[case("webhook_secret")]
#[case("")]
fn settings_refuse_anything_that_looks_like_a_secret(#[case] key: &str) {
    let ts = test_store();
    let err = ts.store.write(|tx| set_setting(tx, key, "x")).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)));
    assert_eq!(ts.store.read(|c| get_setting(c, key)).unwrap(), None);
}

#[test]
fn settings_round_trip() {
    let ts = test_store();
    ts.store
        .write(|tx| set_setting(tx, "api_base_url", "https://a"))
        .unwrap();
    ts.store
        .write(|tx| set_setting(tx, "api_base_url", "https://b"))
        .unwrap();
    assert_eq!(
        ts.store
            .read(|c| get_setting(c, "api_base_url"))
            .unwrap()
            .as_deref(),
        Some("https://b")
    );
    assert!(ts
        .store
        .write(|tx| delete_setting(tx, "api_base_url"))
        .unwrap());
}

#[test]
fn the_audit_log_is_append_only() {
    let ts = test_store();
    let id = ts
        .store
        .write(|tx| {
            audit(
                tx,
                "stf_1",
                "alert.acknowledge",
                Some(("alert", "1")),
                Some(&json!({"a": 1})),
            )
        })
        .unwrap();
    let entries = ts
        .store
        .read(|c| audit_entries(c, Some(("alert", "1")), 10))
        .unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].id, id);
    assert_eq!(entries[0].detail, Some(json!({"a": 1})));
    let update = ts.store.write(|tx| {
        tx.execute("UPDATE audit_log SET actor = 'someone'", [])?;
        Ok(())
    });
    assert!(update.is_err());
    let delete = ts.store.write(|tx| {
        tx.execute("DELETE FROM audit_log", [])?;
        Ok(())
    });
    assert!(delete.is_err());
    assert_eq!(
        ts.store.read(|c| audit_entries(c, None, 10)).unwrap().len(),
        1
    );
}

#[rstest::rstest]
#[case::ninety_one_days_left("2026-08-31", CertificationStatus::Valid)]
#[case::ninety_days_left("2026-09-01", CertificationStatus::Expiring)]
#[case::expires_tomorrow("2026-11-29", CertificationStatus::Expiring)]
#[case::expires_today("2026-11-30", CertificationStatus::Expiring)]
#[case::expired_yesterday("2026-12-01", CertificationStatus::Expired)]
fn a_certifications_status_is_counted_on_the_day_it_is_read(
    #[case] today: &str,
    #[case] want: CertificationStatus,
) {
    let ts = test_store();
    // CareLoop said "valid" when it was pulled; the desk went offline after.
    let cert = Certification {
        id: "crt_1".into(),
        staff_id: "stf_1".into(),
        course_id: "crs_1".into(),
        course_name: Some("Fire safety".into()),
        issued_on: "2025-11-30".parse().unwrap(),
        expires_on: Some("2026-11-30".parse().unwrap()),
        status: Some(CertificationStatus::Valid),
        certificate_number: None,
        created_at: None,
        updated_at: t("2026-01-01T00:00:00Z"),
    };
    ts.store
        .write(|tx| {
            upsert_staff(tx, &staff("stf_1", "Priya Shah"))?;
            upsert_certification(tx, &cert)
        })
        .unwrap();
    let today: NaiveDate = today.parse().unwrap();
    let got = ts
        .store
        .read(|c| get_certification(c, "crt_1", today))
        .unwrap()
        .unwrap();
    assert_eq!(got.status, Some(want));
    let summary = ts
        .store
        .read(|c| get_staff(c, "stf_1", today))
        .unwrap()
        .unwrap()
        .certification_summary
        .unwrap();
    assert_eq!(summary.total, 1);
    let counted = match want {
        CertificationStatus::Valid => summary.valid,
        CertificationStatus::Expiring => {
            summary.expiring_30 + summary.expiring_60 + summary.expiring_90
        }
        CertificationStatus::Expired => summary.expired,
    };
    assert_eq!(counted, 1, "{summary:?}");
}

#[test]
fn the_staff_summary_counts_each_band_to_the_day() {
    let ts = test_store();
    let today: NaiveDate = "2027-03-28".parse().unwrap();
    let days = |n: i64| (today + chrono::TimeDelta::days(n)).to_string();
    let expiries = [
        Some(days(-1)),
        Some(days(0)),
        Some(days(30)),
        Some(days(31)),
        Some(days(60)),
        Some(days(61)),
        Some(days(90)),
        Some(days(91)),
        None,
    ];
    ts.store
        .write(|tx| {
            upsert_staff(tx, &staff("stf_1", "Priya Shah"))?;
            upsert_staff(tx, &staff("stf_2", "Tom Reed"))?;
            for (i, expires) in expiries.iter().enumerate() {
                upsert_certification(
                    tx,
                    &Certification {
                        id: format!("crt_{i}"),
                        staff_id: "stf_1".into(),
                        course_id: format!("crs_{i}"),
                        course_name: None,
                        issued_on: "2020-01-01".parse().unwrap(),
                        expires_on: expires.as_ref().map(|e| e.parse().unwrap()),
                        // What CareLoop said is ignored.
                        status: Some(CertificationStatus::Expired),
                        certificate_number: None,
                        created_at: None,
                        updated_at: t("2026-01-01T00:00:00Z"),
                    },
                )?;
            }
            Ok(())
        })
        .unwrap();
    let listed = ts
        .store
        .read(|c| list_staff(c, None, Page::default(), today))
        .unwrap();
    let summary = |id: &str| {
        listed
            .iter()
            .find(|s| s.id == id)
            .unwrap()
            .certification_summary
            .unwrap()
    };
    assert_eq!(
        summary("stf_1"),
        CertificationSummary {
            total: 9,
            valid: 2,
            expiring_30: 2,
            expiring_60: 2,
            expiring_90: 2,
            expired: 1,
        }
    );
    assert_eq!(summary("stf_2"), CertificationSummary::default());
}

#[test]
fn open_alerts_lead_with_the_most_urgent_and_say_their_time_as_read() {
    let ts = test_store();
    let raise = |key: &str, kind: &str, title: &str, when: Option<&str>| {
        ts.store
            .write(|tx| {
                raise_alert(
                    tx,
                    &NewAlert {
                        key,
                        event_id: None,
                        kind,
                        title,
                        detail: Some("Due {when}."),
                        location_id: None,
                        resident_id: None,
                        resource_id: None,
                        when_at: when.map(t),
                    },
                )
            })
            .unwrap()
            .unwrap()
    };
    // Raised in this order: an older missed visit, a critical incident, a newer missed visit,
    // something else.
    let old_miss = raise(
        "a",
        "visit.no_show",
        "Missed visit due {when}",
        Some("2025-01-01T10:00:00Z"),
    );
    let crit = raise("b", "incident.critical", "Critical incident", None);
    let new_miss = raise(
        "c",
        "visit.no_show",
        "Missed visit due {when}",
        Some("2026-11-25T09:30:00Z"),
    );
    let other = raise("d", "cert.expired", "Certificate expired", None);
    let now = t("2026-11-25T12:00:00Z");
    let open = ts.store.read(|c| open_alerts_at(c, now)).unwrap();
    let order: Vec<i64> = open.iter().map(|a| a.id).collect();
    assert_eq!(order, [crit, new_miss, old_miss, other]);
    assert_eq!(open[1].title, "Missed visit due today at 09:30");
    assert_eq!(open[2].title, "Missed visit due Wed 1 Jan 2025 at 10:00");
    assert_eq!(
        open[2].detail.as_deref(),
        Some("Due Wed 1 Jan 2025 at 10:00.")
    );
    // Read the next day, "today" has become "yesterday": nothing goes stale.
    let tomorrow = t("2026-11-26T08:00:00Z");
    let open = ts.store.read(|c| open_alerts_at(c, tomorrow)).unwrap();
    assert_eq!(open[1].title, "Missed visit due yesterday at 09:30");
}

#[rstest::rstest]
#[case::mid_word("arsh", &["res_marsh", "res_marshall"])]
#[case::any_order("parker brenda", &["res_brenda"])]
#[case::same_words_other_order("brenda parker", &["res_brenda"])]
#[case::part_of_each("ren park", &["res_brenda"])]
#[case::preferred_name("bren", &["res_brenda"])]
#[case::room_short("4b", &["res_zoe"])]
#[case::room_long("104", &["res_marsh"])]
#[case::accent_ignored("zoe", &["res_zoe"])]
#[case::accent_typed("zoë", &["res_zoe"])]
#[case::case_ignored("MARSH", &["res_marsh", "res_marshall"])]
#[case::short_initial_and_word("d marsh", &["res_marsh"])]
#[case::nothing("xyz", &[])]
#[case::every_word_must_match("marsh brenda", &[])]
fn resident_search_finds_every_word_anywhere(#[case] typed: &str, #[case] want: &[&str]) {
    let ts = test_store();
    ts.store
        .write(|tx| {
            let mut r = resident("res_marsh", "Dennis Marsh", "Den", "104");
            upsert_resident(tx, &r)?;
            r = resident("res_marshall", "Alice Marshall", "Ally", "7");
            upsert_resident(tx, &r)?;
            r = resident("res_brenda", "Brenda Parker", "Bren", "12");
            upsert_resident(tx, &r)?;
            r = resident("res_zoe", "Zoë Lefèvre", "Zoë", "4B");
            upsert_resident(tx, &r)
        })
        .unwrap();
    let found: Vec<String> = ts
        .store
        .read(|c| {
            search_residents(
                c,
                &ResidentQuery {
                    text: Some(typed.into()),
                    location_id: None,
                    status: None,
                },
                Page::default(),
            )
        })
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut found = found;
    found.sort();
    assert_eq!(found, want, "{typed:?}");
}

#[test]
fn resident_search_follows_changes_and_deletions() {
    let ts = test_store();
    let find = |typed: &str| -> Vec<String> {
        ts.store
            .read(|c| {
                search_residents(
                    c,
                    &ResidentQuery {
                        text: Some(typed.into()),
                        ..ResidentQuery::default()
                    },
                    Page::default(),
                )
            })
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    let mut r = resident("res_1", "Dennis Marsh", "Den", "104");
    ts.store.write(|tx| upsert_resident(tx, &r)).unwrap();
    assert_eq!(find("marsh"), ["res_1"]);
    r.full_name = "Dennis Fletcher".into();
    ts.store.write(|tx| upsert_resident(tx, &r)).unwrap();
    assert!(
        find("marsh").is_empty(),
        "the old name is gone from the index"
    );
    assert_eq!(find("fletch"), ["res_1"]);
    ts.store.write(|tx| delete_resident(tx, "res_1")).unwrap();
    assert!(find("fletch").is_empty());
}
