//! The window harness's accessibility check: axe-core (`ui/node_modules/axe-core/axe.min.js`,
//! pinned in the UI's devDependencies) injected into the real page over WebDriver and run on
//! what is on screen.
//!
//! [`crate::window::AppWindow`] runs it by itself whenever a helper finds the screen changed (see
//! the module doc there); this module holds the scripts, the report and the record of what was
//! checked. A violation of impact `serious` or `critical` fails the test; `moderate` and `minor`
//! ones, and what axe could not decide ("needs review"), are only recorded.

use std::{
    collections::HashSet,
    fmt,
    path::{Path, PathBuf},
    sync::OnceLock,
    time::{Duration, Instant},
};

use serde::Deserialize;

/// The impacts that fail a test.
pub const FAILING_IMPACTS: [&str; 2] = ["serious", "critical"];

/// axe-core's own source, read once per test process.
pub(crate) fn axe_source(workspace: &Path) -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = workspace.join("ui/node_modules/axe-core/axe.min.js");
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "axe-core is missing ({}: {e}): install the UI's packages (make deps)",
                path.display()
            )
        })
    })
}

/// A synchronous script: what is on screen now. Its name for people (the area and the first
/// visible `h1`), its parts (every visible test id, with its `data-state` or `data-status`, which
/// change how it looks), and whether axe is already in this page.
pub(crate) const SCREEN_SCRIPT: &str = r#"
const shown = (el) => el.getClientRects().length > 0;
const h1 = Array.from(document.querySelectorAll('h1')).find(shown);
const shell = document.querySelector('[data-testid=shell]');
const area = shell ? shell.dataset.area
  : document.querySelector('[data-testid=startup-error]') ? 'startup' : 'starting';
const parts = new Set();
for (const el of document.querySelectorAll('[data-testid]')) {
  if (!shown(el)) continue;
  const state = el.dataset.state ?? el.dataset.status;
  parts.add(state ? `${el.dataset.testid}=${state}` : el.dataset.testid);
}
const name = [area, h1 ? h1.textContent.replace(/\s+/g, ' ').trim() : ''].filter(Boolean).join(' › ');
return { name, parts: [...parts].sort(), axe: typeof window.axe?.run === 'function' };
"#;

/// An asynchronous script: runs axe and hands back its findings, trimmed to what a report needs.
/// Its argument is `null` for the whole document, or a list of parts (as [`SCREEN_SCRIPT`] names
/// them) for only the elements that show them (the whole document when none is shown any more).
pub(crate) const RUN_SCRIPT: &str = r#"
const done = arguments[arguments.length - 1];
const parts = arguments[0];
let context = document;
if (parts) {
  const found = [];
  for (const part of parts) {
    const [id, state] = part.split('=');
    for (const el of document.querySelectorAll(`[data-testid="${CSS.escape(id)}"]`)) {
      const shows = (el.dataset.state ?? el.dataset.status) || undefined;
      if (el.getClientRects().length > 0 && shows === state) found.push(el);
    }
  }
  // An element inside another one found is checked with it.
  const outer = found.filter((el) => !found.some((o) => o !== el && o.contains(el)));
  if (outer.length > 0) context = { include: outer };
}
const snippet = (html) => html.length > 160 ? `${html.slice(0, 160)}…` : html;
const target = (t) => t.map((s) => Array.isArray(s) ? s.join(' >>> ') : s).join(' ');
// "Fix any of the following:\n  Element has insufficient color contrast of 1.9 (…)" → the reasons.
const problem = (summary) => (summary || '').split('\n')
  .filter((l) => l.startsWith(' ')).map((l) => l.trim()).join('; ');
window.axe
  .run(context, { resultTypes: ['violations'] })
  .then((r) => done({
    version: window.axe.version,
    violations: r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({
        target: target(n.target), html: snippet(n.html), problem: problem(n.failureSummary),
      })),
    })),
    incomplete: r.incomplete.map((v) => v.id),
  }))
  .catch((e) => done({ error: String((e && e.stack) || e) }));
"#;

