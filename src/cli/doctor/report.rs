//! What `actoken doctor` found: facts per area (for `--json`) and findings with a status and
//! a way forward (for people). English text lives in the checks that make the findings.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Works, but something is off or worth knowing.
    Warn,
    /// Something needed does not work: doctor exits non-zero.
    Fail,
    /// Neither good nor bad (optional setup).
    Info,
}

impl Status {
    fn mark(self) -> &'static str {
        match self {
            Status::Ok => "ok  ",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
            Status::Info => "info",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub area: &'static str,
    pub status: Status,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// Findings, collected area by area.
#[derive(Debug, Default)]
pub struct Findings(pub Vec<Finding>);

impl Findings {
    pub fn push(&mut self, area: &'static str, status: Status, message: impl Into<String>) {
        self.0.push(Finding {
            area,
            status,
            message: message.into(),
            fix: None,
        });
    }

    pub fn push_fix(
        &mut self,
        area: &'static str,
        status: Status,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.0.push(Finding {
            area,
            status,
            message: message.into(),
            fix: Some(fix.into()),
        });
    }

    /// Everything needed works: no failure.
    pub fn all_needed_work(&self) -> bool {
        self.0.iter().all(|f| f.status != Status::Fail)
    }

    /// One line per finding, grouped by area in the order they were found, fixes indented.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut area = "";
        for f in &self.0 {
            if f.area != area {
                area = f.area;
                out.push_str(&format!("{area}\n"));
            }
            out.push_str(&format!("  [{}] {}\n", f.status.mark(), f.message));
            if let Some(fix) = &f.fix {
                out.push_str(&format!("         → {fix}\n"));
            }
        }
        let (fails, warns) = self.0.iter().fold((0, 0), |(f, w), x| match x.status {
            Status::Fail => (f + 1, w),
            Status::Warn => (f, w + 1),
            _ => (f, w),
        });
        out.push_str(&match (fails, warns) {
            (0, 0) => "\nEverything actoken needs works.\n".to_owned(),
            (0, w) => format!("\nEverything actoken needs works ({w} warning(s) above).\n"),
            (f, _) => format!("\n{f} problem(s) above need fixing.\n"),
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_groups_by_area_and_sums_up() {
        let mut f = Findings::default();
        f.push("store", Status::Ok, "kernel keyring in use");
        f.push_fix(
            "store",
            Status::Warn,
            "cleared at reboot",
            "log in again after a reboot",
        );
        f.push("clock", Status::Ok, "in step");
        assert!(f.all_needed_work());
        let text = f.render();
        assert_eq!(text.matches("store\n").count(), 1, "{text}");
        assert!(
            text.contains("  [warn] cleared at reboot\n         → log in again"),
            "{text}"
        );
        assert!(text.contains("1 warning(s)"), "{text}");
        f.push("servers", Status::Fail, "unreachable");
        assert!(!f.all_needed_work());
        assert!(f.render().contains("1 problem(s)"));
    }
}
