//! The message catalogs (locales/*.toml) stay complete: every key in every language, the same
//! `%{placeholders}` in each, and every key the code asks for exists. A missing translation
//! would otherwise show the bare key to the user.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const LANGS: [&str; 2] = ["en", "zh-CN"];

fn catalog(lang: &str) -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("locales/{lang}.toml"));
    let text = std::fs::read_to_string(&path).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{lang}: {e}"));
    table
        .into_iter()
        .map(|(k, v)| match v {
            toml::Value::String(s) => (k, s),
            other => panic!("{lang}: {k} is not a string: {other:?}"),
        })
        .collect()
}

fn placeholders(text: &str) -> BTreeSet<String> {
    text.split("%{")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

#[test]
fn every_key_is_in_every_catalog_with_the_same_placeholders() {
    let en = catalog("en");
    assert!(en.len() > 100, "the English catalog looks truncated");
    for lang in &LANGS[1..] {
        let other = catalog(lang);
        let missing: Vec<&String> = en.keys().filter(|k| !other.contains_key(*k)).collect();
        let extra: Vec<&String> = other.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        assert!(extra.is_empty(), "{lang} has keys English lacks: {extra:?}");
        for (key, text) in &en {
            assert_eq!(
                placeholders(text),
                placeholders(&other[key]),
                "{lang}: {key} has other placeholders than English"
            );
            assert!(!other[key].trim().is_empty(), "{lang}: {key} is empty");
        }
    }
}

/// Every `tr!("key"` in the sources, with the file it is in.
fn keys_used(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            keys_used(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("tr!(").skip(1) {
                let rest = piece.trim_start();
                if let Some(rest) = rest.strip_prefix('"') {
                    let key = rest.split('"').next().unwrap().to_owned();
                    out.push((key, path.display().to_string()));
                }
            }
        }
    }
}

#[test]
fn every_key_the_code_uses_exists() {
    let en = catalog("en");
    let mut used = Vec::new();
    keys_used(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut used,
    );
    assert!(used.len() > 100, "found only {} tr! calls", used.len());
    let unknown: Vec<&(String, String)> = used
        .iter()
        .filter(|(k, _)| k != "key" && !en.contains_key(k))
        .collect();
    assert!(
        unknown.is_empty(),
        "keys missing from the catalogs: {unknown:?}"
    );
}
