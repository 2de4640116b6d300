//! Whose files actoken believes. The config, the index and the accounts file say where tokens
//! are sent; the ca-file says which servers are believed; the state directory holds locks and
//! rescued tokens; the center cache hands out the addresses scripts send tokens to. Another
//! user who can change any of them (or swap in their own) receives tokens at the next renewal.
//!
//! So, as ssh does for `~/.ssh`: the file (or directory) itself must belong to the user or root
//! and be writable by nobody else (`watch --sink`'s directory of token files: not even readable),
//! and so must every directory above it, up to and including
//! `$HOME` (or `/` for a path outside it). A directory above it that others can write is
//! accepted only with the sticky bit (`/tmp`), where they cannot rename or replace what is not
//! theirs. Directories are checked both as written and as resolved, so a symlink's own
//! directory counts as well as where it points.

use crate::shell_quote::shell_word;
use std::path::{Path, PathBuf};

use crate::tr;

/// What a checked path is to actoken, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Config,
    ConfigDir,
    Index,
    Accounts,
    StateDir,
    /// The private directory of a token file (`exec --keep-fresh`'s `AC_TOKEN_FILE`).
    TokenFileDir,
    CenterCache,
    CaFile,
    /// `watch --sink`'s directory of token files.
    SinkDir,
}

impl Role {
    fn words(self) -> String {
        match self {
            Role::Config => tr!("trust.what.config"),
            Role::ConfigDir => tr!("trust.what.config_dir"),
            Role::Index => tr!("trust.what.index"),
            Role::Accounts => tr!("trust.what.accounts"),
            Role::StateDir => tr!("trust.what.state_dir"),
            Role::TokenFileDir => tr!("trust.what.token_file_dir"),
            Role::CenterCache => tr!("trust.what.center_cache"),
            Role::CaFile => tr!("trust.what.ca_file"),
            Role::SinkDir => tr!("trust.what.sink_dir"),
        }
    }

    /// Whether others may not even read it: a directory of token files names every token
    /// and says when each expires.
    fn private(self) -> bool {
        self == Role::SinkDir
    }
}

/// Why a path is not believed: what it is, where, and who else could change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distrust {
    role: Role,
    path: PathBuf,
    problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(unix), allow(dead_code))] // Only unix has owners and modes to check.
enum Problem {
    /// The path itself can be written by its group or by everyone.
    Writable { mode: u32, dir: bool },
    /// The path itself, which must be private, can be read or entered by others.
    Readable { mode: u32 },
    /// The path itself belongs to another user.
    Owner { uid: u32 },
    /// A directory above it can be written by others (and has no sticky bit).
    ParentWritable { dir: PathBuf, mode: u32 },
    /// A directory above it belongs to another user.
    ParentOwner { dir: PathBuf, uid: u32 },
}

impl Distrust {
    /// The path that was asked about.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl std::fmt::Display for Distrust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = self.role.words();
        // Paths go into the fix commands the message suggests: one shell word each.
        let path = shell_word(&self.path.to_string_lossy());
        let text = match &self.problem {
            Problem::Writable { mode, dir } => {
                let wanted = if *dir { "700" } else { "600" };
                let mode = format!("{mode:04o}");
                tr!(
                    "trust.writable",
                    what = what,
                    path = path,
                    mode = mode,
                    wanted = wanted
                )
            }
            Problem::Readable { mode } => {
                let mode = format!("{mode:04o}");
                tr!("trust.readable", what = what, path = path, mode = mode)
            }
            Problem::Owner { uid } => tr!("trust.owner", what = what, path = path, uid = uid),
            Problem::ParentWritable { dir, mode } => {
                let (dir, mode) = (shell_word(&dir.to_string_lossy()), format!("{mode:04o}"));
                tr!(
                    "trust.parent_writable",
                    what = what,
                    path = path,
                    dir = dir,
                    mode = mode
                )
            }
            Problem::ParentOwner { dir, uid } => {
                let dir = shell_word(&dir.to_string_lossy());
                tr!(
                    "trust.parent_owner",
                    what = what,
                    path = path,
                    dir = dir,
                    uid = uid
                )
            }
        };
        f.write_str(&text)
    }
}