/// What [`SCREEN_SCRIPT`] answers.
#[derive(Debug, Deserialize)]
pub(crate) struct Screen {
    pub name: String,
    pub parts: Vec<String>,
    pub axe: bool,
}

/// What [`RUN_SCRIPT`] answers.
#[derive(Debug, Deserialize)]
pub(crate) struct AxeAnswer {
    pub error: Option<String>,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub violations: Vec<Violation>,
    #[serde(default)]
    pub incomplete: Vec<String>,
}

/// One rule axe found broken, with the elements that break it.
#[derive(Debug, Clone, Deserialize)]
pub struct Violation {
    /// The rule id, e.g. `image-alt`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    /// What the rule asks for, e.g. "Images must have alternative text".
    pub help: String,
    #[serde(rename = "helpUrl")]
    pub help_url: String,
    pub nodes: Vec<Node>,
}

impl Violation {
    /// Whether this violation fails a test.
    pub fn fails(&self) -> bool {
        self.impact
            .as_deref()
            .is_some_and(|i| FAILING_IMPACTS.contains(&i))
    }
}

/// One offending element.
#[derive(Debug, Clone, Deserialize)]
pub struct Node {
    /// axe's CSS selector for it.
    pub target: String,
    /// The start of its HTML.
    pub html: String,
    /// What is wrong with it, in axe's words (e.g. the contrast ratio it measured).
    #[serde(default)]
    pub problem: String,
}

/// The outcome of one check of one screen.
#[derive(Debug, Clone)]
pub struct Report {
    /// What was on screen: the area and the page's `h1` (or the name given to an explicit check).
    pub screen: String,
    /// What ran the check: the harness helper and its selector, or `check_accessibility`.
    pub when: String,
    /// What was checked: the whole page, or what appeared on a screen checked before.
    pub scope: Scope,
    pub axe_version: String,
    pub violations: Vec<Violation>,
    /// Rules axe could not decide on its own (for a person to review; never fails a test).
    pub needs_review: Vec<String>,
    /// How long the check took (putting axe into the page included).
    pub took: Duration,
}

impl Report {
    /// The violations that fail a test (impact serious or critical).
    pub fn failures(&self) -> impl Iterator<Item = &Violation> {
        self.violations.iter().filter(|v| v.fails())
    }

    pub fn passes(&self) -> bool {
        self.failures().next().is_none()
    }
}

/// The failure message: for each serious or critical violation, the rule, the elements (selector
/// and HTML), and the help text with its link.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failures: Vec<_> = self.failures().collect();
        writeln!(
            f,
            "accessibility check failed on \"{}\" ({}): {} serious or critical violation(s)",
            self.screen,
            self.when,
            failures.len()
        )?;
        for v in failures {
            writeln!(
                f,
                "\n  {} ({}): {}",
                v.id,
                v.impact.as_deref().unwrap_or("?"),
                v.help
            )?;
            writeln!(f, "    help: {}", v.help_url)?;
            for n in &v.nodes {
                writeln!(f, "    element: {}", n.target)?;
                writeln!(f, "      {}", n.html)?;
                if !n.problem.is_empty() {
                    writeln!(f, "      {}", n.problem)?;
                }
            }
        }
        Ok(())
    }
}

/// What of the page a check looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The whole page: a screen's first look, or an explicit check.
    Whole,
    /// Only the elements showing these parts (test ids, with their state) that the screen did not
    /// show when it was last checked.
    New(Vec<String>),
}

impl Scope {
    /// The argument for [`RUN_SCRIPT`].
    pub(crate) fn script_arg(&self) -> serde_json::Value {
        match self {
            Scope::Whole => serde_json::Value::Null,
            Scope::New(parts) => serde_json::json!(parts),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Whole => f.write_str("whole page"),
            Scope::New(parts) => write!(f, "new: {}", parts.join(", ")),
        }
    }
}

