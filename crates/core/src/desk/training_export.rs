//! The training matrix taken away: as filtered, to CSV (one row per member of staff, a status
//! and an expiry column per course) and to an A4 landscape PDF for an inspector, with the
//! header row repeated on every page, when it was produced and how fresh the data is. Both are
//! made on the desk from its own file, offline.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::clock;
use crate::ipc::CommandError;
use crate::print::{self, Font, Mark};
use crate::store::repo;
use crate::training::{CellStatus, MatrixCell, MatrixFilter, TrainingMatrix};

use super::reception::{write_file, SavedFile};
use super::Desk;

/// The heading of the printed matrix.
pub const PDF_HEADING: &str = "Training matrix";

impl Desk {
    /// The matrix as filtered, as CSV bytes.
    pub async fn training_matrix_csv(&self, filter: MatrixFilter) -> Result<Vec<u8>, CommandError> {
        let m = self.training_matrix(filter).await?;
        matrix_csv(&m)
    }

    /// The matrix as filtered, as an A4 landscape PDF.
    pub async fn training_matrix_pdf(&self, filter: MatrixFilter) -> Result<Vec<u8>, CommandError> {
        let m = self.training_matrix(filter).await?;
        let zone = self.read(repo::settings::home_zone).await?;
        let now = self.clock.now();
        crate::errors::blocking(move || {
            print::a4_landscape_pdf(PDF_HEADING, &matrix_pages(&m, zone, now))
        })
        .await?
        .map_err(crate::errors::internal)
    }

    /// The CSV written into `dir` (the app passes the Downloads folder); audited.
    pub async fn save_training_matrix_csv(
        &self,
        filter: MatrixFilter,
        dir: PathBuf,
    ) -> Result<SavedFile, CommandError> {
        let bytes = self.training_matrix_csv(filter).await?;
        self.saved_export(dir, "csv", bytes).await
    }

    /// The PDF written into `dir` (the app passes the Downloads folder); audited.
    pub async fn save_training_matrix_pdf(
        &self,
        filter: MatrixFilter,
        dir: PathBuf,
    ) -> Result<SavedFile, CommandError> {
        let bytes = self.training_matrix_pdf(filter).await?;
        self.saved_export(dir, "pdf", bytes).await
    }

    async fn saved_export(
        &self,
        dir: PathBuf,
        ext: &'static str,
        bytes: Vec<u8>,
    ) -> Result<SavedFile, CommandError> {
        let now = self.clock.now();
        let actor = self.actor().await?;
        let zone = self.read(repo::settings::home_zone).await?;
        let day = clock::date_in(zone, now);
        let saved = write_file(&dir, &format!("training-matrix-{day}"), ext, bytes).await?;
        let file = saved.file_name.clone();
        self.save(move |tx| {
            repo::audit::audit(
                tx,
                &actor,
                "training.export",
                None,
                Some(&json!({"file": file, "format": ext})),
            )?;
            Ok(())
        })
        .await?;
        Ok(saved)
    }
}

fn role_words(role: repo::people::StaffRole) -> String {
    let s = role.as_str().replace('_', " ");
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The matrix as CSV: name, role, home, then per course its status and its expiry date
/// (`YYYY-MM-DD`, empty when none); "(pending)" on a status not yet on CareLoop.
pub fn matrix_csv(m: &TrainingMatrix) -> Result<Vec<u8>, CommandError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| crate::errors::internal(format!("writing CSV: {e}"));
    let mut header = vec!["Name".to_owned(), "Role".to_owned(), "Home".to_owned()];
    for c in &m.courses {
        header.push(format!("{} status", c.name));
        header.push(format!("{} expires", c.name));
    }
    w.write_record(&header).map_err(err)?;
    for r in &m.rows {
        let mut rec = vec![
            r.name.clone(),
            role_words(r.role),
            r.location_name.clone().unwrap_or_default(),
        ];
        for cell in &r.cells {
            let mut status = cell.status.words().to_owned();
            if cell.pending {
                status.push_str(" (pending)");
            }
            rec.push(status);
            rec.push(cell.expires_on.map(|e| e.to_string()).unwrap_or_default());
        }
        w.write_record(&rec).map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| crate::errors::internal(format!("writing CSV: {e}")))
}

/// A cell's two printed lines: its status in a word or two, and its date.
fn cell_lines(cell: &MatrixCell) -> (String, String) {
    let status = match cell.status {
        CellStatus::Expired => "EXPIRED",
        CellStatus::DueToday => "DUE TODAY",
        CellStatus::Due30 => "Due ≤30 d",
        CellStatus::Due60 => "Due ≤60 d",
        CellStatus::Due90 => "Due ≤90 d",
        CellStatus::Valid => "Valid",
        CellStatus::NeverHeld => "NEVER HELD",
        CellStatus::NotRequired => "Not req.",
    };
    let mut status = status.to_owned();
    if cell.pending {
        status.push_str(" *");
    }
    let day = cell
        .expires_on
        .map(|e| e.format("%-d %b %Y").to_string())
        .unwrap_or_default();
    (status, day)
}