impl std::error::Error for Distrust {}

/// Checks `path` (a missing one passes, but the directories above it are still checked) for
/// the user this process runs as, up to their home directory.
pub fn check(role: Role, path: &Path) -> Result<(), Distrust> {
    #[cfg(unix)]
    {
        // SAFETY: geteuid cannot fail and touches no memory.
        let me = unsafe { libc::geteuid() };
        let home = directories::BaseDirs::new().map(|d| d.home_dir().to_owned());
        check_as(role, path, me, home.as_deref())
    }
    #[cfg(not(unix))]
    {
        let _ = (role, path);
        Ok(())
    }
}

/// [`check`] for user `me` whose home is `home`.
#[cfg(unix)]
fn check_as(role: Role, path: &Path, me: u32, home: Option<&Path>) -> Result<(), Distrust> {
    use std::os::unix::fs::MetadataExt;
    let distrust = |problem| Distrust {
        role,
        path: path.to_owned(),
        problem,
    };
    let trusted_owner = |uid: u32| uid == me || uid == 0;
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    // A missing path, or one that cannot be examined: the read that follows reports it.
    if let Ok(meta) = std::fs::metadata(&absolute) {
        if !trusted_owner(meta.uid()) {
            return Err(distrust(Problem::Owner { uid: meta.uid() }));
        }
        let mode = meta.mode() & 0o7777;
        // Even with the sticky bit: others could still add files to actoken's own directory.
        if mode & 0o022 != 0 {
            return Err(distrust(Problem::Writable {
                mode,
                dir: meta.is_dir(),
            }));
        }
        if role.private() && mode & 0o077 != 0 {
            return Err(distrust(Problem::Readable { mode }));
        }
    }
    for dir in directories_above(&absolute, home) {
        let Ok(meta) = std::fs::metadata(&dir) else {
            continue;
        };
        if !trusted_owner(meta.uid()) {
            let uid = meta.uid();
            return Err(distrust(Problem::ParentOwner { dir, uid }));
        }
        let mode = meta.mode() & 0o7777;
        let sticky = mode & 0o1000 != 0;
        if mode & 0o022 != 0 && !sticky {
            return Err(distrust(Problem::ParentWritable { dir, mode }));
        }
    }
    Ok(())
}

