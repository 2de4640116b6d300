//! Issued tokens that neither the keyring nor a rescue file took, in the dashboard: the
//! alternate screen is no place to show them (it is wiped when the dashboard closes), so they
//! are printed on the terminal once it has closed, and their messages say so.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use crate::login::LoginError;
use crate::renew::RenewError;
use crate::rescue::{self, Kept};
use crate::token::Token;

/// The tokens to print when the dashboard closes (shared by its tasks).
#[derive(Clone, Default)]
pub(crate) struct AtExit(Arc<Mutex<Vec<(String, Token)>>>);

impl AtExit {
    /// Takes the token a failed renewal holds that nothing kept (a login's too, when the
    /// renewal logged in again).
    pub(crate) fn renewal(&self, error: &mut RenewError) {
        if let RenewError::Relogin { error, .. } = error {
            if let Some(login) = error.downcast_mut::<LoginError>() {
                self.login(login);
            }
            return;
        }
        if let Some((name, token, kept)) = error.unkept() {
            self.take(name, token, kept);
        }
    }

    /// Takes the tokens a failed login holds that nothing kept.
    pub(crate) fn login(&self, error: &mut LoginError) {
        for (name, token, kept) in error.unkept() {
            self.take(name, token, kept);
        }
    }

    fn take(&self, name: &str, token: &Token, kept: &mut Kept) {
        self.lock().push((name.to_owned(), token.clone()));
        *kept = Kept::AtExit;
    }

    /// What to print: a heading naming each token, then the token.
    pub(crate) fn text(&self) -> String {
        self.lock()
            .iter()
            .map(|(name, token)| {
                let heading = crate::tr!("rescue.heading", name = name);
                format!("{heading}\n{}\n", token.expose())
            })
            .collect()
    }

    /// Prints them (the terminal restored): on the terminal, else on stdout.
    pub(crate) fn print(&self) {
        let text = self.text();
        if text.is_empty() || rescue::on_terminal(&text).is_ok() || rescue::stdout_is_journal() {
            return;
        }
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, Token)>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
