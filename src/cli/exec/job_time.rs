//! A warning before `actoken exec NAME -- sbatch …` hands a Slurm job a token that dies before
//! the job may end. Plain `exec` freezes the token in the job's environment; unless the job
//! keeps it fresh itself (`actoken exec --from-env --keep-fresh` in its script), every call
//! after the expiry fails.
//!
//! The job's limit is its `--time`/`-t` on the command line, else a `#SBATCH --time`/`-t` line
//! of the script (sbatch reads those up to the first command). No limit found (the partition's
//! default applies): no warning. The script or `--wrap` mentioning `--keep-fresh`: no warning.

use std::ffi::{OsStr, OsString};
use std::path::Path;

use jiff::{SignedDuration, Timestamp};

use crate::token::Lifetime;
use crate::tr;

/// How much of a script is read for its `#SBATCH` lines.
const SCRIPT_CAP: u64 = 256 * 1024;

/// A job's time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    For(SignedDuration),
    Unlimited,
}

/// What the sbatch command line says about the job.
#[derive(Debug, Default, PartialEq, Eq)]
struct Job {
    limit: Option<Limit>,
    keeps_fresh: bool,
}

/// The warning for `program args…` when it is a Slurm submission whose job may outlive the
/// token (`life`) it is handed at `now`.
pub(super) fn warning(
    program: &OsStr,
    args: &[OsString],
    life: Lifetime,
    now: Timestamp,
) -> Option<String> {
    if Path::new(program).file_name() != Some(OsStr::new("sbatch")) {
        return None;
    }
    let job = read_job(args);
    let limit = job.limit?;
    if job.keeps_fresh {
        return None;
    }
    let (limit_text, outlives) = match limit {
        Limit::Unlimited => ("UNLIMITED".to_owned(), true),
        Limit::For(d) => (
            crate::timefmt::compact(d),
            now.saturating_add(d).unwrap_or(Timestamp::MAX) > life.expires_at,
        ),
    };
    outlives.then(|| {
        let expires = crate::timefmt::relative(now.duration_until(life.expires_at));
        let cutoff = crate::timefmt::relative(now.duration_until(life.cutoff_at));
        tr!(
            "exec.job_outlives_token",
            limit = limit_text,
            expires = expires,
            cutoff = cutoff
        )
    })
}

/// The limit from the command line, else from the script; whether either keeps the token fresh.
fn read_job(args: &[OsString]) -> Job {
    let mut job = Job::default();
    let mut script = None;
    let mut args = args.iter().map(|a| a.to_string_lossy());
    while let Some(arg) = args.next() {
        if let Some(value) = option_value(&arg, &mut args, "--time", "-t") {
            job.limit = job.limit.or(parse_limit(&value));
        } else if let Some(wrap) = option_value(&arg, &mut args, "--wrap", "") {
            job.keeps_fresh |= wrap.contains("--keep-fresh");
        } else if !arg.starts_with('-')
            && let Some(text) = read_script(&arg)
        {
            // The first batch script is the script (an option's value, such as an output
            // file, is not one); the rest are its arguments.
            script = Some(text);
            break;
        }
    }
    if let Some(text) = script {
        job.keeps_fresh |= text.contains("--keep-fresh");
        if job.limit.is_none() {
            job.limit = script_limit(&text);
        }
    }
    job
}

/// The value of `--long=V`, `--long V`, `-sV` or `-s V` (`short` may be empty: no short form).
fn option_value(
    arg: &str,
    rest: &mut dyn Iterator<Item = std::borrow::Cow<'_, str>>,
    long: &str,
    short: &str,
) -> Option<String> {
    if let Some(value) = arg.strip_prefix(long).and_then(|r| r.strip_prefix('=')) {
        return Some(value.to_owned());
    }
    if arg == long || (!short.is_empty() && arg == short) {
        return Some(rest.next().map(|v| v.into_owned()).unwrap_or_default());
    }
    if short.is_empty() {
        return None;
    }
    arg.strip_prefix(short)
        .filter(|v| !v.is_empty() && !arg.starts_with("--"))
        .map(str::to_owned)
}

/// The text of a batch script: sbatch takes only a file whose first line starts with `#!`.
fn read_script(path: &str) -> Option<String> {
    use std::io::Read;
    let path = Path::new(path);
    if !path.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    let file = std::fs::File::open(path).ok()?;
    file.take(SCRIPT_CAP).read_to_end(&mut bytes).ok()?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    text.starts_with("#!").then_some(text)
}

/// The first `#SBATCH --time`/`-t` before the script's first command (where sbatch stops).
fn script_limit(text: &str) -> Option<Limit> {
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            continue;
        }
        let Some(directive) = line.strip_prefix("#SBATCH") else {
            if line.starts_with('#') {
                continue;
            }
            return None;
        };
        let mut words = directive.split_whitespace().map(std::borrow::Cow::Borrowed);
        while let Some(word) = words.next() {
            if let Some(value) = option_value(&word, &mut words, "--time", "-t") {
                return parse_limit(&value);
            }
        }
    }
    None
}