/// The directories above `path`, nearest first: as written, then as resolved (symlinks
/// followed), each chain up to and including `home` when it passes through it, else to `/`.
#[cfg(unix)]
fn directories_above(path: &Path, home: Option<&Path>) -> Vec<PathBuf> {
    let resolved_home = home.and_then(|h| std::fs::canonicalize(h).ok());
    let is_home = |dir: &Path| Some(dir) == home || Some(dir) == resolved_home.as_deref();
    let written = path.ancestors().skip(1);
    // Resolve the nearest part that exists; a missing tail has nothing to resolve.
    let resolved = path
        .ancestors()
        .find_map(|p| std::fs::canonicalize(p).ok().map(|c| (p == path, c)));
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut add_chain = |chain: &mut dyn Iterator<Item = &Path>| {
        for dir in chain {
            if !dirs.iter().any(|d| d == dir) {
                dirs.push(dir.to_owned());
            }
            if is_home(dir) {
                break;
            }
        }
    };
    add_chain(&mut written.into_iter());
    if let Some((is_path_itself, resolved)) = &resolved {
        // The path itself was checked as itself; a resolved ancestor is a directory above it.
        let skip = usize::from(*is_path_itself);
        add_chain(&mut resolved.ancestors().skip(skip));
    }
    dirs
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::i18n::{Lang, with_lang};
    use std::os::unix::fs::{PermissionsExt, chown, symlink};

    /// Someone else: `nobody` on most systems.
    const OTHER: u32 = 65534;

    fn me() -> u32 {
        // SAFETY: geteuid cannot fail and touches no memory.
        unsafe { libc::geteuid() }
    }

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// A home with `.config/actoken/index.toml`, all private; returns (tempdir, home, file).
    fn home() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let dir = home.join(".config/actoken");
        std::fs::create_dir_all(&dir).unwrap();
        for d in [&home, &home.join(".config"), &dir] {
            chmod(d, 0o700);
        }
        let file = dir.join("index.toml");
        std::fs::write(&file, "version = 2\n").unwrap();
        chmod(&file, 0o600);
        (tmp, home, file)
    }

    fn check_in(home: &Path, path: &Path) -> Result<(), Distrust> {
        check_as(Role::Index, path, me(), Some(home))
    }

    fn en(d: &Distrust) -> String {
        with_lang(Lang::En, || d.to_string())
    }

    #[test]
    fn private_files_in_private_directories_pass_and_missing_ones_too() {
        let (_tmp, home, file) = home();
        check_in(&home, &file).unwrap();
        check_in(&home, &file.with_file_name("missing.toml")).unwrap();
        check_in(&home, &home.join(".config/nothing/here.toml")).unwrap();
        // The real user's own check passes on a private temp dir (under a sticky /tmp).
        check(Role::Index, &file).unwrap();
    }

    /// The fix is a command the user pastes: a path with a space or a quote is one shell word.
    #[test]
    fn the_fix_command_quotes_the_path() {
        let (_tmp, home, _) = home();
        let dir = home.join(".config/my actoken's");
        std::fs::create_dir_all(&dir).unwrap();
        chmod(&dir, 0o700);
        let file = dir.join("index.toml");
        std::fs::write(&file, "version = 2\n").unwrap();
        chmod(&file, 0o620);
        let text = en(&check_in(&home, &file).unwrap_err());
        let quoted = crate::shell_quote::shell_word(&file.to_string_lossy());
        assert!(quoted.starts_with('\''), "{quoted}");
        assert!(text.contains(&format!("chmod 600 {quoted}")), "{text}");
    }

    #[test]
    fn the_file_or_directory_itself_writable_by_others_is_refused() {
        let (_tmp, home, file) = home();
        chmod(&file, 0o620);
        let err = check_in(&home, &file).unwrap_err();
        let text = en(&err);
        assert!(text.contains("mode 0620"), "{text}");
        assert!(
            text.contains(&format!("chmod 600 {}", file.display())),
            "{text}"
        );
        chmod(&file, 0o600);
        let dir = file.parent().unwrap();
        // The sticky bit does not help actoken's own directory: others could add files.
        chmod(dir, 0o1777);
        let err = check_as(Role::ConfigDir, dir, me(), Some(&home)).unwrap_err();
        assert!(
            en(&err).contains(&format!("chmod 700 {}", dir.display())),
            "{}",
            en(&err)
        );
    }

    #[test]
    fn a_directory_of_token_files_must_not_even_be_readable_by_others() {
        let (_tmp, home, _file) = home();
        let sink = home.join("tokens");
        std::fs::create_dir(&sink).unwrap();
        let check_sink = || check_as(Role::SinkDir, &sink, me(), Some(&home));
        chmod(&sink, 0o700);
        check_sink().unwrap();
        for mode in [0o755, 0o750, 0o701] {
            chmod(&sink, mode);
            let text = en(&check_sink().unwrap_err());
            assert!(text.contains(&format!("mode {mode:04o}")), "{text}");
            assert!(
                text.contains(&format!("chmod 700 {}", sink.display())),
                "{text}"
            );
        }
        // Writable is still the worse news.
        chmod(&sink, 0o777);
        assert!(en(&check_sink().unwrap_err()).contains("can be written"));
        // Other roles keep the old rule: readable is fine.
        chmod(&sink, 0o755);
        check_as(Role::StateDir, &sink, me(), Some(&home)).unwrap();
    }

    #[test]
    fn a_directory_above_writable_by_others_is_refused_unless_sticky() {
        let (_tmp, home, file) = home();
        let config = home.join(".config");
        chmod(&config, 0o777);
        let text = en(&check_in(&home, &file).unwrap_err());
        assert!(text.contains(&config.display().to_string()), "{text}");
        assert!(text.contains("mode 0777"), "{text}");
        assert!(
            text.contains(&format!("chmod go-w {}", config.display())),
            "{text}"
        );
        // Group-writable counts too (ssh's rule).
        chmod(&config, 0o770);
        assert!(check_in(&home, &file).is_err());
        // Missing files are refused too when a directory above can be changed by others.
        assert!(check_in(&home, &file.with_file_name("accounts.toml")).is_err());
        // Sticky (as /tmp): others can add files there, but not replace ours.
        chmod(&config, 0o1777);
        check_in(&home, &file).unwrap();
        chmod(&config, 0o700);
        // Home itself is checked; above home is not.
        chmod(&home, 0o775);
        assert!(check_in(&home, &file).is_err());
        chmod(&home, 0o700);
        chmod(home.parent().unwrap(), 0o777);
        check_in(&home, &file).unwrap();
        chmod(home.parent().unwrap(), 0o700);
        // Outside home, everything up to / counts.
        let nowhere = Path::new("/nonexistent-home");
        chmod(home.parent().unwrap(), 0o777);
        assert!(check_in(nowhere, &file).is_err());
        chmod(home.parent().unwrap(), 0o700);
    }

    /// Needs root (CI runs as root) to give files away; skips, saying so, otherwise.
    fn can_chown() -> bool {
        if me() != 0 {
            eprintln!("SKIPPED: giving a file to another user needs root");
            return false;
        }
        true
    }

    #[test]
    fn a_file_or_directory_of_another_user_is_refused() {
        if !can_chown() {
            return;
        }
        let (_tmp, home, file) = home();
        chown(&file, Some(OTHER), None).unwrap();
        let text = en(&check_in(&home, &file).unwrap_err());
        assert!(text.contains("uid 65534"), "{text}");
        assert!(text.contains(&file.display().to_string()), "{text}");
        assert!(text.contains("chown"), "{text}");
        chown(&file, Some(me()), None).unwrap();
        let config = home.join(".config");
        chown(&config, Some(OTHER), None).unwrap();
        let text = en(&check_in(&home, &file).unwrap_err());
        assert!(text.contains(&config.display().to_string()), "{text}");
        assert!(text.contains("uid 65534"), "{text}");
        chown(&config, Some(me()), None).unwrap();
        // Seen by user OTHER: their own files pass, and so do root's (as ssh has it), but not
        // a third user's.
        let tree = [&file, &config, &home, &config.join("actoken")];
        for p in tree {
            chown(p, Some(OTHER), None).unwrap();
        }
        check_as(Role::Index, &file, OTHER, Some(&home)).unwrap();
        chown(&config, Some(0), None).unwrap();
        chown(&file, Some(0), None).unwrap();
        check_as(Role::Index, &file, OTHER, Some(&home)).unwrap();
        chown(&file, Some(OTHER - 1), None).unwrap();
        check_as(Role::Index, &file, OTHER, Some(&home)).unwrap_err();
    }

    #[test]
    fn a_symlink_is_judged_by_where_it_points_and_where_it_sits() {
        let (tmp, home, file) = home();
        let elsewhere = tmp.path().join("shared");
        std::fs::create_dir(&elsewhere).unwrap();
        let real = elsewhere.join("index.toml");
        std::fs::write(&real, "version = 2\n").unwrap();
        chmod(&real, 0o600);
        std::fs::remove_file(&file).unwrap();
        symlink(&real, &file).unwrap();
        chmod(&elsewhere, 0o700);
        check_in(&home, &file).unwrap();
        // Where it points is a directory others can change.
        chmod(&elsewhere, 0o777);
        let text = en(&check_in(&home, &file).unwrap_err());
        assert!(text.contains(&elsewhere.display().to_string()), "{text}");
        chmod(&elsewhere, 0o700);
        // Where the link itself sits is a directory others can change.
        chmod(file.parent().unwrap(), 0o777);
        assert!(check_in(&home, &file).is_err());
    }

    #[test]
    fn messages_name_the_file_in_both_languages() {
        let (_tmp, home, file) = home();
        chmod(&file, 0o666);
        let err = check_in(&home, &file).unwrap_err();
        let zh = with_lang(Lang::ZhCn, || err.to_string());
        assert!(zh.contains(&file.display().to_string()), "{zh}");
        assert!(zh.contains("chmod 600"), "{zh}");
        assert_ne!(zh, en(&err));
    }
}
