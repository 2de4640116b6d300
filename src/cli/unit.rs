//! `--install` of the commands that run for good (`watch`, `agent`): a systemd user unit
//! (`actoken-watch.service`, `actoken-agent.service` under `$XDG_CONFIG_HOME/systemd/user/`),
//! or a launchd agent on macOS, that runs the command with the arguments it was given. An
//! existing file that differs (edited by hand, or from another version) is only replaced with
//! `--force`. The agent does what watch does, so each install says when the other's unit is
//! there too.

use super::streams::Io;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::context::Context;
use super::exit;
use super::global::DEFAULT_SERVICE;

/// The variable of the global `--keyring-service` flag.
const SERVICE_ENV: &str = "ACTOKEN_KEYRING_SERVICE";

/// A command that runs as a user service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Daemon {
    Watch,
    Agent,
}

impl Daemon {
    const ALL: [Daemon; 2] = [Daemon::Watch, Daemon::Agent];

    /// The actoken command it runs.
    fn command(self) -> &'static str {
        match self {
            Daemon::Watch => "watch",
            Daemon::Agent => "agent",
        }
    }

    pub(crate) const fn systemd_unit(self) -> &'static str {
        match self {
            Daemon::Watch => "actoken-watch.service",
            Daemon::Agent => "actoken-agent.service",
        }
    }

    fn launchd_label(self) -> &'static str {
        match self {
            Daemon::Watch => "actoken.watch",
            Daemon::Agent => "actoken.agent",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Daemon::Watch => "actoken: keep AC platform tokens fresh",
            Daemon::Agent => {
                "actoken agent: AC platform tokens for your processes, here and over SSH"
            }
        }
    }

    /// Where `install` writes its unit on this platform.
    pub(crate) fn unit_path(self) -> Option<PathBuf> {
        let dirs = directories::BaseDirs::new()?;
        Some(if cfg!(target_os = "macos") {
            dirs.home_dir()
                .join("Library/LaunchAgents")
                .join(format!("{}.plist", self.launchd_label()))
        } else {
            dirs.config_dir()
                .join("systemd/user")
                .join(self.systemd_unit())
        })
    }

    /// The command that stops it now and at every login.
    fn disable_command(self) -> String {
        if cfg!(target_os = "macos") {
            format!("launchctl bootout gui/$(id -u)/{}", self.launchd_label())
        } else {
            format!("systemctl --user disable --now {}", self.systemd_unit())
        }
    }
}

