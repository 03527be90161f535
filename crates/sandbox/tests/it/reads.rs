//! Read endpoints: shapes, filters, pagination, single resources.

use rstest::rstest;
use serde_json::Value;

use crate::common::*;

#[rstest]
#[case("/v1/residents", 40)]
#[case("/v1/staff", 30)]
#[case("/v1/courses", 11)]
#[case("/v1/locations", 1)]
#[tokio::test]
async fn lists_have_data_and_meta(#[case] path: &str, #[case] total: u64) {
    let t = start().await;
    let r = t.get(path).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["meta"]["total"], total, "{path}");
    assert_eq!(r.body["meta"]["page"], 1);
    assert_eq!(r.body["meta"]["page_size"], 50);
    assert_eq!(
        r.body["data"].as_array().map(Vec::len),
        Some(total.min(50) as usize)
    );
}

#[tokio::test]
async fn pagination_walks_every_item_once() {
    let t = start().await;
    let mut seen = std::collections::BTreeSet::new();
    for page in 1..=4 {
        let r = t
            .get(&format!("/v1/residents?page_size=15&page={page}"))
            .await;
        assert_eq!(
            r.body["meta"],
            serde_json::json!({"total": 40, "page": page, "page_size": 15})
        );
        for item in r.body["data"].as_array().unwrap() {
            assert!(
                seen.insert(item["id"].as_str().unwrap().to_string()),
                "duplicate across pages"
            );
        }
    }
    assert_eq!(seen.len(), 40);
}

#[tokio::test]
async fn resident_has_documented_shape_with_location_keyworker_and_contacts() {
    let t = start().await;
    let residents = t.all("/v1/residents").await;
    let r = residents
        .iter()
        .find(|r| !r["keyworker"].is_null())
        .expect("a resident with a keyworker");
    let one = t
        .get(&format!("/v1/residents/{}", r["id"].as_str().unwrap()))
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(&one.body, r, "list items carry the full single shape");
    for k in [
        "id",
        "full_name",
        "preferred_name",
        "room_number",
        "date_of_birth",
        "status",
        "dnar_status",
        "location",
        "location_id",
        "keyworker",
        "contacts",
        "admitted_at",
        "discharged_at",
        "created_at",
        "updated_at",
    ] {
        assert!(one.body.get(k).is_some(), "missing {k}");
    }
    assert!(one.body.get("deleted_at").is_none());
    assert_eq!(one.body["location"]["id"], one.body["location_id"]);
    assert!(one.body["id"].as_str().unwrap().starts_with("res_"));
    assert!(one.body["keyworker"]["id"]
        .as_str()
        .unwrap()
        .starts_with("stf_"));
    assert!(one.body["contacts"][0]["id"]
        .as_str()
        .unwrap()
        .starts_with("con_"));
    assert!(one.body["created_at"].as_str().unwrap().ends_with('Z'));
    // The keyworker is a real staff member.
    let kw = t
        .get(&format!(
            "/v1/staff/{}",
            one.body["keyworker"]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(kw.status, 200);
    assert_eq!(kw.body["full_name"], one.body["keyworker"]["full_name"]);
}

#[rstest]
#[case("/v1/residents/res_nope")]
#[case("/v1/staff/stf_nope")]
#[case("/v1/incidents/inc_nope")]
#[case("/v1/visits/vis_nope")]
#[case("/v1/residents/res_nope/care-notes")]
#[case("/v1/staff/stf_nope/certifications")]
#[tokio::test]
async fn unknown_ids_are_404(#[case] path: &str) {
    let t = start().await;
    assert_error(&t.get(path).await, 404, "not_found");
}

#[tokio::test]
async fn resident_filters() {
    let t = start().await;
    let all = t.all("/v1/residents").await;
    let discharged = t.all("/v1/residents?status=discharged").await;
    assert!(discharged.iter().all(|r| r["status"] == "discharged"));
    let current = t.all("/v1/residents?status=current").await;
    assert!(current.len() < all.len() && !current.is_empty());
    // q matches name, preferred name or room, case-insensitively.
    let target = &all[3];
    let last = target["full_name"]
        .as_str()
        .unwrap()
        .split(' ')
        .next_back()
        .unwrap()
        .to_uppercase();
    let found = t.all(&format!("/v1/residents?q={last}")).await;
    assert!(found.iter().any(|r| r["id"] == target["id"]));
    assert!(found.iter().all(|r| {
        let hay = format!(
            "{} {} {}",
            r["full_name"], r["preferred_name"], r["room_number"]
        )
        .to_uppercase();
        hay.contains(&last)
    }));
    let room = target["room_number"].as_str().unwrap();
    let by_room = t.all(&format!("/v1/residents?q={room}")).await;
    assert!(by_room.iter().any(|r| r["id"] == target["id"]));
    let loc = target["location_id"].as_str().unwrap();
    assert_eq!(
        t.all(&format!("/v1/residents?location_id={loc}"))
            .await
            .len(),
        all.len()
    );
    assert!(t
        .all("/v1/residents?location_id=loc_other")
        .await
        .is_empty());
}

#[tokio::test]
async fn staff_have_roles_and_certification_summaries_matching_their_certifications() {
    let t = start().await;
    let staff = t.all("/v1/staff").await;
    let roles: std::collections::BTreeSet<&str> =
        staff.iter().map(|s| s["role"].as_str().unwrap()).collect();
    assert!(roles.contains("manager") && roles.contains("carer") && roles.contains("shift_lead"));
    let s = &staff[0];
    let certs = t
        .all(&format!(
            "/v1/staff/{}/certifications",
            s["id"].as_str().unwrap()
        ))
        .await;
    let sum = &s["certification_summary"];
    assert_eq!(sum["total"], certs.len());
    let expired = certs.iter().filter(|c| c["status"] == "expired").count();
    assert_eq!(sum["expired"], expired);
    let expiring = certs.iter().filter(|c| c["status"] == "expiring").count() as u64;
    assert_eq!(
        sum["expiring_30"].as_u64().unwrap()
            + sum["expiring_60"].as_u64().unwrap()
            + sum["expiring_90"].as_u64().unwrap(),
        expiring
    );
    // Filters.
    let carers = t.all("/v1/staff?role=carer").await;
    assert!(!carers.is_empty() && carers.iter().all(|s| s["role"] == "carer"));
}

#[tokio::test]
async fn certifications_org_wide_with_filters() {
    let t = start().await;
    let all = t.all("/v1/certifications").await;
    assert_eq!(all.len(), 30 * 9);
    for status in ["valid", "expiring", "expired"] {
        let some = t.all(&format!("/v1/certifications?status={status}")).await;
        assert!(!some.is_empty(), "{status}");
        assert!(some.iter().all(|c| c["status"] == status));
    }
    let staff_id = all[0]["staff_id"].as_str().unwrap();
    let mine = t
        .all(&format!("/v1/certifications?staff_id={staff_id}"))
        .await;
    assert_eq!(mine.len(), 9);
}

#[tokio::test]
async fn courses_system_and_org() {
    let t = start().await;
    let system = t.all("/v1/courses?scope=system").await;
    let names: Vec<&str> = system.iter().map(|c| c["name"].as_str().unwrap()).collect();
    for n in [
        "Moving and handling",
        "Fire safety",
        "Safeguarding adults",
        "Medication",
        "Infection control",
        "First aid",
        "Food hygiene",
        "Dementia awareness",
        "Basic life support",
    ] {
        assert!(names.contains(&n), "{n}");
    }
    assert!(system.iter().all(|c| c["mandatory"] == true));
    let org = t.all("/v1/courses?scope=organization").await;
    assert!(!org.is_empty());
}

#[tokio::test]
async fn visits_filters() {
    let t = start().await;
    let now = t
        .control(reqwest::Method::GET, "/v1/_test/clock", None)
        .await
        .body["now"]
        .as_str()
        .unwrap()
        .to_string();
    let future = t.all(&format!("/v1/visits?from={now}")).await;
    let past = t.all(&format!("/v1/visits?to={now}")).await;
    assert!(!future.is_empty() && !past.is_empty());
    assert!(future
        .iter()
        .all(|v| v["starts_at"].as_str().unwrap() >= now.as_str()));
    assert!(future
        .iter()
        .all(|v| ["scheduled", "confirmed"].contains(&v["status"].as_str().unwrap())));
    assert!(past.iter().any(|v| v["status"] == "completed"));
    let staff = future[0]["staff_user_id"].as_str().unwrap();
    let mine = t.all(&format!("/v1/visits?staff_user_id={staff}")).await;
    assert!(mine.iter().all(|v| v["staff_user_id"] == staff));
    let completed = t.all("/v1/visits?status=completed").await;
    assert!(completed.iter().all(|v| v["status"] == "completed"));
    // ordered by starts_at
    let starts: Vec<&str> = future
        .iter()
        .map(|v| v["starts_at"].as_str().unwrap())
        .collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]));
}

