//! Colour on the command line, in one place: whether to colour is anstream's reading of
//! `--color`, `NO_COLOR`, `CLICOLOR_FORCE`, `TERM` and whether the stream is a terminal; the
//! colours are anstyle styles. Nothing else writes escape codes for colour.

pub use anstream::ColorChoice;
use anstyle::{AnsiColor, Color, Style};

/// Sets what `--color` asked for, for every stream; `Auto` leaves it to the environment and
/// the terminal.
pub fn choose(choice: ColorChoice) {
    choice.write_global();
}

/// Whether what goes to stdout is coloured.
pub fn stdout() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != ColorChoice::Never
}

/// Whether what goes to stderr is coloured.
pub fn stderr() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != ColorChoice::Never
}

/// A style with this foreground colour.
pub const fn fg(colour: AnsiColor) -> Style {
    Style::new().fg_color(Some(Color::Ansi(colour)))
}

/// The text in the style, reset after it.
pub fn paint(text: &str, style: Style) -> String {
    format!("{style}{text}{style:#}")
}

/// The text in the style when `on`, else as it is.
pub fn paint_if(on: bool, text: &str, style: Style) -> String {
    if on {
        paint(text, style)
    } else {
        text.to_string()
    }
}

/// The colours pods get (in `kx logs` and the log screen), in the order they are handed out.
pub const PALETTE: [AnsiColor; 12] = [
    AnsiColor::Green,
    AnsiColor::Yellow,
    AnsiColor::Blue,
    AnsiColor::Magenta,
    AnsiColor::Cyan,
    AnsiColor::Red,
    AnsiColor::BrightGreen,
    AnsiColor::BrightYellow,
    AnsiColor::BrightBlue,
    AnsiColor::BrightMagenta,
    AnsiColor::BrightCyan,
    AnsiColor::BrightRed,
];

/// A palette colour as a 256-colour index (0–15), for the TUI.
pub fn palette_index(colour: usize) -> u8 {
    anstyle::Ansi256Color::from_ansi(PALETTE[colour % PALETTE.len()]).index()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_render_as_sgr_codes_and_reset_after() {
        assert_eq!(paint("x", fg(AnsiColor::Red)), "\u{1b}[31mx\u{1b}[0m");
        assert_eq!(
            paint("x", fg(AnsiColor::BrightCyan).bold()),
            "\u{1b}[1m\u{1b}[96mx\u{1b}[0m"
        );
        assert_eq!(paint_if(false, "x", fg(AnsiColor::Red)), "x");
        assert_eq!(palette_index(0), 2, "green");
        assert_eq!(palette_index(6), 10, "bright green");
    }
}
