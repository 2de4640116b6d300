//! The last resort for an issued token that neither the keyring nor a rescue file took: it is
//! shown to the user (the terminal, else stdout: see [`Io::last_resort`]), and the error that
//! holds it records where, so that its message sends the user there.

use super::streams::Io;
use crate::login::LoginError;
use crate::renew::RenewError;
use crate::rescue::Kept;
use crate::token::Token;
use crate::tr;

/// Shows the token a failed renewal holds that nothing kept (a login's too, when the renewal
/// logged in again).
pub(super) fn keep_renewal(io: &Io, error: &mut RenewError) {
    if let RenewError::Relogin { error, .. } = error {
        if let Some(login) = error.downcast_mut::<LoginError>() {
            keep_login(io, login);
        }
        return;
    }
    if let Some((name, token, kept)) = error.unkept() {
        *kept = show(io, name, token);
    }
}

/// Shows the tokens a failed login holds that nothing kept.
pub(super) fn keep_login(io: &Io, error: &mut LoginError) {
    for (name, token, kept) in error.unkept() {
        *kept = show(io, name, token);
    }
}

fn show(io: &Io, name: &str, token: &Token) -> Kept {
    let heading = tr!("rescue.heading", name = name);
    io.last_resort(&format!("{heading}\n{}\n", token.expose()))
        .unwrap_or(Kept::Nowhere)
}
