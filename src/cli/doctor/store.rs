//! Doctor: which secret store is in use and why, whether the Secret Service is locked, the
//! kernel keyring's quota, and tokens kept in the store not in use.

use serde::Serialize;

use crate::store::{
    EntryMeta, KeyQuota, KeyringBackend, KeyutilsBackend, StoreChoice, StoreError, StoreKind,
    persistent_expiry, short_cause,
};

use super::super::context::Context;
use super::report::{Area, Findings, Status};
use crate::store::store_label;
use crate::tr;

const AREA: Area = Area::Store;

#[derive(Debug, Serialize)]
pub(crate) struct StoreFacts {
    pub choice: StoreChoice,
    pub choice_source: &'static str,
    /// `None`: no store can be used.
    pub in_use: Option<StoreKind>,
    pub reason: String,
    pub secret_service: Reachability,
    pub keyutils: Reachability,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyutils_quota: Option<KeyQuota>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keyutils_expiry_seconds: Option<u64>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Reachability {
    pub usable: bool,
    /// It answers but is locked (or waits for an unlock prompt nobody sees).
    pub locked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    #[serde(skip)]
    fix: Option<String>,
}

impl Reachability {
    fn of<T>(opened: Result<T, StoreError>) -> Reachability {
        match opened {
            Ok(_) => Reachability {
                usable: true,
                locked: false,
                problem: None,
                fix: None,
            },
            Err(e) => Reachability {
                usable: false,
                locked: looks_locked(&e),
                problem: Some(short_cause(&e)),
                fix: match e {
                    StoreError::Unavailable { fix, .. } => Some(fix),
                    _ => None,
                },
            },
        }
    }
}

fn looks_locked(e: &StoreError) -> bool {
    match e {
        StoreError::Timeout => true,
        StoreError::Unavailable { cause, .. } => cause.contains("locked"),
        _ => false,
    }
}

/// The store `choice` ends up with, given which stores can be used (as `store::select` does).
pub(crate) fn in_use(choice: StoreChoice, ss_usable: bool, ku_usable: bool) -> Option<StoreKind> {
    let usable = |kind| match kind {
        StoreKind::SecretService => ss_usable,
        StoreKind::Keyutils => ku_usable,
    };
    match choice.fixed() {
        Some(kind) => usable(kind).then_some(kind),
        None if ss_usable => Some(StoreKind::SecretService),
        None if ku_usable && cfg!(target_os = "linux") => Some(StoreKind::Keyutils),
        None => None,
    }
}

pub(crate) fn check(ctx: &Context, entries: &[EntryMeta], f: &mut Findings) -> StoreFacts {
    let ss = Reachability::of(KeyringBackend::with_service(
        &ctx.service,
        ctx.keyring_timeout(),
    ));
    let ku = Reachability::of(KeyutilsBackend::with_service(&ctx.service));
    let choice = ctx.store_choice;
    let in_use = in_use(choice, ss.usable, ku.usable);
    let reason = match (choice.fixed(), in_use) {
        (Some(kind), _) => tr!(
            "doctor.reason_fixed",
            source = source_label(ctx.store_choice_source),
            kind = kind
        ),
        (None, Some(StoreKind::SecretService)) => tr!("doctor.reason_auto_ss"),
        (None, Some(StoreKind::Keyutils)) => tr!("doctor.reason_auto_keyutils"),
        (None, None) => tr!("doctor.reason_auto_none"),
    };

    match in_use {
        Some(kind) => f.push(
            AREA,
            Status::Ok,
            tr!(
                "doctor.store_in_use",
                store = store_label(kind),
                reason = reason
            ),
        ),
        None => f.push_fix(
            AREA,
            Status::Fail,
            tr!("doctor.store_none", reason = reason),
            match choice.fixed() {
                Some(StoreKind::Keyutils) => ku.fix.clone().unwrap_or_default(),
                _ => ss.fix.clone().unwrap_or_default(),
            },
        ),
    }
    report_secret_service(&ss, in_use, f);
    report_keyutils(&ku, in_use, f);
    let quota = ku.usable.then(KeyQuota::current).flatten();
    let expiry = persistent_expiry();
    if in_use == Some(StoreKind::Keyutils) {
        let days = expiry.map_or(3, |d| d.as_secs() / 86_400);
        f.push_fix(
            AREA,
            Status::Info,
            tr!("doctor.keyutils_cleared", days = days),
            tr!("doctor.keyutils_cleared_fix"),
        );
    }
    if let Some(q) = &quota {
        report_quota(q, f);
    }
    report_other_store(entries, in_use, &ss, &ku, f);
    StoreFacts {
        choice,
        choice_source: ctx.store_choice_source,
        in_use,
        reason,
        secret_service: ss,
        keyutils: ku,
        keyutils_quota: quota,
        keyutils_expiry_seconds: expiry.map(|d| d.as_secs()),
    }
}

/// Where the store choice came from (`Context::store_choice_source`), for people.
fn source_label(source: &str) -> String {
    match source {
        "--store or ACTOKEN_STORE" => tr!("doctor.source_flag"),
        "the config file" => tr!("doctor.source_config"),
        "the default" => tr!("doctor.source_default"),
        other => other.to_owned(),
    }
}

fn report_secret_service(ss: &Reachability, in_use: Option<StoreKind>, f: &mut Findings) {
    let Some(problem) = &ss.problem else {
        if in_use != Some(StoreKind::SecretService) {
            f.push(AREA, Status::Info, tr!("doctor.ss_usable"));
        }
        return;
    };
    let (status, message) = if ss.locked {
        (Status::Warn, tr!("doctor.ss_locked", problem = problem))
    } else {
        (Status::Info, tr!("doctor.ss_unusable", problem = problem))
    };
    // Only a failure when it was the store to use: the kernel keyring covers for it otherwise.
    let status = if in_use.is_none() {
        Status::Fail
    } else {
        status
    };
    match (&ss.fix, status) {
        (Some(fix), Status::Warn | Status::Fail) => f.push_fix(AREA, status, message, fix),
        _ => f.push(AREA, status, message),
    }
}

fn report_keyutils(ku: &Reachability, in_use: Option<StoreKind>, f: &mut Findings) {
    match &ku.problem {
        None if in_use != Some(StoreKind::Keyutils) => {
            f.push(AREA, Status::Info, tr!("doctor.keyutils_usable"))
        }
        None => {}
        Some(problem) => {
            let status = if in_use.is_none() {
                Status::Fail
            } else {
                Status::Info
            };
            f.push(
                AREA,
                status,
                tr!("doctor.keyutils_unusable", problem = problem),
            );
        }
    }
}

fn report_quota(q: &KeyQuota, f: &mut Findings) {
    let full = |used: u64, max: u64| max > 0 && used * 10 >= max * 8;
    let message = tr!(
        "doctor.quota",
        keys = q.keys,
        max_keys = q.max_keys,
        bytes = q.bytes,
        max_bytes = q.max_bytes
    );
    if full(q.keys, q.max_keys) || full(q.bytes, q.max_bytes) {
        f.push_fix(
            AREA,
            Status::Warn,
            tr!("doctor.quota_full", quota = message),
            tr!("doctor.quota_full_fix"),
        );
    } else {
        f.push(AREA, Status::Ok, message);
    }
}

fn report_other_store(
    entries: &[EntryMeta],
    in_use: Option<StoreKind>,
    ss: &Reachability,
    ku: &Reachability,
    f: &mut Findings,
) {
    let Some(here) = in_use else { return };
    let elsewhere: Vec<&str> = entries
        .iter()
        .filter(|e| e.store != here)
        .map(|e| e.name.as_str())
        .collect();
    if elsewhere.is_empty() {
        return;
    }
    let there = here.other();
    let reachable = match there {
        StoreKind::SecretService => ss.usable,
        StoreKind::Keyutils => ku.usable,
    };
    let fix = if reachable {
        tr!("doctor.other_store_fix", to = here)
    } else {
        tr!(
            "doctor.other_store_fix_unusable",
            store = store_label(there),
            to = here
        )
    };
    f.push_fix(
        AREA,
        Status::Warn,
        tr!(
            "doctor.other_store",
            count = elsewhere.len(),
            store = store_label(there),
            names = elsewhere.join(&tr!("doctor.list_separator"))
        ),
        fix,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_prefers_the_secret_service_and_fixed_choices_do_not_fall_back() {
        use StoreChoice as C;
        use StoreKind as K;
        assert_eq!(in_use(C::Auto, true, true), Some(K::SecretService));
        let fallback = cfg!(target_os = "linux").then_some(K::Keyutils);
        assert_eq!(in_use(C::Auto, false, true), fallback);
        assert_eq!(in_use(C::Auto, false, false), None);
        assert_eq!(in_use(C::SecretService, false, true), None);
        assert_eq!(in_use(C::Keyutils, true, true), Some(K::Keyutils));
        assert_eq!(in_use(C::Keyutils, true, false), None);
    }

    #[test]
    fn a_locked_keyring_is_told_apart_from_a_missing_one() {
        let locked = StoreError::Unavailable {
            cause: "the keyring is locked, has no default collection, or refused access".into(),
            fix: "unlock".into(),
        };
        assert!(looks_locked(&locked));
        assert!(looks_locked(&StoreError::Timeout));
        let missing = StoreError::Unavailable {
            cause: "cannot reach a D-Bus session bus".into(),
            fix: "start one".into(),
        };
        assert!(!looks_locked(&missing));
    }
}
