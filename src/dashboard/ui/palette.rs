//! Styles, chosen once from the colour setting: calm, warning, alarm, grey. Without colour
//! (NO_COLOR) the same meaning is carried by bold, dim, reverse and strike-through only.

use ratatui::style::{Color, Modifier, Style};

use crate::dashboard::app::{Level, Urgency};

#[derive(Debug, Clone, Copy)]
pub struct Palette {
    pub calm: Style,
    pub warn: Style,
    pub alarm: Style,
    pub dead: Style,
    pub broken: Style,
    pub header: Style,
    pub selected: Style,
    pub dim: Style,
    pub title: Style,
    pub key: Style,
    pub info: Style,
    pub error: Style,
    pub focus: Style,
}

impl Palette {
    pub fn new(color: bool) -> Palette {
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let dim = Style::new().add_modifier(Modifier::DIM);
        if color {
            Palette {
                calm: Style::new().fg(Color::Green),
                warn: Style::new().fg(Color::Yellow),
                alarm: bold.fg(Color::Red),
                dead: Style::new().fg(Color::DarkGray),
                broken: Style::new().fg(Color::Magenta),
                header: bold.fg(Color::Cyan),
                selected: Style::new()
                    .bg(Color::Rgb(40, 44, 60))
                    .add_modifier(Modifier::BOLD),
                dim: Style::new().fg(Color::DarkGray),
                title: bold.fg(Color::White).bg(Color::Blue),
                key: bold.fg(Color::Cyan),
                info: Style::new().fg(Color::Green),
                error: bold.fg(Color::Red),
                focus: Style::new().fg(Color::Black).bg(Color::Cyan),
            }
        } else {
            Palette {
                calm: Style::new(),
                warn: bold,
                alarm: bold.add_modifier(Modifier::UNDERLINED),
                dead: dim,
                broken: Style::new().add_modifier(Modifier::ITALIC),
                header: bold,
                selected: Style::new().add_modifier(Modifier::REVERSED),
                dim,
                title: Style::new().add_modifier(Modifier::REVERSED),
                key: bold,
                info: Style::new(),
                error: bold,
                focus: Style::new().add_modifier(Modifier::REVERSED),
            }
        }
    }

    pub(crate) fn urgency(&self, u: Urgency) -> Style {
        match u {
            Urgency::Calm => self.calm,
            Urgency::Due => self.warn,
            Urgency::Renewable => self.alarm,
            Urgency::Dead => self.dead,
            Urgency::Broken => self.broken,
        }
    }

    pub(crate) fn level(&self, l: Level) -> Style {
        match l {
            Level::Info => self.info,
            Level::Warn => self.warn,
            Level::Error => self.error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_means_no_colours_at_all() {
        let p = Palette::new(false);
        for s in [
            p.calm, p.warn, p.alarm, p.dead, p.broken, p.header, p.selected, p.dim, p.title, p.key,
            p.info, p.error, p.focus,
        ] {
            assert_eq!(s.fg, None);
            assert_eq!(s.bg, None);
        }
    }
}
