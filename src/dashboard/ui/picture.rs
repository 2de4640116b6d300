//! The README's pictures of the dashboard: `draw` into ratatui's TestBackend, then the
//! buffer (characters, colours, bold/dim/reverse) written out as SVG. Nothing is drawn by
//! hand, so the picture is what the dashboard draws.
//!
//! Regenerate with: `ACTOKEN_WRITE_PICTURES=1 cargo test --lib ui::picture`

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use crate::width::width;

const CELL_W: f32 = 8.4;
const CELL_H: f32 = 18.0;
const BACKGROUND: &str = "#1e2030";
const FOREGROUND: &str = "#c8d3f5";

/// An xterm-like palette for the 16 named colours.
fn colour(c: Color, fallback: &str) -> String {
    let named = match c {
        Color::Reset => return fallback.to_owned(),
        Color::Black => "#1b1d2b",
        Color::Red => "#ff5370",
        Color::Green => "#77e08b",
        Color::Yellow => "#ffc777",
        Color::Blue => "#3e68d7",
        Color::Magenta => "#c099ff",
        Color::Cyan => "#86e1fc",
        Color::Gray => "#a9b1d6",
        Color::DarkGray => "#7a82aa",
        Color::LightRed => "#ff757f",
        Color::LightGreen => "#c3e88d",
        Color::LightYellow => "#ffdf99",
        Color::LightBlue => "#82aaff",
        Color::LightMagenta => "#fca7ea",
        Color::LightCyan => "#b4f9f8",
        Color::White => "#ffffff",
        Color::Rgb(r, g, b) => return format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(_) => return fallback.to_owned(),
    };
    named.to_owned()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The buffer as an SVG image, one text element per run of same-styled narrow characters
/// (each wide character on its own, placed at its column, so Chinese text lines up).
pub(crate) fn svg(buf: &Buffer) -> String {
    let (w, h) = (buf.area.width, buf.area.height);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0}\" height=\"{:.0}\" \
         font-family=\"'DejaVu Sans Mono','Noto Sans Mono CJK SC','Sarasa Mono SC',monospace\" \
         font-size=\"14\">\n<rect width=\"100%\" height=\"100%\" fill=\"{BACKGROUND}\"/>\n",
        f32::from(w) * CELL_W,
        f32::from(h) * CELL_H
    );
    for y in 0..h {
        let mut x = 0;
        while x < w {
            let cell = &buf[(x, y)];
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let (mut fg, mut bg) = (colour(cell.fg, FOREGROUND), colour(cell.bg, BACKGROUND));
            if reversed {
                std::mem::swap(&mut fg, &mut bg);
            }
            let cols = u16::try_from(width(cell.symbol()).max(1)).unwrap_or(1);
            // A run: following narrow cells with the same look.
            let mut text = cell.symbol().to_owned();
            let mut end = x + cols;
            if cols == 1 {
                while end < w {
                    let next = &buf[(end, y)];
                    if width(next.symbol()) != 1
                        || next.fg != cell.fg
                        || next.bg != cell.bg
                        || next.modifier != cell.modifier
                    {
                        break;
                    }
                    text.push_str(next.symbol());
                    end += 1;
                }
            }
            let (px, py) = (f32::from(x) * CELL_W, f32::from(y) * CELL_H);
            let run_w = f32::from(end - x) * CELL_W;
            if bg != BACKGROUND {
                out.push_str(&format!(
                    "<rect x=\"{px:.1}\" y=\"{py:.1}\" width=\"{run_w:.1}\" height=\"{CELL_H}\" fill=\"{bg}\"/>\n"
                ));
            }
            if !text.trim().is_empty() {
                let mut attrs = format!("fill=\"{fg}\"");
                if cell.modifier.contains(Modifier::BOLD) {
                    attrs.push_str(" font-weight=\"bold\"");
                }
                if cell.modifier.contains(Modifier::DIM) {
                    attrs.push_str(" opacity=\"0.65\"");
                }
                if cell.modifier.contains(Modifier::ITALIC) {
                    attrs.push_str(" font-style=\"italic\"");
                }
                if cell.modifier.contains(Modifier::CROSSED_OUT) {
                    attrs.push_str(" text-decoration=\"line-through\"");
                } else if cell.modifier.contains(Modifier::UNDERLINED) {
                    attrs.push_str(" text-decoration=\"underline\"");
                }
                out.push_str(&format!(
                    "<text x=\"{px:.1}\" y=\"{:.1}\" textLength=\"{run_w:.1}\" \
                     lengthAdjust=\"spacingAndGlyphs\" xml:space=\"preserve\" {attrs}>{}</text>\n",
                    py + CELL_H * 0.75,
                    escape(&text)
                ));
            }
            x = end;
        }
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::dashboard::app::fixtures::{app_with, chinese_set, demo_set, now, select};
    use crate::dashboard::app::{Action, App, update};
    use crate::i18n::{Lang, with_lang};

    fn buffer(app: &mut App, w: u16, h: u16, t: Timestamp) -> Buffer {
        crate::dashboard::ui::tests::render(app, w, h, t)
            .backend()
            .buffer()
            .clone()
    }

    /// The README's two pictures: English with the demo set, Chinese with the platform's
    /// region names and the details pane open.
    fn pictures() -> Vec<(&'static str, String)> {
        let english = with_lang(Lang::En, || {
            let mut app = app_with(demo_set());
            app.demo = true;
            select(&mut app, "kunshan-old");
            svg(&buffer(&mut app, 120, 14, now()))
        });
        let chinese = with_lang(Lang::ZhCn, || {
            let mut set = chinese_set();
            set.extend(demo_set().into_iter().take(3));
            let mut app = app_with(set);
            select(&mut app, "alice/华东一区【昆山】");
            update(&mut app, Action::Key(enter()), now());
            svg(&buffer(&mut app, 132, 24, now()))
        });
        vec![
            ("assets/dashboard.en.svg", english),
            ("assets/dashboard.zh-CN.svg", chinese),
        ]
    }

    fn enter() -> crossterm::event::KeyEvent {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)
    }

    /// Writes the pictures when ACTOKEN_WRITE_PICTURES=1; otherwise checks that the committed
    /// ones are what the dashboard draws today (so the README cannot drift).
    #[test]
    fn readme_pictures_are_current() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let write = std::env::var("ACTOKEN_WRITE_PICTURES").as_deref() == Ok("1");
        for (path, svg) in pictures() {
            let file = root.join(path);
            if write {
                std::fs::write(&file, &svg).unwrap();
            } else {
                let committed = std::fs::read_to_string(&file).unwrap_or_default();
                assert!(
                    committed == svg,
                    "{path} is out of date: run ACTOKEN_WRITE_PICTURES=1 cargo test --lib ui::picture"
                );
            }
        }
    }

    #[test]
    fn svg_keeps_colours_and_places_wide_characters_by_column() {
        let mut buf = Buffer::empty(ratatui::layout::Rect::new(0, 0, 10, 1));
        buf.set_string(0, 0, "ab华东", ratatui::style::Style::new().fg(Color::Red));
        let out = svg(&buf);
        assert!(out.contains("fill=\"#ff5370\""), "{out}");
        assert!(out.contains(">ab</text>"), "{out}");
        // 华 at column 2, 东 at column 4.
        assert!(out.contains(&format!("x=\"{:.1}\"", 2.0 * CELL_W)), "{out}");
        assert!(out.contains(&format!("x=\"{:.1}\"", 4.0 * CELL_W)), "{out}");
    }
}
