//! `actoken watch --sink DIR`: every stored token as a file of its own in DIR, for jobs that
//! cannot reach the keyring (a compute node on a shared file system) and re-read a file before
//! each call, as HTCondor's credmon and Vault Agent's file sink hand tokens to jobs.
//!
//! `DIR/STEM.token` holds the token alone (no newline) and `DIR/STEM.json` its facts
//! ([`Sidecar`]); STEM is the name made safe for a file name ([`names`]). Both are 0600 in a
//! 0700 DIR and written atomically (write, fsync, rename): a reader sees the old token or the
//! new one, never half of one. The token goes first, so the sidecar never promises a later
//! expiry than the token file holds. After every pass the files follow the store: a token
//! renewed, by watch or by any other actoken process, is written again, and one removed from
//! the store loses its files. A DIR that others can read or write, or that is someone else's,
//! is refused, not fixed.

mod names;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::files::{Role, trust};
use crate::store::{Door, EntryMeta, SecretState, StoreError, fingerprint};
use crate::token::Token;

use super::super::exit;
use super::log::{Level, line};
use names::{SIDECAR_SUFFIX, TOKEN_SUFFIX};

/// What `STEM.json` says about the token in `STEM.token` (version 1).
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct Sidecar {
    pub version: u32,
    /// The token's name in actoken.
    pub name: String,
    /// The file beside this one that holds the token.
    pub token_file: String,
    pub base_url: String,
    /// RFC 3339; `null` only for a token without `expireTime` (which nothing can renew).
    pub expires_at: Option<Timestamp>,
    /// The last moment the token can still be renewed (RFC 3339).
    pub renew_cutoff: Option<Timestamp>,
}

const SIDECAR_VERSION: u32 = 1;

/// The directory and what this process last wrote into it.
pub(crate) struct Sink {
    dir: PathBuf,
    /// Name -> fingerprint of the token its file holds.
    written: HashMap<String, String>,
    /// Whether a pass was logged yet (the first one writes every file: one line says so).
    logged: bool,
    /// The failures the last pass logged: the same ones are not logged again every pass.
    last_failed: HashSet<String>,
}

/// What one [`Sink::follow`] did.
#[derive(Debug, Default)]
pub(crate) struct Followed {
    pub written: Vec<String>,
    pub removed: Vec<String>,
    /// What failed (a token's name, or the directory), why, and the exit code it is worth.
    pub failed: Vec<(String, String, u8)>,
}