/// Which screens one test checked: written to `.artifacts/accessibility/<test>.md` after every
/// check, so that it is there even when the test fails.
#[derive(Debug)]
pub(crate) struct Record {
    pub test: String,
    pub path: PathBuf,
    /// (screen name, part) pairs checked already; the name alone stands for the screen.
    pub seen: HashSet<(String, String)>,
    pub reports: Vec<Report>,
    /// Time spent on accessibility in this test: the checks, and looking at each screen to see
    /// whether it changed.
    pub spent: Duration,
    /// When the window opened, and how long it was open once it is closed.
    pub started: Instant,
    pub open_for: Option<Duration>,
}

impl Record {
    pub fn new(dir: &Path, test: String) -> Self {
        let file: String = test
            .replace("::", ".")
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || "_.-".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let path = dir.join(format!("{file}.md"));
        let record = Self {
            test,
            path,
            seen: HashSet::new(),
            reports: Vec::new(),
            spent: Duration::ZERO,
            started: Instant::now(),
            open_for: None,
        };
        record.write();
        record
    }

    /// Marks what `screen` shows as checked and says what needs checking: all of it the first
    /// time this test sees the screen, then only what it shows that was not checked before
    /// (`None` when there is nothing new).
    pub fn news(&mut self, screen: &Screen) -> Option<Scope> {
        let first = self.seen.insert((screen.name.clone(), String::new()));
        let new: Vec<String> = screen
            .parts
            .iter()
            .filter(|p| self.seen.insert((screen.name.clone(), (*p).clone())))
            .cloned()
            .collect();
        if first {
            Some(Scope::Whole)
        } else if new.is_empty() {
            None
        } else {
            Some(Scope::New(new))
        }
    }

    pub fn add(&mut self, report: Report) {
        self.reports.push(report);
        self.write();
    }

    /// The window closed: the summary says how long it was open.
    pub fn finish(&mut self) {
        self.open_for = Some(self.started.elapsed());
        self.write();
    }

    fn write(&self) {
        let mut s = format!("# Accessibility checks: {}\n\n", self.test);
        let version = self
            .reports
            .first()
            .map_or("axe-core", |r| r.axe_version.as_str());
        s.push_str(&format!(
            "axe-core {version} with its default rules (WCAG 2 A and AA, best practices). Each \
             screen the test saw is checked whole the first time, then what newly appears on it. \
             A serious or critical violation fails the test.\n\n"
        ));
        s.push_str("| # | screen | checked at | what | serious or critical | other violations | needs review | ms |\n");
        s.push_str("|---|---|---|---|---|---|---|---|\n");
        let list = |v: Vec<String>| {
            if v.is_empty() {
                "none".to_owned()
            } else {
                v.join(", ")
            }
        };
        for (i, r) in self.reports.iter().enumerate() {
            let failing = list(
                r.failures()
                    .map(|v| format!("**{}** ({} elements)", v.id, v.nodes.len()))
                    .collect(),
            );
            let other = list(
                r.violations
                    .iter()
                    .filter(|v| !v.fails())
                    .map(|v| format!("{} ({})", v.id, v.impact.as_deref().unwrap_or("?")))
                    .collect(),
            );
            s.push_str(&format!(
                "| {} | {} | {} | {} | {failing} | {other} | {} | {} |\n",
                i + 1,
                cell(&r.screen),
                cell(&r.when),
                cell(&r.scope.to_string()),
                list(r.needs_review.clone()),
                r.took.as_millis()
            ));
        }
        let screens: HashSet<&str> = self.reports.iter().map(|r| r.screen.as_str()).collect();
        s.push_str(&format!(
            "\n{} checks on {} screens: {:.1} s with looking for changes, ",
            self.reports.len(),
            screens.len(),
            self.spent.as_secs_f64(),
        ));
        match self.open_for {
            Some(open) => s.push_str(&format!(
                "of the {:.1} s the window was open.\n",
                open.as_secs_f64()
            )),
            None => s.push_str(&format!(
                "{:.1} s after the window opened (still open, or the test stopped).\n",
                self.started.elapsed().as_secs_f64()
            )),
        }
        if let Err(e) = std::fs::write(&self.path, s) {
            eprintln!(
                "accessibility: could not write {}: {e}",
                self.path.display()
            );
        }
    }
}

/// Text safe in a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('`', "'")
}
