//! The add-a-token dialog. The token field is masked: only its length and a short hint show.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::layout::popup;
use super::palette::Palette;
use super::text::clean;
use crate::app::{AddForm, Field};
use crate::width::pad;

pub fn render(frame: &mut Frame, area: Rect, form: &AddForm, p: &Palette) {
    let rect = popup(area, 76, 10);
    let block = Block::bordered()
        .title(Span::styled(" Add a token ", p.header))
        .title_bottom(Span::styled(
            " Tab next field · Enter save · Esc cancel ",
            p.dim,
        ))
        .border_style(p.key);
    let mut lines = Vec::new();
    for field in Field::ALL {
        let focused = form.focus == field;
        let mut value = clean(&form.field_text(field));
        if value.is_empty() && !focused {
            value = placeholder(field).to_owned();
        }
        let value_style = if focused {
            p.focus
        } else if form.field_text(field).is_empty() {
            p.dim
        } else {
            ratatui::style::Style::new()
        };
        let cursor = if focused { "▏" } else { "" };
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "{} {}",
                    if focused { "›" } else { " " },
                    pad(field.label(), 9)
                ),
                if focused { p.key } else { p.dim },
            ),
            Span::styled(format!("{value}{cursor}"), value_style),
        ]));
    }
    lines.push(Line::raw(""));
    if form.saving {
        lines.push(Line::styled("Saving to the keyring…", p.warn));
    } else if let Some(err) = &form.error {
        lines.push(Line::styled(format!("✗ {}", clean(err)), p.error));
    } else {
        lines.push(Line::styled(
            "Paste the token into the Token field (it stays hidden). It is checked before saving and goes only to the keyring.",
            p.dim,
        ));
    }
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

fn placeholder(field: Field) -> &'static str {
    match field {
        Field::Name => "e.g. kunshan (letters, digits, . _ - /)",
        Field::BaseUrl => "https://HOST:PORT",
        Field::Note => "optional",
        Field::Token => "paste here (hidden)",
    }
}