impl Sink {
    /// Makes DIR (0700) when it is missing; refuses one that another user owns or that others
    /// can read or write, and one inside a directory others can change.
    pub(crate) fn open(dir: &Path) -> Result<Sink, StoreError> {
        let dir = std::path::absolute(dir).map_err(|e| StoreError::io(dir, e))?;
        crate::store::ensure_trusted_dir(Role::SinkDir, &dir)?;
        Ok(Sink {
            dir,
            written: HashMap::new(),
            logged: false,
            last_failed: HashSet::new(),
        })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where token `name`'s file is (for messages); `None` for a name too long for a file.
    pub(crate) fn token_file(&self, name: &str) -> Option<PathBuf> {
        names::stem(name).map(|stem| self.dir.join(format!("{stem}{TOKEN_SUFFIX}")))
    }

    /// Brings the files in step with the store: writes the tokens whose files are missing or
    /// hold another token than the store, and removes the files of tokens no longer stored.
    pub(crate) async fn follow(&mut self, door: &Door, grace: SignedDuration) -> Followed {
        let mut done = Followed::default();
        // Checked on every pass: a directory opened up since is refused from then on.
        if let Err(distrust) = trust::check(Role::SinkDir, &self.dir) {
            let why = distrust.to_string();
            done.failed.push((dir_text(&self.dir), why, exit::FAILURE));
            return done;
        }
        let stored = match door.reload_index().await {
            Ok(stored) => stored,
            Err(e) => {
                done.failed.push(failure(dir_text(&self.dir), e));
                return done;
            }
        };
        let here = door.store().kind();
        for entry in &stored {
            let name = &entry.meta.name;
            let read = match &entry.secret {
                SecretState::Present(token) => Some(token.clone()),
                SecretState::Indexed if entry.meta.store == here => None,
                // Missing, unreadable or in the other store: the pass says so; the last good
                // file stays for the jobs that read it.
                _ => continue,
            };
            let Some(stem) = names::stem(name) else {
                let why = "the name is too long for a file name".to_owned();
                done.failed.push((name.clone(), why, exit::FAILURE));
                continue;
            };
            let file = self.dir.join(format!("{stem}{TOKEN_SUFFIX}"));
            let last = self.written.get(name).filter(|_| file.exists()).cloned();
            let indexed = entry.meta.facts.as_ref().map(|f| f.fingerprint.clone());
            // The index describes the token the file holds: nothing to read, nothing to write.
            if read.is_none() && last.is_some() && last == indexed {
                continue;
            }
            let (meta, token) = match read {
                Some(token) => (entry.meta.clone(), token),
                None => match door.get(name).await {
                    Ok(read) => read,
                    Err(e) => {
                        done.failed.push(failure(name.clone(), e));
                        continue;
                    }
                },
            };
            let print = fingerprint(&token);
            if last.as_ref() == Some(&print) {
                continue;
            }
            let (dir, what) = (self.dir.clone(), (meta, token, stem));
            let wrote = crate::blocking::off_thread(move || write_files(&dir, &what, grace)).await;
            match wrote.map_err(StoreError::Backend).and_then(|r| r) {
                Ok(()) => {
                    self.written.insert(name.clone(), print);
                    done.written.push(name.clone());
                }
                Err(e) => done.failed.push(failure(name.clone(), e)),
            }
        }
        let kept: HashSet<String> = stored.into_iter().map(|s| s.meta.name).collect();
        self.written.retain(|name, _| kept.contains(name));
        let dir = self.dir.clone();
        match crate::blocking::off_thread(move || remove_stale(&dir, &kept)).await {
            Ok((removed, failed)) => {
                done.removed = removed;
                done.failed.extend(failed);
            }
            Err(panic) => done
                .failed
                .push((dir_text(&self.dir), panic, exit::FAILURE)),
        }
        done
    }
}

impl Sink {
    /// Says on the watch log what `followed` did; returns the exit code of each failure.
    pub(crate) fn log(&mut self, followed: &Followed) -> Vec<u8> {
        let dir = self.dir.display();
        match followed.written.as_slice() {
            [] => {}
            written if !self.logged => {
                let n = written.len();
                let files = if n == 1 { "file" } else { "files" };
                line(Level::Info, &format!("wrote {n} token {files} to {dir}"));
            }
            written => {
                for name in written {
                    let file = self.token_file(name).unwrap_or_default();
                    line(
                        Level::Info,
                        &format!("{name}: wrote the new token to {}", file.display()),
                    );
                }
            }
        }
        self.logged = true;
        for name in &followed.removed {
            line(
                Level::Info,
                &format!("{name}: no longer stored; removed its files from {dir}"),
            );
        }
        let mut failed = HashSet::new();
        for (what, why, _) in &followed.failed {
            let message = if *what == dir_text(&self.dir) {
                format!("--sink {dir}: {why}")
            } else {
                format!("--sink {dir}: {what}: {why}")
            };
            if !self.last_failed.contains(&message) {
                line(Level::Error, &message);
            }
            failed.insert(message);
        }
        self.last_failed = failed;
        followed.failed.iter().map(|(_, _, code)| *code).collect()
    }
}

/// A failure of the store (or of a write) for `what`, with its exit code.
fn failure(what: String, e: StoreError) -> (String, String, u8) {
    let why = e.to_string();
    (what, why, exit::code_for(&e.into()))
}

fn dir_text(dir: &Path) -> String {
    dir.display().to_string()
}

/// `STEM.token`, then `STEM.json`.
fn write_files(
    dir: &Path,
    (meta, token, stem): &(EntryMeta, Token, String),
    grace: SignedDuration,
) -> Result<(), StoreError> {
    let token_file = format!("{stem}{TOKEN_SUFFIX}");
    let life = token.decode().ok().and_then(|d| d.lifetime(grace));
    let sidecar = Sidecar {
        version: SIDECAR_VERSION,
        name: meta.name.clone(),
        token_file: token_file.clone(),
        base_url: meta.base_url.clone(),
        expires_at: life.map(|l| l.expires_at),
        renew_cutoff: life.map(|l| l.cutoff_at),
    };
    let mut json = serde_json::to_string_pretty(&sidecar).expect("a sidecar serialises");
    json.push('\n');
    crate::store::write_atomic(&dir.join(token_file), token.expose().as_bytes(), 0o600)?;
    crate::store::write_atomic(
        &dir.join(format!("{stem}{SIDECAR_SUFFIX}")),
        json.as_bytes(),
        0o600,
    )
}

/// Removes the files of tokens not in `kept`: only those whose sidecar is one actoken wrote
/// for that name (a file of the user's own that merely looks like one stays). Returns the
/// names removed, and what could not be removed.
fn remove_stale(dir: &Path, kept: &HashSet<String>) -> (Vec<String>, Vec<(String, String, u8)>) {
    let (mut removed, mut failed) = (Vec::new(), Vec::new());
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            failed.push((dir_text(dir), e.to_string(), exit::FAILURE));
            return (removed, failed);
        }
    };
    let mut stale: Vec<(String, String)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|file| {
            let stem = file.strip_suffix(SIDECAR_SUFFIX)?.to_owned();
            let name = names::name_of(&stem)?;
            (!kept.contains(&name)).then_some((name, stem))
        })
        .filter(|(name, stem)| ours(&dir.join(format!("{stem}{SIDECAR_SUFFIX}")), name))
        .collect();
    stale.sort();
    for (name, stem) in stale {
        // The token first: a sidecar left by a crash still proves the pair is ours.
        let gone = [TOKEN_SUFFIX, SIDECAR_SUFFIX]
            .iter()
            .map(|suffix| dir.join(format!("{stem}{suffix}")))
            .try_for_each(|path| match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(StoreError::io(&path, e).to_string())
                }
                _ => Ok(()),
            });
        match gone {
            Ok(()) => removed.push(name),
            Err(why) => failed.push((name, why, exit::FAILURE)),
        }
    }
    (removed, failed)
}

