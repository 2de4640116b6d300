//! The add-a-token form: name, base URL, note and a masked token field. Submitting checks
//! everything locally first, so a malformed token never reaches the store.

use zeroize::Zeroizing;

use super::modal::{Outcome, TextDialog};
use crate::keymap::Command;
use crate::token::Token;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    BaseUrl,
    Note,
    Token,
}

impl Field {
    pub(crate) const ALL: [Field; 4] = [Field::Name, Field::BaseUrl, Field::Note, Field::Token];

    pub fn label(self) -> String {
        match self {
            Field::Name => crate::tr!("form.name"),
            Field::BaseUrl => crate::tr!("form.base_url"),
            Field::Note => crate::tr!("form.note"),
            Field::Token => crate::tr!("form.token"),
        }
    }

    fn index(self) -> usize {
        Field::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }
}

/// Form state. The token text is wiped from memory when the form is dropped.
pub struct AddForm {
    pub name: String,
    pub base_url: String,
    pub note: String,
    token: Zeroizing<String>,
    pub focus: Field,
    /// Why the last submit was refused, or why saving failed.
    pub error: Option<String>,
    /// Submitted; waiting for the store's answer.
    pub saving: bool,
}

impl std::fmt::Debug for AddForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddForm")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("token_chars", &self.token_len())
            .field("focus", &self.focus)
            .field("error", &self.error)
            .field("saving", &self.saving)
            .finish()
    }
}

/// A validated form, ready to save.
#[derive(Debug)]
pub(crate) struct Submission {
    pub name: String,
    pub base_url: String,
    pub note: Option<String>,
    pub token: Token,
}

impl AddForm {
    pub fn new(default_base_url: Option<&str>) -> AddForm {
        AddForm {
            name: String::new(),
            base_url: default_base_url.unwrap_or_default().to_owned(),
            note: String::new(),
            token: Zeroizing::new(String::new()),
            focus: Field::Name,
            error: None,
            saving: false,
        }
    }

    pub(crate) fn token_len(&self) -> usize {
        self.token.chars().count()
    }

    /// The token field, masked for display: its length and a short hint only.
    pub(crate) fn token_masked(&self) -> String {
        if self.token.is_empty() {
            return String::new();
        }
        let hint = Token::from_raw(&self.token).masked();
        crate::tr!("form.masked", hint = hint, count = self.token_len())
    }

    fn field_mut(&mut self, field: Field) -> &mut String {
        match field {
            Field::Name => &mut self.name,
            Field::BaseUrl => &mut self.base_url,
            Field::Note => &mut self.note,
            Field::Token => &mut self.token,
        }
    }

    pub(crate) fn field_text(&self, field: Field) -> String {
        match field {
            Field::Name => self.name.clone(),
            Field::BaseUrl => self.base_url.clone(),
            Field::Note => self.note.clone(),
            Field::Token => self.token_masked(),
        }
    }

    pub(crate) fn next(&mut self) {
        self.focus = Field::ALL[(self.focus.index() + 1) % Field::ALL.len()];
    }

    pub(crate) fn prev(&mut self) {
        let n = Field::ALL.len();
        self.focus = Field::ALL[(self.focus.index() + n - 1) % n];
    }

    pub(crate) fn erase(&mut self) {
        let field = self.focus;
        self.field_mut(field).pop();
    }

    pub(crate) fn clear_field(&mut self) {
        let field = self.focus;
        self.field_mut(field).clear();
    }

    /// Checks every field; on error, focuses the offending field and says what to fix
    /// (`delete_key` names the key that deletes a token whose name is taken).
    pub(crate) fn validate(
        &mut self,
        existing: impl Fn(&str) -> bool,
        delete_key: &str,
    ) -> Result<Submission, String> {
        let checked = self.check(existing, delete_key);
        if let Err((field, msg)) = &checked {
            self.focus = *field;
            self.error = Some(msg.clone());
        }
        checked.map_err(|(_, msg)| msg)
    }

