//! `actoken watch --install`: a systemd user unit (`actoken-watch.service` under
//! `$XDG_CONFIG_HOME/systemd/user/`), or a launchd agent on macOS, that runs `actoken watch`.
//! An existing file that differs (edited by hand, or from another version) is only replaced
//! with `--force`.

use super::super::streams::Io;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::super::context::Context;
use super::super::exit;
use super::super::global::DEFAULT_SERVICE;

pub(crate) const SYSTEMD_UNIT: &str = "actoken-watch.service";
pub(crate) const LAUNCHD_LABEL: &str = "actoken.watch";
/// The variable of the global `--keyring-service` flag.
const SERVICE_ENV: &str = "ACTOKEN_KEYRING_SERVICE";

pub(crate) fn install(ctx: &Context, force: bool, sink: Option<&Path>) -> anyhow::Result<u8> {
    let exe = std::env::current_exe().context("cannot tell where the actoken binary is")?;
    // A profile of its own (another keyring service) is kept by the unit too.
    let service = (ctx.service != DEFAULT_SERVICE).then_some(ctx.service.as_str());
    // A sink directory is checked (and made) now, and named in full: the unit does not run
    // where this command does.
    let sink = sink.map(super::sink::Sink::open).transpose()?;
    let sink = sink.as_ref().map(|s| s.dir());
    let path = unit_path().ok_or(crate::config::ConfigError::NoHome)?;
    let (text, enable) = if cfg!(target_os = "macos") {
        let enable = format!("launchctl bootstrap gui/$(id -u) {}", path.display());
        (launchd_plist(&exe, service, sink), enable)
    } else if cfg!(unix) {
        let enable = format!(
            "systemctl --user daemon-reload && systemctl --user enable --now {SYSTEMD_UNIT}"
        );
        (systemd_unit(&exe, service, sink), enable)
    } else {
        anyhow::bail!(
            "--install knows systemd and launchd only; run `actoken watch` from your system's task scheduler"
        );
    };
    match std::fs::read_to_string(&path) {
        Ok(old) if old == text => {
            let path = path.display();
            outln!(ctx.io, "{}", crate::tr!("watch.up_to_date", path = path));
            print_next(&ctx.io, &enable);
            return Ok(exit::OK);
        }
        Ok(_) if !force => {
            let path = path.display();
            errln!(ctx.io, "{}", crate::tr!("watch.differs", path = path));
            return Ok(exit::FAILURE);
        }
        _ => {}
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // Replaces a symlink there (someone else's file, or a dotfile manager's) rather than
    // writing through it.
    crate::store::write_atomic(&path, text.as_bytes(), 0o644)
        .with_context(|| format!("cannot write {}", path.display()))?;
    outln!(
        ctx.io,
        "{}",
        crate::tr!("watch.wrote", path = path.display())
    );
    print_next(&ctx.io, &enable);
    Ok(exit::OK)
}

fn print_next(io: &Io, enable: &str) {
    outln!(io, "{}\n  {enable}", crate::tr!("watch.start_with"));
    let log = if cfg!(target_os = "macos") {
        "log stream --predicate 'process == \"actoken\"'".to_owned()
    } else {
        format!("journalctl --user -u {SYSTEMD_UNIT} -f")
    };
    outln!(io, "{}", crate::tr!("watch.its_log", command = log));
}

/// The unit. `Restart=on-failure` brings it back after a crash; a clean stop (exit 0 on
/// SIGTERM) stays stopped.
pub(crate) fn systemd_unit(
    exe: &Path,
    keyring_service: Option<&str>,
    sink: Option<&Path>,
) -> String {
    let environment = keyring_service
        .map(|s| {
            format!(
                "Environment={}\n",
                systemd_quote(&format!("{SERVICE_ENV}={s}"))
            )
        })
        .unwrap_or_default();
    let sink = sink
        .map(|dir| format!(" --sink {}", systemd_quote(&dir.to_string_lossy())))
        .unwrap_or_default();
    format!(
        "[Unit]\n\
         Description=actoken: keep AC platform tokens fresh\n\
         \n\
         [Service]\n\
         Type=exec\n\
         ExecStart={} watch{sink}\n\
         {environment}\
         Restart=on-failure\n\
         RestartSec=30\n\
         \n\
         [Install]\n\
         WantedBy=default.target\n",
        systemd_quote(&exe.to_string_lossy())
    )
}

/// A double-quoted word for a unit file: `\` and `"` escaped, `%` (specifiers) and `$`
/// (variable expansion) doubled.
fn systemd_quote(s: &str) -> String {
    let escaped = s
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('%', "%%")
        .replace('$', "$$");
    format!("\"{escaped}\"")
}

pub(crate) fn launchd_plist(
    exe: &Path,
    keyring_service: Option<&str>,
    sink: Option<&Path>,
) -> String {
    let environment = keyring_service
        .map(|s| {
            format!(
                "  <key>EnvironmentVariables</key>\n  <dict>\n    <key>{SERVICE_ENV}</key>\n    <string>{}</string>\n  </dict>\n",
                xml(s)
            )
        })
        .unwrap_or_default();
    let sink = sink
        .map(|dir| {
            format!(
                "    <string>--sink</string>\n    <string>{}</string>\n",
                xml(&dir.to_string_lossy())
            )
        })
        .unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <plist version=\"1.0\">\n<dict>\n\
         \x20 <key>Label</key>\n  <string>{LAUNCHD_LABEL}</string>\n\
         \x20 <key>ProgramArguments</key>\n  <array>\n    <string>{}</string>\n    <string>watch</string>\n{sink}  </array>\n\
         {environment}\
         \x20 <key>RunAtLoad</key>\n  <true/>\n\
         \x20 <key>KeepAlive</key>\n  <dict>\n    <key>SuccessfulExit</key>\n    <false/>\n  </dict>\n\
         </dict>\n</plist>\n",
        xml(&exe.to_string_lossy())
    )
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Where `install` writes on this platform.
pub(crate) fn unit_path() -> Option<PathBuf> {
    let dirs = directories::BaseDirs::new()?;
    Some(if cfg!(target_os = "macos") {
        dirs.home_dir()
            .join("Library/LaunchAgents")
            .join(format!("{LAUNCHD_LABEL}.plist"))
    } else {
        dirs.config_dir().join("systemd/user").join(SYSTEMD_UNIT)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_paths_are_quoted_for_each_format() {
        let exe = Path::new("/opt/my apps/50%/$x/\"q\"/actoken");
        let unit = systemd_unit(exe, Some("work"), None);
        assert!(
            unit.contains(r#"ExecStart="/opt/my apps/50%%/$$x/\"q\"/actoken" watch"#),
            "{unit}"
        );
        assert!(
            unit.contains("Environment=\"ACTOKEN_KEYRING_SERVICE=work\"\n"),
            "{unit}"
        );
        assert!(!systemd_unit(exe, None, None).contains("Environment"));
        let plist = launchd_plist(Path::new("/a&b/<c>"), None, None);
        assert!(
            plist.contains("<string>/a&amp;b/&lt;c&gt;</string>"),
            "{plist}"
        );
        assert!(plist.contains("<string>watch</string>"));
    }

    #[test]
    fn a_sink_directory_goes_into_the_unit_quoted() {
        let (exe, sink) = (
            Path::new("/usr/bin/actoken"),
            Path::new("/scratch/a b/50%/华东"),
        );
        let unit = systemd_unit(exe, None, Some(sink));
        assert!(
            unit.contains(
                "ExecStart=\"/usr/bin/actoken\" watch --sink \"/scratch/a b/50%%/华东\"\n"
            ),
            "{unit}"
        );
        let plist = launchd_plist(exe, None, Some(Path::new("/s/<t>")));
        assert!(
            plist.contains(
                "<string>watch</string>\n    <string>--sink</string>\n    <string>/s/&lt;t&gt;</string>\n  </array>"
            ),
            "{plist}"
        );
    }
}