/// Whether `path` is a sidecar actoken wrote for token `name`.
fn ours(path: &Path, name: &str) -> bool {
    // Never opened unless a plain file: opening a FIFO would wait for a writer.
    let plain = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file());
    let Some(text) = plain
        .then(|| crate::files::capped::read_to_string(path, 64 * 1024).ok())
        .flatten()
    else {
        return false;
    };
    serde_json::from_str::<Sidecar>(&text).is_ok_and(|s| s.name == name)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::config::Paths;
    use crate::dashboard::app::fixtures::{at, meta, now, token};
    use crate::store::{MemoryBackend, Store};
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::sync::Arc;

    const GRACE: SignedDuration = SignedDuration::from_hours(24);
    const KUNSHAN: &str = "华东一区【昆山】";
    const ALICE: &str = "alice/华东一区【昆山】";

    struct World {
        tmp: tempfile::TempDir,
        store: Store,
        sink: Sink,
    }

    fn world() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&Paths::under(tmp.path()), Arc::new(MemoryBackend::new())).unwrap();
        let sink = Sink::open(&tmp.path().join("jobs/tokens")).unwrap();
        World { tmp, store, sink }
    }

    fn minted(user: &str, expires_in_secs: i64) -> Token {
        token(user, user, "11250", "Normal", at(expires_in_secs))
    }

    impl World {
        fn add(&self, name: &str, token: &Token) {
            let url = "https://ks.hpccube.com:65102";
            self.store.add(meta(name, url), token, false).unwrap();
        }

        async fn follow(&mut self) -> Followed {
            let door = self.store.door();
            self.sink.follow(&door, GRACE).await
        }

        fn file(&self, name: &str, suffix: &str) -> PathBuf {
            self.sink
                .dir()
                .join(format!("{}{suffix}", names::stem(name).unwrap()))
        }

        fn token_in_file(&self, name: &str) -> String {
            std::fs::read_to_string(self.file(name, TOKEN_SUFFIX)).unwrap()
        }

        fn sidecar(&self, name: &str) -> serde_json::Value {
            let text = std::fs::read_to_string(self.file(name, SIDECAR_SUFFIX)).unwrap();
            serde_json::from_str(&text).unwrap()
        }
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[tokio::test]
    async fn files_are_written_at_start_then_follow_renewals_and_removals() {
        let _watchdog = crate::watchdog::arm();
        let mut w = world();
        assert_eq!(mode(w.sink.dir()), 0o700);
        let (kunshan, alice) = (minted("bob", 3600), minted("alice", 7200));
        w.add(KUNSHAN, &kunshan);
        w.add(ALICE, &alice);

        // At start: every token, each with its sidecar, all private.
        let first = w.follow().await;
        assert_eq!(first.written, [ALICE, KUNSHAN]);
        assert!(first.failed.is_empty(), "{:?}", first.failed);
        assert_eq!(w.token_in_file(KUNSHAN), kunshan.expose());
        assert_eq!(w.token_in_file(ALICE), alice.expose());
        assert_eq!(
            w.file(ALICE, TOKEN_SUFFIX).file_name().unwrap(),
            "alice%2F华东一区【昆山】.token"
        );
        let sidecar = w.sidecar(ALICE);
        assert_eq!(sidecar["version"], 1);
        assert_eq!(sidecar["name"], ALICE);
        assert_eq!(sidecar["token_file"], "alice%2F华东一区【昆山】.token");
        assert_eq!(sidecar["expires_at"], at(7200).to_string());
        assert_eq!(sidecar["renew_cutoff"], (at(7200) + GRACE).to_string());
        assert_eq!(sidecar["expires_at"], "2026-11-25T14:00:00Z");
        for name in [KUNSHAN, ALICE] {
            for suffix in [TOKEN_SUFFIX, SIDECAR_SUFFIX] {
                assert_eq!(mode(&w.file(name, suffix)), 0o600, "{name}{suffix}");
            }
        }

        // Nothing changed: nothing is read or written again.
        let inode = std::fs::metadata(w.file(KUNSHAN, TOKEN_SUFFIX))
            .unwrap()
            .ino();
        let quiet = w.follow().await;
        assert!(
            quiet.written.is_empty() && quiet.removed.is_empty(),
            "{quiet:?}"
        );
        let same = std::fs::metadata(w.file(KUNSHAN, TOKEN_SUFFIX))
            .unwrap()
            .ino();
        assert_eq!(inode, same);

        // Renewed (here by another process): the file follows, through a new file (rename).
        let renewed = minted("bob", 3 * 3600);
        w.store.replace_token(KUNSHAN, &renewed, now()).unwrap();
        let after = w.follow().await;
        assert_eq!(after.written, [KUNSHAN]);
        assert_eq!(w.token_in_file(KUNSHAN), renewed.expose());
        assert_eq!(w.sidecar(KUNSHAN)["expires_at"], at(3 * 3600).to_string());
        assert_eq!(w.token_in_file(ALICE), alice.expose());

        // A file deleted by hand comes back.
        std::fs::remove_file(w.file(ALICE, TOKEN_SUFFIX)).unwrap();
        assert_eq!(w.follow().await.written, [ALICE]);
        assert_eq!(w.token_in_file(ALICE), alice.expose());

        // Removed from the store: both its files go; the other token's stay.
        w.store.remove(ALICE).unwrap();
        let removed = w.follow().await;
        assert_eq!(removed.removed, [ALICE]);
        assert!(!w.file(ALICE, TOKEN_SUFFIX).exists());
        assert!(!w.file(ALICE, SIDECAR_SUFFIX).exists());
        assert_eq!(w.token_in_file(KUNSHAN), renewed.expose());
        // No temp files left behind.
        let mut left: Vec<String> = std::fs::read_dir(w.sink.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["华东一区【昆山】.json", "华东一区【昆山】.token"]);
    }

    #[tokio::test]
    async fn a_new_watch_removes_files_of_tokens_removed_meanwhile_but_never_the_users_files() {
        let _watchdog = crate::watchdog::arm();
        let mut w = world();
        w.add(KUNSHAN, &minted("bob", 3600));
        w.add(ALICE, &minted("alice", 3600));
        w.follow().await;
        w.store.remove(ALICE).unwrap();
        // Files the user keeps there, some looking like a token's.
        let dir = w.sink.dir().to_owned();
        std::fs::write(dir.join("notes.json"), "{}").unwrap();
        std::fs::write(dir.join("bob.json"), r#"{"name": "carol"}"#).unwrap();
        std::fs::write(dir.join("bob.token"), "mine").unwrap();
        std::fs::write(dir.join("readme"), "mine").unwrap();
        // Another watch (a restart): it never wrote ALICE's files, and still removes them.
        w.sink = Sink::open(&dir).unwrap();
        let followed = w.follow().await;
        assert_eq!(followed.removed, [ALICE]);
        assert_eq!(followed.written, [KUNSHAN]);
        for kept in ["notes.json", "bob.json", "bob.token", "readme"] {
            assert!(dir.join(kept).exists(), "{kept}");
        }
    }

    #[tokio::test]
    async fn a_directory_others_can_read_or_that_is_not_private_is_refused_not_fixed() {
        let _watchdog = crate::watchdog::arm();
        let mut w = world();
        w.add(KUNSHAN, &minted("bob", 3600));
        let shared = w.tmp.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
        let refused = crate::i18n::with_lang(crate::i18n::Lang::En, || {
            Sink::open(&shared).err().expect("refused").to_string()
        });
        assert!(refused.contains("mode 0755"), "{refused}");
        assert!(refused.contains("chmod 700"), "{refused}");
        assert_eq!(mode(&shared), 0o755, "not fixed behind the user's back");
        assert_eq!(std::fs::read_dir(&shared).unwrap().count(), 0);

        // Opened up while watch runs: refused from the next pass on, nothing written.
        let dir = w.sink.dir().to_owned();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o750)).unwrap();
        let followed = w.follow().await;
        assert!(followed.written.is_empty());
        let (what, why, code) = &followed.failed[0];
        assert_eq!(what, &dir.display().to_string());
        assert!(why.contains("0750"), "{why}");
        assert_eq!(*code, exit::FAILURE);
        assert_eq!(mode(&dir), 0o750);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        // The same failure is logged once, but counts every pass.
        assert_eq!(w.sink.log(&followed), [exit::FAILURE]);
        assert_eq!(w.sink.log(&followed), [exit::FAILURE]);
    }
}
