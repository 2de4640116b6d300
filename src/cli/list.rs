//! `actoken list`: every stored token with its phase and time left, as a table or `--json`.

use super::advising::remembered_logins;
use super::context::Context;
use super::streams::Io;
use super::table::{render_table_within, terminal_width};
use super::token_view::TokenView;
use crate::shell_quote::shell_word;
use crate::store::StoreError;
use crate::tr;
use clap::Args;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Machine-readable output (stable field names, RFC 3339 times)
    #[arg(long)]
    pub json: bool,
}

/// From the index alone (no secret is read); one keyring search checks that the keyring
/// still holds as many tokens as the index lists. With an agent in use, its list instead.
pub(crate) fn run(ctx: &Context, args: ListArgs) -> anyhow::Result<()> {
    if let Some(path) = &ctx.agent {
        return from_agent(ctx, path, args);
    }
    let store = ctx.store()?;
    let now = ctx.clock.now();
    warn_about_orphans(&ctx.io, store.reconcile(), store.kind(), &ctx.service);
    let accounts = remembered_logins(&store);
    let views: Vec<TokenView> = store
        .load_index()
        .iter()
        .map(|s| TokenView::new(s, now, ctx.config.renew_grace, &accounts))
        .collect();
    if args.json {
        exactln!(ctx.io, "{}", serde_json::to_string_pretty(&views)?);
        return Ok(());
    }
    table(ctx, &views);
    Ok(())
}

/// The agent's list: `--json` prints its objects as they came (the document `list --json`
/// gives on its machine), the table is drawn from them as from this machine's own.
fn from_agent(ctx: &Context, path: &std::path::Path, args: ListArgs) -> anyhow::Result<()> {
    let tokens = super::via_agent::connect(path)?
        .list()
        .map_err(super::exit::Coded::from)?;
    if args.json {
        exactln!(ctx.io, "{}", serde_json::to_string_pretty(&tokens)?);
        return Ok(());
    }
    let views = tokens
        .into_iter()
        .map(|object| super::via_agent::view(path, object))
        .collect::<Result<Vec<_>, _>>()?;
    table(ctx, &views);
    Ok(())
}

/// The table on stdout (through `inert` and `redact`, as all human output), or a note that
/// there is nothing to list.
fn table(ctx: &Context, views: &[TokenView]) {
    if views.is_empty() {
        errln!(ctx.io, "{}", tr!("list.empty"));
        return;
    }
    out!(ctx.io, "{}", list_text(views, terminal_width()));
}

/// The `list` table; cut to `max_width` columns when given (a terminal), whole otherwise
/// (a pipe: scripts get every name in full).
pub(crate) fn list_text(views: &[TokenView], max_width: Option<usize>) -> String {
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|v| {
            vec![
                v.name.clone(),
                v.user.clone().unwrap_or_else(|| "-".into()),
                v.cluster_id.clone().unwrap_or_else(|| "-".into()),
                phase_text(&v.phase),
                v.expires_relative(),
                v.cutoff_relative(),
            ]
        })
        .collect();
    let header = [
        tr!("table.name"),
        tr!("table.user"),
        tr!("table.cluster"),
        tr!("list.phase"),
        tr!("table.expires"),
        tr!("table.cutoff"),
    ];
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    render_table_within(&header, &rows, max_width)
}

/// A phase (the `--json` value) in words for people.
pub(super) fn phase_text(phase: &str) -> String {
    match phase {
        "valid" => tr!("phase.valid"),
        "renewable" => tr!("phase.renewable"),
        "dead" => tr!("phase.dead"),
        "invalid" => tr!("phase.invalid"),
        "missing" => tr!("phase.missing"),
        "unreadable" => tr!("phase.unreadable"),
        "other-store" => tr!("phase.other_store"),
        other => other.to_owned(),
    }
}

