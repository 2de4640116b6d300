//! Yes/no questions: deleting a token, copying one the server will refuse.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialog::{self, Dialog};
use super::palette::Palette;
use super::text::{clean, popup_name};
use crate::dashboard::app::Confirm;
use crate::keymap::{Command, Context, Keymap};
use crate::tr;

pub(crate) fn render(frame: &mut Frame, area: Rect, confirm: &Confirm, keys: &Keymap, p: &Palette) {
    let (title, lines) = match confirm {
        Confirm::Delete { name } => (
            tr!("confirm.delete_title"),
            vec![
                Line::from(vec![
                    Span::raw(tr!("confirm.delete_before")),
                    Span::styled(popup_name(name), p.header),
                    Span::raw(tr!("confirm.delete_after")),
                ]),
                Line::raw(tr!("confirm.delete_undo")),
            ],
        ),
        Confirm::CopyUnusable { name, why, instead } => (
            tr!("confirm.copy_title"),
            vec![
                Line::from(vec![
                    Span::raw(tr!("confirm.copy_before")),
                    Span::styled(popup_name(name), p.header),
                    Span::raw(tr!("confirm.copy_after")),
                    Span::styled(clean(why), p.warn),
                    Span::raw(tr!("confirm.period")),
                ]),
                Line::raw(tr!("confirm.instead", hint = clean(instead))),
            ],
        ),
    };
    let mut lines = lines;
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled(keys.label(Context::Confirm, Command::ConfirmYes), p.key),
        Span::raw(format!(" {}    ", tr!("confirm.yes"))),
        // The second key of "no" is Esc by default: worth showing, everyone tries it.
        Span::styled(keys.labels(Context::Confirm, Command::ConfirmNo, 2), p.key),
        Span::raw(format!(" {}", tr!("confirm.no"))),
    ]));
    let dialog = Dialog {
        title,
        keys: None,
        style: p.warn,
        title_style: p.warn,
        width: 72,
        height: 7,
        lines,
    };
    dialog::render(frame, area, dialog);
}
