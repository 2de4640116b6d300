//! The mock's fixed demo accounts: public on purpose, so demo mode, docs and tests can log in.
//!
//! Every credential here is fake and protects nothing but the loopback mock.

/// One region (cluster) an account may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoRegion {
    /// The id the login list gives the region (what identifies it).
    pub cluster_id: &'static str,
    pub cluster_name: &'static str,
    /// The `clusterId` claim of the region's token. As in the platform's own samples it may
    /// differ from the list's id (a region listed as `11112` whose token says `11126`; the
    /// platform token, listed as `0`, says `11125`): clients must take the list's.
    pub claim_cluster_id: &'static str,
    /// The scheduler account the region's token names (`computeUser`).
    pub compute_user: &'static str,
    /// `false`: the get-token reply lists the region with `"token": null`.
    pub available: bool,
}

/// A demo login: both the access-key pair and the password login work for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoAccount {
    pub user: &'static str,
    pub access_key: &'static str,
    pub secret_key: &'static str,
    pub password: &'static str,
    /// 32 hex digits, as the platform's org ids are.
    pub org_id: &'static str,
    pub account_status: &'static str,
    /// What `GET /ac/openapi/v2/user` says the account holds, as the platform writes it.
    pub balance: &'static str,
    /// In reply order; the account-level platform token ([`PLATFORM_REGION`]) is listed last.
    pub regions: &'static [DemoRegion],
}

/// The account-level token's entry: `clusterId` "0", `clusterName` "ac", `computeUser` "root".
pub const PLATFORM_REGION: DemoRegion = DemoRegion {
    cluster_id: "0",
    cluster_name: "ac",
    claim_cluster_id: "11125",
    compute_user: "root",
    available: true,
};

/// Three usable regions, one without a token, and the platform token.
pub const ALICE: DemoAccount = DemoAccount {
    user: "alice",
    access_key: "AKDEMOALICE",
    secret_key: "SKDEMOALICE",
    password: "alice-password",
    org_id: "4af1c3d2e5b6a7980f1e2d3c4b5a6978",
    account_status: "Trial",
    // Nothing left: explains the region listed without a token.
    balance: "0.00",
    regions: &[
        DemoRegion {
            cluster_id: "11250",
            cluster_name: "华东一区【昆山】",
            claim_cluster_id: "11250",
            compute_user: "alice_ks",
            available: true,
        },
        DemoRegion {
            cluster_id: "11276",
            cluster_name: "西北一区【西安】",
            claim_cluster_id: "11276",
            compute_user: "alice_xa",
            available: true,
        },
        DemoRegion {
            cluster_id: "11112",
            cluster_name: "华中一区【郑州】",
            claim_cluster_id: "11126",
            compute_user: "alice_zz",
            available: true,
        },
        DemoRegion {
            cluster_id: "11301",
            cluster_name: "东北一区【哈尔滨】",
            claim_cluster_id: "11301",
            compute_user: "alice_hrb",
            available: false,
        },
        PLATFORM_REGION,
    ],
};

/// Two usable regions and the platform token.
pub const BOB: DemoAccount = DemoAccount {
    user: "bob",
    access_key: "AKDEMOBOB",
    secret_key: "SKDEMOBOB",
    password: "bob-password",
    org_id: "9b8a7c6d5e4f30211203f4e5d6c7b8a9",
    account_status: "Normal",
    balance: "1280.50",
    regions: &[
        DemoRegion {
            cluster_id: "11250",
            cluster_name: "华东一区【昆山】",
            claim_cluster_id: "11250",
            compute_user: "bob_ks",
            available: true,
        },
        DemoRegion {
            cluster_id: "11126",
            cluster_name: "华东三区【乌镇】",
            claim_cluster_id: "11126",
            compute_user: "bob_wz",
            available: true,
        },
        PLATFORM_REGION,
    ],
};

pub const DEMO_ACCOUNTS: &[DemoAccount] = &[ALICE, BOB];

pub(crate) fn by_user(user: &str) -> Option<&'static DemoAccount> {
    DEMO_ACCOUNTS.iter().find(|a| a.user == user)
}

pub(crate) fn by_access_key(access_key: &str) -> Option<&'static DemoAccount> {
    DEMO_ACCOUNTS.iter().find(|a| a.access_key == access_key)
}

/// The demo region a token of `user` for scheduler account `compute_user` was issued for.
pub(crate) fn region_of(user: &str, compute_user: &str) -> Option<&'static DemoRegion> {
    by_user(user)?
        .regions
        .iter()
        .find(|r| r.compute_user == compute_user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_distinct_and_well_formed() {
        for a in DEMO_ACCOUNTS {
            assert_eq!(a.org_id.len(), 32);
            assert!(a.org_id.chars().all(|c| c.is_ascii_hexdigit()));
            assert_eq!(by_user(a.user), Some(a));
            assert_eq!(by_access_key(a.access_key), Some(a));
            assert_eq!(a.regions.last(), Some(&PLATFORM_REGION));
        }
        assert_ne!(ALICE.access_key, BOB.access_key);
        assert_eq!(ALICE.regions.iter().filter(|r| !r.available).count(), 1);
        assert_eq!(by_user("carol"), None);
        assert_eq!(region_of("alice", "alice_zz").unwrap().cluster_id, "11112");
        assert_eq!(region_of("alice", "root"), Some(&PLATFORM_REGION));
        assert_eq!(region_of("carol", "root"), None);
    }
}
