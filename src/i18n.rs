//! The interface language: English or Simplified Chinese, chosen once at start-up.
//!
//! The words live in one catalog file per language (`locales/en.toml`, `locales/zh-CN.toml`),
//! compiled into the binary by rust-i18n (no file is read at run time). Code asks for a
//! message by key with `tr!("key", name = value)`; `%{name}` in the catalog is replaced.
//! Tests check that both catalogs have the same keys and placeholders, and that every key the
//! code uses exists (`catalog_tests`).
//!
//! Only words for people change: `--json`, exit codes and file formats never do.

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    ZhCn,
}

impl Lang {
    /// The catalog's name (and what `--lang` / `ACTOKEN_LANG` / `language` accept).
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// `en`, `zh-CN` (also `zh`, `zh_CN`, any case).
    pub fn parse(s: &str) -> Result<Lang, String> {
        let lower = s.trim().to_ascii_lowercase().replace('_', "-");
        match lower.as_str() {
            "en" | "en-us" | "en-gb" => Ok(Lang::En),
            "zh" | "zh-cn" | "zh-hans" | "zh-hans-cn" => Ok(Lang::ZhCn),
            _ => Err(format!("unknown language {s:?}: use en or zh-CN")),
        }
    }

    /// A POSIX locale value (`zh_CN.UTF-8`, `C`, `en_US.UTF-8`): Chinese for `zh*`.
    fn from_locale(value: &str) -> Lang {
        if value.to_ascii_lowercase().starts_with("zh") {
            Lang::ZhCn
        } else {
            Lang::En
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Lang, String> {
        Lang::parse(s)
    }
}

impl<'de> serde::Deserialize<'de> for Lang {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Lang, D::Error> {
        let s = String::deserialize(d)?;
        Lang::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Where a choice can come from, strongest first.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Choice<'a> {
    /// `--lang`, or `ACTOKEN_LANG` (clap's `env`).
    pub flag: Option<Lang>,
    pub config: Option<Lang>,
    /// LC_ALL, LC_MESSAGES, LANG as set (empty counts as unset, as in POSIX).
    pub locale: [Option<&'a str>; 3],
}

impl Choice<'_> {
    pub(crate) fn resolve(&self) -> Lang {
        self.flag.or(self.config).unwrap_or_else(|| {
            self.locale
                .iter()
                .flatten()
                .find(|v| !v.is_empty())
                .map_or(Lang::En, |v| Lang::from_locale(v))
        })
    }
}

/// LC_ALL, LC_MESSAGES, LANG from the process environment.
pub(crate) fn locale_vars() -> [Option<String>; 3] {
    ["LC_ALL", "LC_MESSAGES", "LANG"].map(|k| std::env::var(k).ok())
}

/// Resolves the language from `--lang` (clap also reads `ACTOKEN_LANG` into it, refusing an
/// unknown value), the config and the locale variables, and sets it for the process.
pub(crate) fn init(flag: Option<Lang>, config: Option<Lang>) -> Lang {
    let vars = locale_vars();
    let lang = Choice {
        flag,
        config,
        locale: vars.each_ref().map(|v| v.as_deref()),
    }
    .resolve();
    set(lang);
    lang
}

static CURRENT: AtomicU8 = AtomicU8::new(0);

thread_local! {
    /// Set by `with_lang` in tests, so tests of both languages can run in parallel.
    static OVERRIDE: Cell<Option<Lang>> = const { Cell::new(None) };
}

/// Sets the language for the whole process (start-up).
pub fn set(lang: Lang) {
    CURRENT.store(lang as u8, Ordering::Relaxed);
}

/// The language in force on this thread.
pub(crate) fn lang() -> Lang {
    OVERRIDE.with(Cell::get).unwrap_or_else(|| {
        if CURRENT.load(Ordering::Relaxed) == Lang::ZhCn as u8 {
            Lang::ZhCn
        } else {
            Lang::En
        }
    })
}

/// Runs `f` with `lang` on this thread only (tests, picture generation).
pub fn with_lang<T>(lang: Lang, f: impl FnOnce() -> T) -> T {
    let before = OVERRIDE.with(|o| o.replace(Some(lang)));
    let out = f();
    OVERRIDE.with(|o| o.set(before));
    out
}

/// The message `key` in the current language, with `%{name}` placeholders filled.
#[macro_export]
macro_rules! tr {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        ::std::string::String::from(::rust_i18n::t!(
            $key,
            locale = $crate::i18n::lang().code()
            $(, $name = $value)*
        ))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice<'a>(locale: [Option<&'a str>; 3]) -> Choice<'a> {
        Choice {
            locale,
            ..Choice::default()
        }
    }

    #[test]
    fn the_locale_picks_chinese_for_zh() {
        assert_eq!(
            choice([None, None, Some("zh_CN.UTF-8")]).resolve(),
            Lang::ZhCn
        );
        assert_eq!(
            choice([None, None, Some("zh_TW.UTF-8")]).resolve(),
            Lang::ZhCn
        );
        assert_eq!(
            choice([None, None, Some("en_US.UTF-8")]).resolve(),
            Lang::En
        );
        assert_eq!(choice([None, None, None]).resolve(), Lang::En);
        // LC_ALL beats LANG; an empty one counts as unset.
        assert_eq!(
            choice([Some("C"), None, Some("zh_CN.UTF-8")]).resolve(),
            Lang::En
        );
        assert_eq!(
            choice([Some(""), Some("zh_CN"), Some("C")]).resolve(),
            Lang::ZhCn
        );
    }

    #[test]
    fn flag_beats_config_beats_locale() {
        let zh_locale = [None, None, Some("zh_CN.UTF-8")];
        let mut c = choice(zh_locale);
        c.config = Some(Lang::En);
        assert_eq!(c.resolve(), Lang::En);
        c.flag = Some(Lang::ZhCn);
        assert_eq!(c.resolve(), Lang::ZhCn);
    }

    #[test]
    fn parse_accepts_the_usual_spellings_and_refuses_others() {
        for s in ["zh-CN", "zh_CN", "zh", "ZH-cn"] {
            assert_eq!(Lang::parse(s), Ok(Lang::ZhCn), "{s}");
        }
        assert_eq!(Lang::parse("en"), Ok(Lang::En));
        assert!(Lang::parse("fr").unwrap_err().contains("en or zh-CN"));
    }

    #[test]
    fn with_lang_is_per_thread() {
        with_lang(Lang::ZhCn, || {
            assert_eq!(lang(), Lang::ZhCn);
            let other = std::thread::spawn(lang).join().unwrap();
            assert_eq!(other, Lang::En);
        });
    }
}

#[cfg(test)]
mod lookup_tests {
    use super::*;

    #[test]
    fn catalogs_are_compiled_in_and_fill_placeholders() {
        assert_eq!(with_lang(Lang::ZhCn, || tr!("state.expired")), "已过期");
        assert_eq!(with_lang(Lang::En, || tr!("state.expired")), "EXPIRED");
        let text = with_lang(Lang::ZhCn, || tr!("toast.deleted", name = "alice/华东一区"));
        assert_eq!(text, "已删除 alice/华东一区");
    }
}
