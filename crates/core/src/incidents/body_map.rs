//! The body map: a fixed list of regions, front and back, each with a code that is stored and
//! sent (`head.front`, `hip.left`), a label for the screen and a reader, the view it is drawn on
//! and the body's side. A code not in this list is refused beside the field.
//!
//! Codes are `<part>[.<qualifier>]`: the qualifier is `front`/`back` for a part seen from both
//! views, `left`/`right` for the body's own left and right. Never change a released code:
//! incidents store them.

use serde::Serialize;
use ts_rs::TS;

/// On which drawing a region is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum BodyView {
    Front,
    Back,
}

/// One region of the body map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct BodyRegion {
    pub code: &'static str,
    pub label: &'static str,
    pub view: BodyView,
    /// The body's own side (`left`/`right`), none for the middle.
    pub side: Option<&'static str>,
}

const fn r(
    code: &'static str,
    label: &'static str,
    view: BodyView,
    side: Option<&'static str>,
) -> BodyRegion {
    BodyRegion {
        code,
        label,
        view,
        side,
    }
}

use BodyView::{Back, Front};
const L: Option<&str> = Some("left");
const R: Option<&str> = Some("right");

/// Every region, front first, head to foot (the keyboard order of the map).
pub const REGIONS: &[BodyRegion] = &[
    r("head.front", "Head (front)", Front, None),
    r("face", "Face", Front, None),
    r("neck.front", "Neck (front)", Front, None),
    r("shoulder.left", "Left shoulder", Front, L),
    r("shoulder.right", "Right shoulder", Front, R),
    r("chest", "Chest", Front, None),
    r("abdomen", "Abdomen", Front, None),
    r("arm.upper.left", "Left upper arm", Front, L),
    r("arm.upper.right", "Right upper arm", Front, R),
    r("forearm.left", "Left forearm", Front, L),
    r("forearm.right", "Right forearm", Front, R),
    r("wrist.left", "Left wrist", Front, L),
    r("wrist.right", "Right wrist", Front, R),
    r("hand.left", "Left hand", Front, L),
    r("hand.right", "Right hand", Front, R),
    r("hip.left", "Left hip", Front, L),
    r("hip.right", "Right hip", Front, R),
    r("groin", "Groin", Front, None),
    r("thigh.left", "Left thigh", Front, L),
    r("thigh.right", "Right thigh", Front, R),
    r("knee.left", "Left knee", Front, L),
    r("knee.right", "Right knee", Front, R),
    r("shin.left", "Left shin", Front, L),
    r("shin.right", "Right shin", Front, R),
    r("ankle.left", "Left ankle", Front, L),
    r("ankle.right", "Right ankle", Front, R),
    r("foot.left", "Left foot", Front, L),
    r("foot.right", "Right foot", Front, R),
    r("head.back", "Head (back)", Back, None),
    r("neck.back", "Neck (back)", Back, None),
    r("back.upper", "Upper back", Back, None),
    r("back.lower", "Lower back", Back, None),
    r("elbow.left", "Left elbow", Back, L),
    r("elbow.right", "Right elbow", Back, R),
    r("sacrum", "Sacrum (base of the spine)", Back, None),
    r("buttock.left", "Left buttock", Back, L),
    r("buttock.right", "Right buttock", Back, R),
    r("thigh.back.left", "Back of left thigh", Back, L),
    r("thigh.back.right", "Back of right thigh", Back, R),
    r("calf.left", "Left calf", Back, L),
    r("calf.right", "Right calf", Back, R),
    r("heel.left", "Left heel", Back, L),
    r("heel.right", "Right heel", Back, R),
];

/// The region with this code.
pub fn region(code: &str) -> Option<&'static BodyRegion> {
    REGIONS.iter().find(|r| r.code == code)
}

/// Whether a code is of the head (front or back, or the face).
pub fn is_head(code: &str) -> bool {
    matches!(code, "head.front" | "head.back" | "face")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut codes: Vec<_> = REGIONS.iter().map(|r| r.code).collect();
        codes.sort_unstable();
        let n = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), n, "a code is listed twice");
        for r in REGIONS {
            assert!(
                r.code.chars().all(|c| c.is_ascii_lowercase() || c == '.'),
                "{}",
                r.code
            );
            if let Some(side) = r.side {
                assert!(r.code.ends_with(side), "{} is on the {side}", r.code);
            }
        }
        assert!(region("hip.left").is_some() && region("head.front").is_some());
        assert!(region("hip.middle").is_none());
    }

    #[test]
    fn both_views_are_drawn() {
        assert!(REGIONS.iter().any(|r| r.view == BodyView::Front));
        assert!(REGIONS.iter().any(|r| r.view == BodyView::Back));
    }
}