/// Secrets the keyring holds but the index does not list (a lost or hand-edited index): say
/// so on stderr with a way back, since they are otherwise invisible.
fn warn_about_orphans(
    io: &Io,
    orphans: Result<Vec<String>, StoreError>,
    kind: crate::store::StoreKind,
    service: &str,
) {
    match orphans {
        Ok(names) => {
            for name in names {
                // A name the keyring holds: another program may have put anything there.
                let name = crate::inert::inert(&name).into_owned();
                let read = read_secret_command(kind, service, &name);
                errln!(
                    io,
                    "{}",
                    tr!(
                        "list.orphan",
                        quoted = format!("{name:?}"),
                        name = shell_word(&name),
                        read = read
                    )
                );
            }
        }
        Err(e) => tracing::debug!(error = %e, "could not look for orphaned keyring items"),
    }
}

/// A shell command that prints the secret `name` holds in store `kind` (the service and the
/// name are the keyring's: each quoted, inside the inner script too).
fn read_secret_command(kind: crate::store::StoreKind, service: &str, name: &str) -> String {
    match kind {
        crate::store::StoreKind::SecretService => format!(
            "secret-tool lookup service {} username {}",
            shell_word(service),
            shell_word(name)
        ),
        // A throwaway session keyring, so that keyctl may read the persistent keyring's keys.
        crate::store::StoreKind::Keyutils => {
            let script = format!(
                "keyctl pipe $(keyctl search $(keyctl get_persistent @s) user {})",
                shell_word(&format!("{service}:{name}"))
            );
            format!("keyctl session - sh -c {}", shell_word(&script))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::app::fixtures::{chinese_set, now};
    use crate::i18n::{Lang, with_lang};
    use crate::width::width;

    fn no_logins() -> crate::store::Accounts {
        crate::store::Accounts::empty(&crate::config::Paths::under(std::path::Path::new(
            "/nowhere",
        )))
    }

    fn views() -> Vec<TokenView> {
        let mut set = chinese_set();
        set[0].meta.name = "alice-research-group/华东一区【昆山】".into();
        set.iter()
            .map(|s| TokenView::new(s, now(), jiff::SignedDuration::from_hours(24), &no_logins()))
            .collect()
    }

    #[test]
    fn list_in_both_languages_at_80_and_120_columns() {
        for lang in [Lang::En, Lang::ZhCn] {
            with_lang(lang, || {
                for columns in [80, 120] {
                    let text = list_text(&views(), Some(columns));
                    for line in text.lines() {
                        assert!(width(line) <= columns, "{line:?} > {columns}");
                    }
                    insta::assert_snapshot!(format!("list_{}_{columns}", lang.code()), text);
                }
            });
        }
    }

    #[test]
    fn a_pipe_gets_every_name_whole() {
        let text = list_text(&views(), None);
        assert!(
            text.contains("alice-research-group/华东一区【昆山】"),
            "{text}"
        );
        let cut = list_text(&views(), Some(60));
        assert!(cut.contains("【昆山】") && cut.contains('…'), "{cut}");
    }

    /// Issue 22: a secret the index lost may have any name (the keyring holds it); the
    /// commands that restore it are pasted, so the service and the name are quoted, also
    /// inside the script `keyctl session` runs.
    #[test]
    fn restore_commands_quote_the_keyrings_names() {
        use crate::shell_quote::tests::pasted;
        use crate::store::StoreKind;
        let dir = tempfile::tempdir().unwrap();
        let canary = dir.path().join("ran");
        let name = format!("x$(touch {})'y", canary.display());
        let command = read_secret_command(StoreKind::SecretService, "actoken-test", &name);
        assert_eq!(
            pasted("sh", &command),
            [
                "secret-tool",
                "lookup",
                "service",
                "actoken-test",
                "username",
                &name
            ]
        );
        let command = read_secret_command(StoreKind::Keyutils, "actoken-test", &name);
        let args = pasted("sh", &command);
        assert_eq!(args[..5], ["keyctl", "session", "-", "sh", "-c"]);
        // The inner script, run with a stand-in `keyctl` whose `search` answers the description
        // it was given (the real one: a key id) and whose `pipe` prints what it gets.
        let stand_in = "keyctl() { case $1 in get_persistent) printf 1;; search) printf '%s' \"$4\";; pipe) shift; printf '%s' \"$*\";; esac; }";
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{stand_in}\n{}", args[5]))
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            format!("actoken-test:{name}")
        );
        assert!(!canary.exists(), "a restore command ran what the name held");
    }
}
