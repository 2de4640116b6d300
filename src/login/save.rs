//! Storing what a login returned: every usable token under `USER/REGION`, replacing the
//! entries of a previous login of the same user and region, leaving every other entry alone.

use jiff::Timestamp;

use super::LoginReport;
use super::naming::{entry_name, entry_name_by_id};
use crate::api::RegionToken;
use crate::store::{Account, EntryMeta, Store, StoreError};

/// A token a login stored.
#[derive(Debug, Clone)]
pub struct StoredRegion {
    pub name: String,
    /// The region's id as the login's list gave it (else the token's `clusterId` claim).
    pub cluster_id: Option<String>,
    pub platform: bool,
    pub token: crate::token::Token,
}

/// The reason of a region listed with a `null` token (see [`Skipped::reason`]).
pub const NOT_AVAILABLE: &str = "not available";

/// A region listed without a usable token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The region's name or id.
    pub region: String,
    /// "not available" for a `null` token, else why the token could not be used.
    pub reason: String,
}

/// Stores the usable tokens of `regions` for `account`. Blocks (keyring calls). Stops at the
/// first store error: tokens already stored stay, and logging in again is always possible.
pub fn store_regions(
    store: &Store,
    account: &Account,
    regions: Vec<RegionToken>,
    now: Timestamp,
) -> Result<LoginReport, StoreError> {
    store.reload()?;
    let mut report = LoginReport {
        account: account.id(),
        ..LoginReport::default()
    };
    let mut used: Vec<String> = Vec::new();
    for region in regions {
        let Some(token) = region.token.clone() else {
            report.skipped.push(Skipped {
                region: describe(&region),
                reason: region
                    .problem
                    .clone()
                    .unwrap_or_else(|| NOT_AVAILABLE.to_owned()),
            });
            continue;
        };
        let mut name = entry_name(&account.user, &region);
        if used.contains(&name) {
            match entry_name_by_id(&account.user, &region).filter(|n| !used.contains(n)) {
                Some(other) => name = other,
                None => {
                    report.skipped.push(Skipped {
                        region: describe(&region),
                        reason: format!("another region of this login is already named {name}"),
                    });
                    continue;
                }
            }
        }
        used.push(name.clone());
        let previous = store.meta(&name).ok();
        let base_url = account.base_url.trim().trim_end_matches('/');
        let meta = EntryMeta {
            // A note the user wrote on the old entry is theirs: keep it.
            note: previous.as_ref().and_then(|p| p.note.clone()),
            account: Some(account.id()),
            platform: region.is_platform(),
            // The list says which region this is; the token's claim may say otherwise.
            cluster_id: region.cluster_id.clone(),
            cluster_name: region.cluster_name.clone(),
            ..EntryMeta::new(name.clone(), base_url, now)
        };
        store.add(meta, &token, true)?;
        if previous.is_some() {
            report.replaced.push(name.clone());
        } else {
            report.added.push(name.clone());
        }
        let claim_cluster = token.decode().ok().and_then(|d| d.claims.cluster_id);
        report.stored.push(StoredRegion {
            name,
            cluster_id: region.cluster_id.clone().or(claim_cluster),
            platform: region.is_platform(),
            token,
        });
    }
    Ok(report)
}

/// "华东一区【昆山】 (11250)", or just whichever of the two is known.
fn describe(region: &RegionToken) -> String {
    match (&region.cluster_name, &region.cluster_id) {
        (Some(name), Some(id)) if name != id => format!("{name} ({id})"),
        _ => region.label().to_owned(),
    }
}
