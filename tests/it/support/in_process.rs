//! The CLI in-process, on memory stores: the same command line, parsed and run by
//! `actoken::cli::run_with` with its output captured (as gh's `iostreams.Test()`), so that the
//! tests of what commands do need no Secret Service. The Secret Service itself is tested
//! against the real one (`store_keyring`, `self_heal`, …); the binary end to end by `cli`.
//!
//! `InProcess::cmd()` reads like `Env::cmd()`: `.args([…])`, `.write_stdin(…)`, then
//! `.assert()` (assert_cmd's assertions) or `.output()`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use actoken::cli::{Context, Io};
use actoken::config::Paths;
use actoken::dashboard::tui::Unobserved;
use actoken::i18n::{Lang, with_lang};
use actoken::store::{MemoryBackend, SecretBackend};
use actoken::token::Token;
use assert_cmd::assert::Assert;

/// One user's world: a private home for files, and memory stores for tokens and keys.
pub struct InProcess {
    dir: tempfile::TempDir,
    tokens: MemoryBackend,
    keys: MemoryBackend,
}

/// One command line to run.
pub struct Run<'a> {
    world: &'a InProcess,
    args: Vec<OsString>,
    stdin: Vec<u8>,
    /// Whether the command has a terminal (a buffer standing for `/dev/tty`).
    terminal: bool,
}

impl InProcess {
    pub fn new() -> InProcess {
        InProcess {
            dir: tempfile::tempdir().unwrap(),
            tokens: MemoryBackend::new(),
            keys: MemoryBackend::new(),
        }
    }

    pub fn cmd(&self) -> Run<'_> {
        Run {
            world: self,
            args: vec!["actoken".into()],
            stdin: Vec::new(),
            terminal: false,
        }
    }

    pub fn index_file(&self) -> PathBuf {
        self.paths().index_file()
    }

    /// The world's private home (for files a test writes, e.g. a `--config` file).
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Where actoken keeps its state (the rescue files, ...).
    pub fn state_dir(&self) -> PathBuf {
        self.paths().state_dir
    }

    fn paths(&self) -> Paths {
        Paths::under(self.dir.path())
    }

    /// `actoken add NAME --base-url URL` with the token on stdin; panics unless it succeeds.
    pub fn add(&self, name: &str, base_url: &str, token: &Token) {
        self.cmd()
            .args(["add", name, "--base-url", base_url])
            .write_stdin(token.expose())
            .assert()
            .success();
    }

    /// The secret exactly as the store holds it (bypassing every check of the CLI).
    pub fn stored_raw(&self, name: &str) -> String {
        self.tokens
            .get(name)
            .unwrap()
            .expect("a stored secret")
            .expose()
            .to_owned()
    }

    /// The token store itself (its failure switches, its counts).
    pub fn token_backend(&self) -> &MemoryBackend {
        &self.tokens
    }

    /// The rescue files written so far.
    pub fn rescue_files(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.state_dir().join("rescue"))
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default()
    }

    /// The accounts whose secret key is remembered.
    pub fn remembered_keys(&self) -> Vec<String> {
        self.keys.names().unwrap()
    }

    /// Every name the token store holds a secret for.
    pub fn stored_names(&self) -> Vec<String> {
        self.tokens.names().unwrap()
    }

    /// The token as `actoken token NAME` prints it.
    pub fn stored(&self, name: &str) -> String {
        let out = self.cmd().args(["token", name]).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }
}

impl Run<'_> {
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn write_stdin(mut self, input: impl AsRef<[u8]>) -> Self {
        self.stdin = input.as_ref().to_vec();
        self
    }

    /// Gives the command a terminal: what it writes there comes back from
    /// [`Run::output_and_terminal`].
    pub fn with_terminal(mut self) -> Self {
        self.terminal = true;
        self
    }

    /// Runs it in this process, in English (the messages checked are the English ones).
    pub fn output(self) -> std::io::Result<std::process::Output> {
        Ok(self.output_and_terminal().0)
    }

    /// [`Run::output`], and what was written to the terminal (see [`Run::with_terminal`]).
    pub fn output_and_terminal(self) -> (std::process::Output, String) {
        use std::os::unix::process::ExitStatusExt;
        let (io, captured) = match self.terminal {
            true => Io::captured_with_terminal(&self.stdin),
            false => Io::captured(&self.stdin),
        };
        let io = Arc::new(io);
        let world = self.world;
        let context = |global: &actoken::cli::GlobalArgs| {
            let tokens: Arc<dyn SecretBackend> = Arc::new(world.tokens.clone());
            let keys: Arc<dyn SecretBackend> = Arc::new(world.keys.clone());
            Context::with_stores(global, world.paths(), Arc::clone(&io), tokens, keys)
        };
        let code = with_lang(Lang::En, || {
            actoken::cli::run_with(&self.args, &io, context, &mut Unobserved, false)
        });
        let output = std::process::Output {
            status: std::process::ExitStatus::from_raw(i32::from(code) << 8),
            stdout: captured.stdout().into_bytes(),
            stderr: captured.stderr().into_bytes(),
        };
        (output, captured.terminal())
    }

    pub fn assert(self) -> Assert {
        Assert::new(self.output().unwrap())
    }
}
