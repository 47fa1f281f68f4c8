//! `kx trace deploy/NAME` and `kx trace svc/NAME`: the trace engine's summary of a rollout or
//! a service, redrawn in place on a terminal (ages tick each second), and printed anew on each
//! change otherwise.

use crate::cli::{Connection, TraceArgs};
use crate::paint::fg;
use crate::trace::Trace;
use anstyle::AnsiColor;
use anyhow::Result;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

pub async fn run(conn: Connection, args: TraceArgs) -> Result<ExitCode> {
    let (client, target) = super::connect_target(&conn, &args.target).await?;
    let mut trace = Trace::start(client, target).map_err(anyhow::Error::msg)?;
    let tty = std::io::stdout().is_terminal();
    let colour = crate::paint::stdout();
    let mut changed = true;
    let mut last: Vec<String> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut ages = tokio::time::interval(Duration::from_secs(1));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut stdout = std::io::stdout();
    loop {
        tokio::select! {
            news = trace.next() => match news {
                Some(c) => changed |= c,
                None => break,
            },
            _ = tick.tick() => {
                // Give the narrowed lists a moment before drawing without them.
                if !changed || !trace.settled() {
                    continue;
                }
                changed = false;
                let lines = trace.lines(jiff::Timestamp::now().as_second());
                if lines == last {
                    continue;
                }
                if draw(&mut stdout, &lines, tty, colour).is_err() {
                    break;
                }
                last = lines;
            }
            // Ages tick on a terminal; a pipe gets a new summary only when something changed.
            _ = ages.tick(), if tty => changed = true,
            _ = &mut ctrl_c => break,
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The summary's lines in the colours of what they say: done green, stalled red, waiting
/// yellow, the title bold.
fn paint(line: &str) -> String {
    let style = if line.starts_with("rollout: complete") {
        fg(AnsiColor::Green)
    } else if line.starts_with("rollout: STALLED") || line.contains("NO READY ENDPOINTS") {
        fg(AnsiColor::Red).bold()
    } else if line.starts_with("rollout:") || line.contains("waiting (") {
        fg(AnsiColor::Yellow)
    } else if line.starts_with("kx trace") {
        anstyle::Style::new().bold()
    } else {
        return line.to_string();
    };
    crate::paint::paint(line, style)
}

fn draw(out: &mut impl Write, lines: &[String], tty: bool, colour: bool) -> std::io::Result<()> {
    let mut text = String::new();
    if tty {
        // Home and clear, then the summary cut to the screen so it never scrolls.
        crossterm::queue!(
            out,
            crossterm::cursor::MoveTo(0, 0),
            crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
        )?;
        let (width, height) = crossterm::terminal::size().unwrap_or((200, 100));
        for line in lines.iter().take(height.saturating_sub(1) as usize) {
            // Cluster text (names, messages) must not drive the terminal.
            let cut: String = crate::text::visible(line)
                .chars()
                .take(width as usize)
                .collect();
            text.push_str(&if colour { paint(&cut) } else { cut });
            text.push_str("\r\n");
        }
    } else {
        for line in lines {
            text.push_str(&if colour { paint(line) } else { line.clone() });
            text.push('\n');
        }
        text.push('\n');
    }
    out.write_all(text.as_bytes())?;
    out.flush()
}
