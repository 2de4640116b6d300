//! What `actoken doctor` found: facts per area (for `--json`) and findings with a status and
//! a way forward (for people). The checks word their findings in the interface language
//! (`doctor.*` in the catalogs); `--json` runs in English, so scripts see one language.

use serde::Serialize;

use crate::tr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
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

/// The part of the set-up a finding is about; `--json` names it in English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum Area {
    #[serde(rename = "config")]
    Config,
    #[serde(rename = "token index")]
    Index,
    #[serde(rename = "secret store")]
    Store,
    #[serde(rename = "remembered logins")]
    Logins,
    #[serde(rename = "servers")]
    Servers,
    #[serde(rename = "clock")]
    Clock,
    #[serde(rename = "setup")]
    Setup,
    #[serde(rename = "scnet-cli")]
    ScnetCli,
}

impl Area {
    /// The heading above the area's findings, in the interface language.
    fn heading(self) -> String {
        match self {
            Area::Config => tr!("doctor.area_config"),
            Area::Index => tr!("doctor.area_index"),
            Area::Store => tr!("doctor.area_store"),
            Area::Logins => tr!("doctor.area_logins"),
            Area::Servers => tr!("doctor.area_servers"),
            Area::Clock => tr!("doctor.area_clock"),
            Area::Setup => tr!("doctor.area_setup"),
            Area::ScnetCli => tr!("doctor.area_scnet_cli"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Finding {
    pub area: Area,
    pub status: Status,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// Findings, collected area by area.
#[derive(Debug, Default)]
pub(crate) struct Findings(pub Vec<Finding>);

impl Findings {
    pub(crate) fn push(&mut self, area: Area, status: Status, message: impl Into<String>) {
        self.0.push(Finding {
            area,
            status,
            message: message.into(),
            fix: None,
        });
    }

    pub(crate) fn push_fix(
        &mut self,
        area: Area,
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
    pub(crate) fn all_needed_work(&self) -> bool {
        self.0.iter().all(|f| f.status != Status::Fail)
    }

    /// One line per finding, grouped by area in the order they were found, fixes indented.
    /// Findings quote files, keyrings and servers: every line of one is shown inert, and a
    /// line break inside one (a TOML error quoting the file) continues indented, so that no
    /// finding can pass for another.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let mut area = None;
        for f in &self.0 {
            if area != Some(f.area) {
                area = Some(f.area);
                out.push_str(&format!("{}\n", f.area.heading()));
            }
            out.push_str(&format!("  [{}] {}\n", f.status.mark(), lines(&f.message)));
            if let Some(fix) = &f.fix {
                out.push_str(&format!("         → {}\n", lines(fix)));
            }
        }
        let (fails, warns) = self.0.iter().fold((0, 0), |(f, w), x| match x.status {
            Status::Fail => (f + 1, w),
            Status::Warn => (f, w + 1),
            _ => (f, w),
        });
        out.push('\n');
        out.push_str(&match (fails, warns) {
            (0, 0) => tr!("doctor.all_work"),
            (0, w) => tr!("doctor.all_work_warnings", count = w),
            (f, _) => tr!("doctor.problems", count = f),
        });
        out.push('\n');
        out
    }
}

/// The lines of `text`, each inert, the ones after the first indented past the status mark.
fn lines(text: &str) -> String {
    text.lines()
        .map(|line| crate::inert::inert(line).into_owned())
        .collect::<Vec<_>>()
        .join("\n           ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, with_lang};

    #[test]
    fn render_groups_by_area_and_sums_up() {
        let mut f = Findings::default();
        f.push(Area::Store, Status::Ok, "kernel keyring in use");
        f.push_fix(
            Area::Store,
            Status::Warn,
            "cleared at reboot",
            "log in again after a reboot",
        );
        f.push(Area::Clock, Status::Ok, "in step");
        assert!(f.all_needed_work());
        let text = with_lang(Lang::En, || f.render());
        assert_eq!(text.matches("secret store\n").count(), 1, "{text}");
        assert!(
            text.contains("  [warn] cleared at reboot\n         → log in again"),
            "{text}"
        );
        assert!(text.contains("1 warning(s)"), "{text}");
        f.push(Area::Servers, Status::Fail, "unreachable");
        assert!(!f.all_needed_work());
        assert!(with_lang(Lang::En, || f.render()).contains("1 problem(s)"));
    }

    /// A server address, a keyring's error or a file's line can hold anything: no escape
    /// sequence reaches the terminal and no line of a finding starts like a finding.
    #[test]
    fn hostile_findings_are_inert_and_cannot_forge_a_finding() {
        let mut f = Findings::default();
        let forged = "http://h\u{1b}]52;c;ZXZpbA==\u{7}\r\n  [ok  ] all is well\u{202e}";
        f.push_fix(Area::Servers, Status::Fail, forged, forged);
        let text = with_lang(Lang::En, || f.render());
        assert!(
            !text
                .chars()
                .any(|c| crate::inert::is_unsafe(c) && c != '\n'),
            "{text:?}"
        );
        let rows = text.lines().filter(|l| l.starts_with("  [")).count();
        assert_eq!(rows, 1, "{text}");
    }

    #[test]
    fn headings_and_summary_speak_chinese_but_marks_and_json_do_not() {
        let mut f = Findings::default();
        f.push(Area::Store, Status::Ok, "x");
        f.push(Area::Servers, Status::Fail, "y");
        f.push(Area::Clock, Status::Warn, "z");
        let text = with_lang(Lang::ZhCn, || f.render());
        assert!(
            text.starts_with("密钥存储\n  [ok  ] x\n服务器\n  [FAIL] y\n"),
            "{text}"
        );
        assert!(text.contains("上面有 1 个问题需要解决"), "{text}");
        let json = with_lang(Lang::ZhCn, || serde_json::to_string(&f.0).unwrap());
        assert!(
            json.contains(r#""area":"secret store","status":"ok""#),
            "{json}"
        );
    }
}