/// Writes `daemon`'s unit, running `actoken COMMAND ARGS` (each of `args` one word, quoted
/// for the unit's format), and says how to start it; `also` adds what else its user needs to
/// know. Exit 1 when a unit that differs is there and `force` is not given.
pub(crate) fn install(
    ctx: &Context,
    daemon: Daemon,
    args: &[String],
    force: bool,
    also: &dyn Fn(&Io),
) -> anyhow::Result<u8> {
    let exe = std::env::current_exe().context("cannot tell where the actoken binary is")?;
    // A profile of its own (another keyring service) is kept by the unit too.
    let service = (ctx.service != DEFAULT_SERVICE).then_some(ctx.service.as_str());
    let path = daemon
        .unit_path()
        .ok_or(crate::config::ConfigError::NoHome)?;
    let (text, enable) = if cfg!(target_os = "macos") {
        let enable = format!("launchctl bootstrap gui/$(id -u) {}", path.display());
        (launchd_plist(daemon, &exe, service, args), enable)
    } else if cfg!(unix) {
        let enable = format!(
            "systemctl --user daemon-reload && systemctl --user enable --now {}",
            daemon.systemd_unit()
        );
        (systemd_unit(daemon, &exe, service, args), enable)
    } else {
        anyhow::bail!(
            "--install knows systemd and launchd only; run `actoken {}` from your system's task scheduler",
            daemon.command()
        );
    };
    match std::fs::read_to_string(&path) {
        Ok(old) if old == text => {
            let path = path.display();
            outln!(ctx.io, "{}", crate::tr!("unit.up_to_date", path = path));
            print_next(&ctx.io, daemon, &enable, also);
            return Ok(exit::OK);
        }
        Ok(_) if !force => {
            let (path, command) = (path.display(), daemon.command());
            errln!(
                ctx.io,
                "{}",
                crate::tr!("unit.differs", path = path, command = command)
            );
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
        crate::tr!("unit.wrote", path = path.display())
    );
    print_next(&ctx.io, daemon, &enable, also);
    Ok(exit::OK)
}

fn print_next(io: &Io, daemon: Daemon, enable: &str, also: &dyn Fn(&Io)) {
    outln!(io, "{}\n  {enable}", crate::tr!("unit.start_with"));
    let log = if cfg!(target_os = "macos") {
        "log stream --predicate 'process == \"actoken\"'".to_owned()
    } else {
        format!("journalctl --user -u {} -f", daemon.systemd_unit())
    };
    outln!(io, "{}", crate::tr!("unit.its_log", command = log));
    also(io);
    // The agent keeps the tokens fresh as watch does: two of them would only race.
    for other in Daemon::ALL.into_iter().filter(|d| *d != daemon) {
        if let Some(path) = other.unit_path().filter(|p| p.exists()) {
            let (path, command) = (path.display(), other.disable_command());
            outln!(
                io,
                "{}\n  {command}",
                crate::tr!("unit.other_installed", path = path)
            );
        }
    }
}

/// The unit. `Restart=on-failure` brings it back after a crash; a clean stop (exit 0 on
/// SIGTERM) stays stopped.
fn systemd_unit(
    daemon: Daemon,
    exe: &Path,
    keyring_service: Option<&str>,
    args: &[String],
) -> String {
    let environment = keyring_service
        .map(|s| {
            format!(
                "Environment={}\n",
                systemd_quote(&format!("{SERVICE_ENV}={s}"))
            )
        })
        .unwrap_or_default();
    let args: String = args
        .iter()
        .map(|a| format!(" {}", systemd_word(a)))
        .collect();
    format!(
        "[Unit]\n\
         Description={}\n\
         \n\
         [Service]\n\
         Type=exec\n\
         ExecStart={} {}{args}\n\
         {environment}\
         Restart=on-failure\n\
         RestartSec=30\n\
         \n\
         [Install]\n\
         WantedBy=default.target\n",
        daemon.description(),
        systemd_quote(&exe.to_string_lossy()),
        daemon.command(),
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

/// A flag stays bare (`--allow-root`, `5m`); anything else (a path) is quoted.
fn systemd_word(s: &str) -> String {
    let bare = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if bare { s.to_owned() } else { systemd_quote(s) }
}

fn launchd_plist(
    daemon: Daemon,
    exe: &Path,
    keyring_service: Option<&str>,
    args: &[String],
) -> String {
    let environment = keyring_service
        .map(|s| {
            format!(
                "  <key>EnvironmentVariables</key>\n  <dict>\n    <key>{SERVICE_ENV}</key>\n    <string>{}</string>\n  </dict>\n",
                xml(s)
            )
        })
        .unwrap_or_default();
    let args: String = args
        .iter()
        .map(|a| format!("    <string>{}</string>\n", xml(a)))
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <plist version=\"1.0\">\n<dict>\n\
         \x20 <key>Label</key>\n  <string>{}</string>\n\
         \x20 <key>ProgramArguments</key>\n  <array>\n    <string>{}</string>\n    <string>{}</string>\n{args}  </array>\n\
         {environment}\
         \x20 <key>RunAtLoad</key>\n  <true/>\n\
         \x20 <key>KeepAlive</key>\n  <dict>\n    <key>SuccessfulExit</key>\n    <false/>\n  </dict>\n\
         </dict>\n</plist>\n",
        daemon.launchd_label(),
        xml(&exe.to_string_lossy()),
        daemon.command(),
    )
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &[&str]) -> Vec<String> {
        args.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn odd_paths_are_quoted_for_each_format() {
        let exe = Path::new("/opt/my apps/50%/$x/\"q\"/actoken");
        let unit = systemd_unit(Daemon::Watch, exe, Some("work"), &[]);
        assert!(
            unit.contains(r#"ExecStart="/opt/my apps/50%%/$$x/\"q\"/actoken" watch"#),
            "{unit}"
        );
        assert!(
            unit.contains("Environment=\"ACTOKEN_KEYRING_SERVICE=work\"\n"),
            "{unit}"
        );
        assert!(!systemd_unit(Daemon::Watch, exe, None, &[]).contains("Environment"));
        let plist = launchd_plist(Daemon::Watch, Path::new("/a&b/<c>"), None, &[]);
        assert!(
            plist.contains("<string>/a&amp;b/&lt;c&gt;</string>"),
            "{plist}"
        );
        assert!(plist.contains("<string>watch</string>"));
    }

    #[test]
    fn a_sink_directory_goes_into_the_unit_quoted() {
        let exe = Path::new("/usr/bin/actoken");
        let unit = systemd_unit(
            Daemon::Watch,
            exe,
            None,
            &words(&["--sink", "/scratch/a b/50%/华东"]),
        );
        assert!(
            unit.contains(
                "ExecStart=\"/usr/bin/actoken\" watch --sink \"/scratch/a b/50%%/华东\"\n"
            ),
            "{unit}"
        );
        let plist = launchd_plist(Daemon::Watch, exe, None, &words(&["--sink", "/s/<t>"]));
        assert!(
            plist.contains(
                "<string>watch</string>\n    <string>--sink</string>\n    <string>/s/&lt;t&gt;</string>\n  </array>"
            ),
            "{plist}"
        );
    }

    #[test]
    fn the_agent_s_unit_runs_the_agent_with_its_flags() {
        let exe = Path::new("/usr/bin/actoken");
        let args = words(&[
            "--socket",
            "/run/user/1000/actoken/agent.sock",
            "--allow-root",
        ]);
        let unit = systemd_unit(Daemon::Agent, exe, None, &args);
        assert!(
            unit.contains(
                "ExecStart=\"/usr/bin/actoken\" agent --socket \"/run/user/1000/actoken/agent.sock\" --allow-root\n"
            ),
            "{unit}"
        );
        assert!(unit.contains("Description=actoken agent: "), "{unit}");
        let plist = launchd_plist(Daemon::Agent, exe, None, &args);
        assert!(plist.contains("<string>actoken.agent</string>"), "{plist}");
        assert!(
            plist.contains(
                "<string>agent</string>\n    <string>--socket</string>\n    <string>/run/user/1000/actoken/agent.sock</string>\n    <string>--allow-root</string>\n  </array>"
            ),
            "{plist}"
        );
        assert_eq!(Daemon::Agent.systemd_unit(), "actoken-agent.service");
    }
}
