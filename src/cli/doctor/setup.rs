//! Doctor: optional setup — shell completions, the man page, and the `actoken watch` systemd
//! user unit (`watch --install` writes it; here it is only looked at).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::report::{Area, Findings, Status};
use crate::shell_quote::shell_word;
use crate::tr;

const AREA: Area = Area::Setup;
/// The unit `actoken watch --install` writes.
const WATCH_UNIT: &str = Daemon::Watch.systemd_unit();
use super::super::unit::Daemon;

#[derive(Debug, Serialize)]
pub(crate) struct SetupFacts {
    pub completions: Vec<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub man_page: Option<PathBuf>,
    /// absent | present | enabled
    pub watch_unit: &'static str,
    pub watch_unit_path: PathBuf,
}

/// Where the usual shells and `man` look, user dirs first.
struct Dirs {
    home: PathBuf,
    config: PathBuf,
    data: PathBuf,
}

impl Dirs {
    fn from_env() -> Option<Dirs> {
        let base = directories::BaseDirs::new()?;
        Some(Dirs {
            home: base.home_dir().to_owned(),
            config: base.config_dir().to_owned(),
            data: base.data_dir().to_owned(),
        })
    }

    fn completion_files(&self) -> Vec<PathBuf> {
        let mut files = vec![
            self.data.join("bash-completion/completions/actoken"),
            self.home.join(".bash_completion.d/actoken"),
            self.home.join(".zfunc/_actoken"),
            self.config.join("fish/completions/actoken.fish"),
        ];
        files.extend(
            [
                "/usr/share/bash-completion/completions/actoken",
                "/usr/local/share/bash-completion/completions/actoken",
                "/etc/bash_completion.d/actoken",
                "/usr/share/zsh/vendor-completions/_actoken",
                "/usr/share/zsh/site-functions/_actoken",
                "/usr/local/share/zsh/site-functions/_actoken",
                "/usr/share/fish/vendor_completions.d/actoken.fish",
            ]
            .map(PathBuf::from),
        );
        files
    }

    fn man_pages(&self) -> Vec<PathBuf> {
        let dirs = [
            self.data.join("man/man1"),
            PathBuf::from("/usr/local/share/man/man1"),
            PathBuf::from("/usr/share/man/man1"),
        ];
        dirs.iter()
            .flat_map(|d| [d.join("actoken.1"), d.join("actoken.1.gz")])
            .collect()
    }
}

pub(crate) fn check(f: &mut Findings) -> SetupFacts {
    let dirs = Dirs::from_env().unwrap_or(Dirs {
        home: PathBuf::from("."),
        config: PathBuf::from(".config"),
        data: PathBuf::from(".local/share"),
    });
    let completions: Vec<PathBuf> = dirs
        .completion_files()
        .into_iter()
        .filter(|p| p.is_file())
        .collect();
    if completions.is_empty() {
        let completions_dir = dirs.data.join("bash-completion/completions");
        f.push_fix(
            AREA,
            Status::Info,
            tr!("doctor.setup_no_completions"),
            format!(
                "mkdir -p {0} && actoken completions bash > {1}",
                shell_word(&completions_dir.to_string_lossy()),
                shell_word(&completions_dir.join("actoken").to_string_lossy())
            ),
        );
    } else {
        f.push(
            AREA,
            Status::Ok,
            tr!("doctor.setup_completions", paths = join(&completions)),
        );
    }
    let man_page = dirs.man_pages().into_iter().find(|p| p.is_file());
    match &man_page {
        Some(p) => f.push(
            AREA,
            Status::Ok,
            tr!("doctor.setup_man", path = p.display()),
        ),
        None => f.push(AREA, Status::Info, tr!("doctor.setup_no_man")),
    }
    let (watch_unit, watch_unit_path) = watch_unit(&dirs.config);
    match watch_unit {
        "enabled" => f.push(
            AREA,
            Status::Ok,
            tr!("doctor.watch_enabled", unit = WATCH_UNIT),
        ),
        "present" => f.push_fix(
            AREA,
            Status::Info,
            tr!("doctor.watch_present", unit = WATCH_UNIT),
            format!("systemctl --user enable --now {WATCH_UNIT}"),
        ),
        _ => f.push_fix(
            AREA,
            Status::Info,
            tr!("doctor.watch_absent"),
            tr!("doctor.watch_absent_fix"),
        ),
    }
    SetupFacts {
        completions,
        man_page,
        watch_unit,
        watch_unit_path,
    }
}

/// absent | present | enabled (a link in some `*.wants` dir of the user's systemd config).
fn watch_unit(config_dir: &Path) -> (&'static str, PathBuf) {
    let units = config_dir.join("systemd/user");
    let unit = units.join(WATCH_UNIT);
    if !unit.is_file() {
        return ("absent", unit);
    }
    let enabled = std::fs::read_dir(&units).is_ok_and(|dir| {
        dir.flatten().any(|d| {
            d.file_name().to_string_lossy().ends_with(".wants")
                && d.path().join(WATCH_UNIT).exists()
        })
    });
    (if enabled { "enabled" } else { "present" }, unit)
}

fn join(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_unit_is_absent_present_or_enabled() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(watch_unit(dir.path()).0, "absent");
        let units = dir.path().join("systemd/user");
        std::fs::create_dir_all(units.join("default.target.wants")).unwrap();
        std::fs::write(units.join(WATCH_UNIT), "[Unit]\n").unwrap();
        assert_eq!(watch_unit(dir.path()).0, "present");
        #[cfg(unix)]
        std::os::unix::fs::symlink(
            units.join(WATCH_UNIT),
            units.join("default.target.wants").join(WATCH_UNIT),
        )
        .unwrap();
        #[cfg(unix)]
        assert_eq!(watch_unit(dir.path()).0, "enabled");
    }
}