/// Slurm's time formats: `M`, `M:S`, `H:M:S`, `D-H`, `D-H:M`, `D-H:M:S`; `UNLIMITED`,
/// `INFINITE` (and `-1`) for none.
fn parse_limit(value: &str) -> Option<Limit> {
    let value = value.trim();
    if ["unlimited", "infinite", "-1"].contains(&value.to_ascii_lowercase().as_str()) {
        return Some(Limit::Unlimited);
    }
    let number = |s: &str| s.parse::<i64>().ok().filter(|n| *n >= 0);
    let (days, clock) = match value.split_once('-') {
        Some((d, rest)) => (number(d)?, rest),
        None => (0, value),
    };
    let parts: Vec<i64> = clock.split(':').map(number).collect::<Option<_>>()?;
    let secs = match (value.contains('-'), parts.as_slice()) {
        (false, [m]) => m * 60,
        (false, [m, s]) => m * 60 + s,
        (false, [h, m, s]) | (true, [h, m, s]) => h * 3600 + m * 60 + s,
        (true, [h]) => h * 3600,
        (true, [h, m]) => h * 3600 + m * 60,
        _ => return None,
    };
    Some(Limit::For(SignedDuration::from_secs(days * 86_400 + secs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    fn hours(h: i64) -> SignedDuration {
        SignedDuration::from_hours(h)
    }

    #[test]
    fn slurm_time_formats() {
        let d = |s: &str| match parse_limit(s) {
            Some(Limit::For(d)) => Some(d.as_secs()),
            Some(Limit::Unlimited) => Some(-1),
            None => None,
        };
        assert_eq!(d("90"), Some(90 * 60));
        assert_eq!(d("90:30"), Some(90 * 60 + 30));
        assert_eq!(d("2:00:00"), Some(7200));
        assert_eq!(d("1-12"), Some(36 * 3600));
        assert_eq!(d("1-12:30"), Some(36 * 3600 + 1800));
        assert_eq!(d("2-00:00:01"), Some(48 * 3600 + 1));
        assert_eq!(d("UNLIMITED"), Some(-1));
        assert_eq!(d("infinite"), Some(-1));
        assert_eq!(d("soon"), None);
        assert_eq!(d("1:2:3:4"), None);
    }

    #[test]
    fn the_command_line_wins_over_the_script() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("job.sh");
        std::fs::write(
            &script,
            "#!/bin/bash\n#SBATCH -J 华东\n#SBATCH --time=2-00:00:00\n\nsrun ./long\n#SBATCH -t 5\n",
        )
        .unwrap();
        let path = script.to_str().unwrap();
        let job = |args: &[&str]| read_job(&os(args));
        assert_eq!(job(&[path]).limit, Some(Limit::For(hours(48))));
        assert_eq!(
            job(&["-t", "30", path]).limit,
            Some(Limit::For(SignedDuration::from_mins(30)))
        );
        assert_eq!(
            job(&["-t30", "-p", "gpu", path]).limit,
            Some(Limit::For(SignedDuration::from_mins(30)))
        );
        assert_eq!(
            job(&["--time=1:00:00", path]).limit,
            Some(Limit::For(hours(1)))
        );
        assert_eq!(
            job(&["--time", "1-0", path]).limit,
            Some(Limit::For(hours(24)))
        );
        assert_eq!(job(&["--wrap", "./long"]).limit, None);
        assert!(!job(&[path]).keeps_fresh);
        // An option's value that names a file (an old output file) is not the script.
        let out = dir.path().join("out.txt");
        std::fs::write(&out, "#SBATCH -t 5\n").unwrap();
        let out = out.to_str().unwrap();
        assert_eq!(job(&["-o", out, path]).limit, Some(Limit::For(hours(48))));
        // A directive after the first command is not read (sbatch does not either).
        std::fs::write(&script, "#!/bin/sh\nsrun ./a\n#SBATCH -t 5\n").unwrap();
        assert_eq!(job(&[path]).limit, None);
    }

    #[test]
    fn warns_only_when_the_job_may_outlive_the_token_and_nothing_keeps_it_fresh() {
        let now = Timestamp::from_second(1_900_000_000).unwrap();
        let life = Lifetime::new(now + hours(20), hours(24));
        let sbatch = OsStr::new("/usr/bin/sbatch");
        let warn = |args: &[&str]| {
            crate::i18n::with_lang(crate::i18n::Lang::En, || {
                warning(sbatch, &os(args), life, now)
            })
        };
        let text = warn(&["--time=1-00:00:00", "--wrap", "./long"]).expect("24h > 20h");
        assert!(text.contains("1d 0h") || text.contains("24h"), "{text}");
        assert!(text.contains("--from-env --keep-fresh"), "{text}");
        assert!(warn(&["--time=19:00:00", "--wrap", "./long"]).is_none());
        assert!(warn(&["-t", "unlimited", "--wrap", "./long"]).is_some());
        assert!(
            warn(&["--wrap", "./long"]).is_none(),
            "no limit: no warning"
        );
        assert!(
            warn(&[
                "-t",
                "2-0",
                "--wrap",
                "actoken exec --from-env --keep-fresh -- ./long"
            ])
            .is_none()
        );
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("job.sh");
        std::fs::write(
            &script,
            "#!/bin/sh\n#SBATCH --time=2-0\nactoken exec --from-env --keep-fresh -- ./long\n",
        )
        .unwrap();
        assert!(warn(&[script.to_str().unwrap()]).is_none());
        // Not a submission: nothing to say.
        let life = Lifetime::new(now, hours(24));
        assert!(warning(OsStr::new("python"), &os(&["-t", "2-0"]), life, now).is_none());
    }
}