#[tokio::test]
async fn incidents_filters_and_falls() {
    let t = start().await;
    let all = t.all("/v1/incidents").await;
    assert!(!all.is_empty());
    let falls = t.all("/v1/incidents?type=fall").await;
    assert!(falls
        .iter()
        .all(|i| i["type"] == "fall" && i["fall"].is_object()));
    let others: Vec<&Value> = all.iter().filter(|i| i["type"] != "fall").collect();
    assert!(others.iter().all(|i| i["fall"].is_null()));
    for (k, v) in [("severity", "low"), ("status", "open")] {
        let some = t.all(&format!("/v1/incidents?{k}={v}")).await;
        assert!(some.iter().all(|i| i[k] == v));
    }
    let one = t
        .get(&format!("/v1/incidents/{}", all[0]["id"].as_str().unwrap()))
        .await;
    assert_eq!(one.body, all[0]);
}

#[tokio::test]
async fn care_notes_timeline_newest_first() {
    let t = start().await;
    let r = t.first("/v1/residents?status=current").await;
    let notes = t
        .all(&format!(
            "/v1/residents/{}/care-notes",
            r["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(notes.len(), 3);
    assert!(notes.iter().all(|n| n["resident_id"] == r["id"]));
    let at: Vec<&str> = notes
        .iter()
        .map(|n| n["recorded_at"].as_str().unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] >= w[1]));
}

#[tokio::test]
async fn audit_log_records_key_ip_and_resource_and_is_searchable() {
    let t = start().await;
    let r = t.first("/v1/residents").await;
    let id = r["id"].as_str().unwrap();
    t.get(&format!("/v1/residents/{id}")).await;
    let found = t.get(&format!("/v1/audit-log?q={id}")).await;
    assert_eq!(found.status, 200);
    let e = &found.body["data"][0];
    assert_eq!(e["resource_type"], "resident");
    assert_eq!(e["resource_id"], id);
    assert_eq!(e["ip"], "127.0.0.1");
    assert_eq!(e["method"], "GET");
    assert_eq!(e["status"], 200);
    assert_eq!(e["key_id"], t.sb.keys()[0].id);
    let total = t.get("/v1/audit-log").await.body["meta"]["total"]
        .as_u64()
        .unwrap();
    assert!(total >= 3);
    let page = t.get("/v1/audit-log?page_size=1&page=2").await;
    assert_eq!(page.body["data"].as_array().unwrap().len(), 1);
}