    fn check(
        &self,
        existing: impl Fn(&str) -> bool,
        delete_key: &str,
    ) -> Result<Submission, (Field, String)> {
        let name = self.name.trim();
        check_name(name).map_err(|m| (Field::Name, m))?;
        if existing(name) {
            return Err((
                Field::Name,
                crate::tr!(
                    "form.exists",
                    name = format!("{name:?}"),
                    delete = delete_key
                ),
            ));
        }
        let base_url = self.base_url.trim().trim_end_matches('/');
        check_base_url(base_url).map_err(|m| (Field::BaseUrl, m))?;
        let (token, _) = Token::parse(&self.token)
            .map_err(|e| (Field::Token, crate::tr!("form.bad_token", error = e)))?;
        let note = self.note.trim();
        Ok(Submission {
            name: name.to_owned(),
            base_url: base_url.to_owned(),
            note: (!note.is_empty()).then(|| note.to_owned()),
            token,
        })
    }
}

/// Enter checks and saves (`Submit`), Esc closes; while saving only closing works.
impl TextDialog for AddForm {
    const CANCEL: Command = Command::FormCancel;

    fn busy(&self) -> bool {
        self.saving
    }

    /// Typed or pasted text. Line breaks are dropped (a pasted token often ends in one);
    /// other control characters are refused.
    fn insert(&mut self, text: &str) {
        let clean: String = text.chars().filter(|c| !c.is_control()).collect();
        let field = self.focus;
        self.field_mut(field).push_str(&clean);
        self.error = None;
    }

    fn command(&mut self, cmd: Command) -> Outcome {
        match cmd {
            Command::FormNext => self.next(),
            Command::FormPrev => self.prev(),
            Command::FormErase => self.erase(),
            Command::FormClearField => self.clear_field(),
            Command::FormSubmit => return Outcome::Submit,
            _ => {}
        }
        Outcome::Stay
    }
}

/// A first check of the name; the store applies its full rules when saving.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(crate::tr!("form.name_empty"));
    }
    if name.chars().count() > 64 {
        return Err(crate::tr!("form.name_long"));
    }
    if let Some(c) = name.chars().find(|c| c.is_whitespace()) {
        return Err(crate::tr!("form.name_char", char = format!("{c:?}")));
    }
    Ok(())
}

/// https anywhere; plain http only to this machine (the token travels in a header).
fn check_base_url(url: &str) -> Result<(), String> {
    if url.is_empty() {
        return Err(crate::tr!("form.url_empty"));
    }
    if let Some(rest) = url.strip_prefix("https://") {
        return if rest.is_empty() {
            Err(crate::tr!("form.url_no_host"))
        } else {
            Ok(())
        };
    }
    if let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split(['/', '?']).next().unwrap_or_default();
        let host = host
            .rsplit_once(':')
            .filter(|(h, port)| !port.contains(']') && !h.is_empty())
            .map_or(host, |(h, _)| h);
        let loopback = host == "localhost"
            || host == "[::1]"
            || host
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback());
        return if loopback {
            Ok(())
        } else {
            Err(crate::tr!("form.url_http"))
        };
    }
    Err(crate::tr!("form.url_scheme"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::app::modal::TextDialog;

    #[test]
    fn base_url_rules() {
        assert!(check_base_url("https://api01.example.com:65102").is_ok());
        assert!(check_base_url("http://127.0.0.1:8080").is_ok());
        assert!(check_base_url("http://localhost:1").is_ok());
        assert!(check_base_url("http://[::1]:1").is_ok());
        assert!(
            check_base_url("http://example.com")
                .unwrap_err()
                .contains("unencrypted")
        );
        assert!(check_base_url("ftp://x").unwrap_err().contains("https://"));
        assert!(check_base_url("").is_err());
        assert!(check_base_url("https://").is_err());
    }

    #[test]
    fn debug_never_shows_the_token() {
        let mut form = AddForm::new(None);
        form.focus = Field::Token;
        form.insert(crate::samples::SAMPLE_REQUEST);
        assert!(!format!("{form:?}").contains("eyJhbGci"));
        assert!(!form.field_text(Field::Token).contains("eyJhbGci"));
        assert!(form.field_text(Field::Token).contains("chars"));
    }

    #[test]
    fn focus_cycles_both_ways() {
        let mut form = AddForm::new(Some("https://x"));
        form.prev();
        assert_eq!(form.focus, Field::Token);
        form.next();
        form.next();
        assert_eq!(form.focus, Field::BaseUrl);
    }
}