/// Lays the matrix out on A4 landscape pages: on each page the heading, when it was produced
/// and how fresh the data is, and the header row of course names; a legend and "page n of m"
/// at the foot.
pub fn matrix_pages(m: &TrainingMatrix, zone: chrono_tz::Tz, now: DateTime<Utc>) -> Vec<Vec<Mark>> {
    const MARGIN: f32 = 28.0;
    const BOTTOM: f32 = 44.0;
    let width = print::A4_HEIGHT - 2.0 * MARGIN;
    let top = print::A4_WIDTH - MARGIN;
    let regular = Font::regular();
    let bold = Font::bold();
    let name_w = 140.0;
    let cols = m.courses.len().max(1) as f32;
    let col_w = ((width - name_w) / cols).min(90.0);
    let size = if col_w < 40.0 { 6.0 } else { 7.5 };
    let text = |x: f32, y: f32, size: f32, bold: bool, t: String| Mark::Text {
        x,
        y,
        size,
        bold,
        text: t,
    };
    let produced = format!(
        "Produced {} ({})",
        now.with_timezone(&zone).format("%a %-d %b %Y at %H:%M"),
        zone.name()
    );
    let fresh = match m.data_as_of {
        Some(t) => format!(
            "Certifications from CareLoop as of {}",
            clock::when(t, now, zone)
        ),
        None => "Certifications not yet received from CareLoop".to_owned(),
    };
    let heading_lines: Vec<Vec<String>> = m
        .courses
        .iter()
        .map(|c| {
            let mut lines = bold.wrap(&c.name, size, col_w - 4.0);
            lines.truncate(3);
            lines
        })
        .collect();
    let header_rows = heading_lines.iter().map(Vec::len).max().unwrap_or(1) as f32;
    let row_h = size * 2.0 + 5.0;

    let start_page = |pages: &mut Vec<Vec<Mark>>| -> f32 {
        let mut page = Vec::new();
        let mut y = top - 14.0;
        page.push(text(MARGIN, y, 14.0, true, PDF_HEADING.to_owned()));
        y -= 13.0;
        page.push(text(
            MARGIN,
            y,
            8.5,
            false,
            regular.fit(
                &format!(
                    "{produced} · {fresh} · counted on {}",
                    m.today.format("%-d %b %Y")
                ),
                8.5,
                width,
            ),
        ));
        y -= 11.0;
        page.push(text(
            MARGIN,
            y,
            8.5,
            true,
            regular.fit(&m.counts.summary, 8.5, width),
        ));
        y -= 14.0;
        // The header row, repeated on every page.
        page.push(text(
            MARGIN,
            y - (header_rows - 1.0) * (size + 1.5),
            size,
            true,
            "Name, role, home".to_owned(),
        ));
        for (i, lines) in heading_lines.iter().enumerate() {
            let x = MARGIN + name_w + i as f32 * col_w;
            for (j, l) in lines.iter().enumerate() {
                page.push(text(x, y - j as f32 * (size + 1.5), size, true, l.clone()));
            }
        }
        y -= (header_rows - 1.0) * (size + 1.5) + 4.0;
        page.push(Mark::Rule {
            x: MARGIN,
            y,
            width,
        });
        pages.push(page);
        y
    };

    let mut pages = Vec::new();
    let mut y = start_page(&mut pages);
    if m.rows.is_empty() {
        y -= row_h;
        if let Some(p) = pages.last_mut() {
            p.push(text(
                MARGIN,
                y,
                9.0,
                false,
                "No staff match these filters.".to_owned(),
            ));
        }
    }
    for r in &m.rows {
        if y - row_h < BOTTOM {
            y = start_page(&mut pages);
        }
        let Some(page) = pages.last_mut() else { break };
        y -= size + 2.0;
        page.push(text(
            MARGIN,
            y,
            size + 0.5,
            true,
            bold.fit(&r.name, size + 0.5, name_w - 4.0),
        ));
        let sub = format!(
            "{} · {}",
            role_words(r.role),
            r.location_name.as_deref().unwrap_or("")
        );
        page.push(text(
            MARGIN,
            y - size - 1.0,
            size - 0.5,
            false,
            regular.fit(&sub, size - 0.5, name_w - 4.0),
        ));
        for (i, cell) in r.cells.iter().enumerate() {
            let x = MARGIN + name_w + i as f32 * col_w;
            let (status, day) = cell_lines(cell);
            let strong = matches!(
                cell.status,
                CellStatus::Expired | CellStatus::DueToday | CellStatus::NeverHeld
            );
            let f = if strong { bold } else { regular };
            page.push(text(x, y, size, strong, f.fit(&status, size, col_w - 4.0)));
            if !day.is_empty() {
                page.push(text(
                    x,
                    y - size - 1.0,
                    size - 0.5,
                    false,
                    regular.fit(&day, size - 0.5, col_w - 4.0),
                ));
            }
        }
        y -= size + 3.0;
        page.push(Mark::Rule {
            x: MARGIN,
            y,
            width,
        });
    }
    let total = pages.len();
    let legend = "EXPIRED: past its expiry date · DUE TODAY: expires today · Due ≤30/60/90 d: expires within that many days · NEVER HELD: required, never completed · Not req.: not required for the role · *: recorded here, not yet on CareLoop";
    for (i, page) in pages.iter_mut().enumerate() {
        page.push(text(
            MARGIN,
            30.0,
            6.5,
            false,
            regular.fit(legend, 6.5, width),
        ));
        page.push(text(
            MARGIN,
            18.0,
            7.5,
            false,
            format!("{PDF_HEADING} · {produced} · page {} of {total}", i + 1),
        ));
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::repo::people::StaffRole;
    use crate::training::{MatrixCounts, MatrixCourse, MatrixRow};

    fn matrix(rows: usize, courses: usize) -> TrainingMatrix {
        let today: chrono::NaiveDate = "2026-03-10".parse().unwrap();
        TrainingMatrix {
            today,
            time_zone: "Europe/London".into(),
            produced_at: Utc::now(),
            data_as_of: None,
            filter: MatrixFilter::default(),
            courses: (0..courses)
                .map(|i| MatrixCourse {
                    id: format!("c{i}"),
                    name: format!("Course number {i} with a long name"),
                    renewal_months: 12,
                })
                .collect(),
            rows: (0..rows)
                .map(|r| MatrixRow {
                    staff_id: format!("s{r}"),
                    name: format!("Person {r}"),
                    role: StaffRole::Carer,
                    location_id: None,
                    location_name: Some("Rose Court".into()),
                    cells: (0..courses)
                        .map(|i| {
                            let e = today + chrono::TimeDelta::days((r * 7 + i) as i64 - 20);
                            crate::training::cell(
                                &format!("c{i}"),
                                true,
                                Some(&crate::training::HeldCertification {
                                    id: format!("x{r}{i}"),
                                    staff_id: format!("s{r}"),
                                    course_id: format!("c{i}"),
                                    issued_on: today,
                                    expires_on: Some(e),
                                    certificate_number: None,
                                    pending: false,
                                }),
                                today,
                            )
                        })
                        .collect(),
                    soonest_expiry: None,
                })
                .collect(),
            counts: MatrixCounts::default(),
            homes: vec![],
        }
    }

    #[test]
    fn every_page_has_the_heading_and_the_header_row_and_fits_landscape() {
        let m = matrix(120, 20);
        let pages = matrix_pages(&m, clock::DEFAULT_TIME_ZONE, Utc::now());
        assert!(pages.len() >= 3, "{}", pages.len());
        for (i, page) in pages.iter().enumerate() {
            let texts: Vec<&str> = page
                .iter()
                .filter_map(|m| match m {
                    Mark::Text { text, .. } => Some(text.as_str()),
                    _ => None,
                })
                .collect();
            assert!(texts.contains(&PDF_HEADING), "page {i}");
            assert!(texts.contains(&"Name, role, home"), "page {i}");
            let headings = texts.iter().filter(|t| t.starts_with("Course")).count();
            assert_eq!(headings, 20, "every course heads its column on page {i}");
            assert!(texts.iter().any(|t| t.starts_with("Produced ")), "page {i}");
            for mark in page {
                if let Mark::Text { x, y, .. } = mark {
                    assert!(*x >= 0.0 && *x < print::A4_HEIGHT, "x {x}");
                    assert!(*y >= 0.0 && *y < print::A4_WIDTH, "y {y}");
                }
            }
        }
        let pdf = print::a4_landscape_pdf(PDF_HEADING, &pages).unwrap();
        let text = String::from_utf8_lossy(&pdf);
        assert_eq!(
            text.matches("/MediaBox [0 0 841.89 595.28]").count(),
            pages.len()
        );
    }

    #[test]
    fn the_csv_reads_back_as_the_matrix() {
        let m = matrix(3, 2);
        let bytes = matrix_csv(&m).unwrap();
        let mut r = csv::Reader::from_reader(bytes.as_slice());
        let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(header[3], "Course number 0 with a long name status");
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(&rows[0][0], "Person 0");
        assert_eq!(&rows[0][3], m.rows[0].cells[0].status.words());
    }
}
