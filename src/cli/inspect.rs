//! `actoken list` and `actoken show`: read-only views of the store.

use jiff::{Timestamp, tz::TimeZone};

use crate::store::{SecretState, StoreError, StoredToken};
use crate::timefmt;

use super::args::{ListArgs, ShowArgs};
use super::context::Context;
use super::view::{TokenView, render_table};

pub fn list(ctx: &Context, args: ListArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let now = Timestamp::now();
    let views: Vec<TokenView> = store
        .load_all()
        .iter()
        .map(|s| TokenView::new(s, now, ctx.config.renew_grace))
        .collect();
    warn_about_orphans(&store, &ctx.service);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&views)?);
        return Ok(());
    }
    if views.is_empty() {
        eprintln!(
            "No tokens stored yet. Add one with:\n  printf '%s' \"$TOKEN\" | actoken add NAME --base-url https://HOST:PORT"
        );
        return Ok(());
    }
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|v| {
            vec![
                v.name.clone(),
                v.user.clone().unwrap_or_else(|| "-".into()),
                v.cluster_id.clone().unwrap_or_else(|| "-".into()),
                v.phase.clone(),
                v.expires_relative(),
                v.cutoff_relative(),
            ]
        })
        .collect();
    print!(
        "{}",
        render_table(
            &[
                "NAME",
                "USER",
                "CLUSTER",
                "PHASE",
                "EXPIRES",
                "RENEW CUTOFF"
            ],
            &rows
        )
    );
    Ok(())
}

/// Secrets the keyring holds but the index does not list (a lost or hand-edited index): say
/// so on stderr with a way back, since they are otherwise invisible.
fn warn_about_orphans(store: &crate::store::Store, service: &str) {
    match store.orphans() {
        Ok(names) => {
            for name in names {
                let read = read_secret_command(store.kind(), service, &name);
                eprintln!(
                    "warning: the keyring holds a token named {name:?} that the index does not list \
                     (the index was lost or edited). Restore it with\n  {read} | actoken add \
                     {name} --force --base-url https://HOST:PORT\n\
                     or delete it with `actoken rm {name}`"
                );
            }
        }
        Err(e) => tracing::debug!(error = %e, "could not look for orphaned keyring items"),
    }
}

/// A shell command that prints the secret `name` holds in store `kind`.
fn read_secret_command(kind: crate::store::StoreKind, service: &str, name: &str) -> String {
    match kind {
        crate::store::StoreKind::SecretService => {
            format!("secret-tool lookup service {service} username {name}")
        }
        // A throwaway session keyring, so that keyctl may read the persistent keyring's keys.
        crate::store::StoreKind::Keyutils => format!(
            "keyctl session - sh -c 'keyctl pipe $(keyctl search $(keyctl get_persistent @s) \
             user {service}:{name})'"
        ),
    }
}

pub fn show(ctx: &Context, args: ShowArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let now = Timestamp::now();
    let meta = store.meta(&args.name)?;
    let secret = match store.get(&args.name) {
        Ok((_, token)) => SecretState::Present(token),
        Err(StoreError::SecretMissing { .. }) => SecretState::Missing,
        Err(e) if e.is_unavailable() => return Err(e.into()),
        Err(e) => SecretState::Unreadable(e.to_string()),
    };
    let stored = StoredToken { meta, secret };
    let view = TokenView::new(&stored, now, ctx.config.renew_grace);
    if args.json {
        let mut json = serde_json::to_value(&view)?;
        json["claims"] = view.claims_json();
        json["alg"] = view.decoded.as_ref().map(|d| d.alg.clone()).into();
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }

    let tz = TimeZone::system();
    let when = |at: &Option<String>, rel: String| match at {
        Some(rfc) => {
            let ts: Timestamp = rfc.parse().expect("we formatted it");
            format!("{} ({rel})", timefmt::absolute(ts, &tz))
        }
        None => "-".to_owned(),
    };
    let mut lines = vec![
        ("name", view.name.clone()),
        ("base url", view.base_url.clone()),
        ("phase", view.phase.clone()),
        ("expires", when(&view.expires_at, view.expires_relative())),
        (
            "renew cutoff",
            when(&view.renew_cutoff_at, view.cutoff_relative()),
        ),
    ];
    if let Some(note) = &view.note {
        lines.push(("note", note.clone()));
    }
    if let Some(problem) = &view.problem {
        lines.push(("problem", problem.clone()));
    }
    if let SecretState::Present(token) = &stored.secret {
        lines.push((
            "token",
            format!(
                "{} (use `actoken token {}` to print it)",
                token.masked(),
                view.name
            ),
        ));
    }
    if let Some(d) = &view.decoded {
        lines.push((
            "algorithm",
            format!(
                "{} (signature not verified: only the platform holds the key)",
                d.alg
            ),
        ));
    }
    lines.push(("added", timefmt::absolute(stored.meta.added_at, &tz)));
    if let Some(at) = stored.meta.renewed_at {
        lines.push(("renewed", timefmt::absolute(at, &tz)));
    }
    for (key, value) in lines {
        println!("{:<13} {value}", format!("{key}:"));
    }
    if let Some(d) = &view.decoded {
        println!("claims:");
        let width = d.claims.name_width() + 1;
        for (key, text) in d.claims.texts() {
            println!("  {:<width$} {text}", format!("{key}:"));
        }
    }
    Ok(())
}
