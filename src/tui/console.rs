//! The terminal as the loop uses it: frames drawn, keys and resizes read on a thread of their
//! own, and handed over to a child (the editor) and back. Tests put their own console in its
//! place.

use super::app::App;
use crate::config::theme::Theme;
use crossterm::event::{self, Event, KeyEvent, KeyEventKind, MouseEventKind};
use ratatui::DefaultTerminal;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::mpsc;

/// What the user does at the terminal.
#[derive(Debug)]
pub enum Input {
    Key(KeyEvent),
    /// Only with `mouse: true`.
    Mouse(crossterm::event::MouseEvent),
    Resize(u16, u16),
    /// Reading the terminal failed: the loop ends with this error.
    Failed(io::Error),
}

pub trait Console {
    fn draw(&mut self, app: &App, theme: &Theme) -> io::Result<()>;
    /// Columns and rows.
    fn size(&self) -> (u16, u16);
    /// Lets go of the terminal (for the editor): no reading, no raw mode, no alternate screen.
    fn suspend(&mut self) -> io::Result<()>;
    /// Takes the terminal back.
    fn resume(&mut self) -> io::Result<()>;
    /// Asks the terminal to put `text` on the clipboard (OSC 52).
    fn clipboard(&mut self, text: &str) -> io::Result<()>;
}

/// The real terminal.
pub struct Terminal {
    terminal: Option<DefaultTerminal>,
    reader: Option<Reader>,
    inputs: mpsc::Sender<Input>,
    /// Mouse reporting on (`mouse: true`): clicks and the wheel come as input, and the
    /// terminal's own selection needs shift.
    mouse: bool,
}

/// The thread that reads keys, and how it is told to stop.
struct Reader {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

/// How long the reader waits for input before it looks whether to stop.
const POLL: Duration = Duration::from_millis(25);

impl Reader {
    fn start(inputs: mpsc::Sender<Input>) -> Reader {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                let input = match event::poll(POLL) {
                    Ok(false) => continue,
                    Ok(true) => match event::read() {
                        Ok(Event::Key(key)) if key.kind == KeyEventKind::Press => Input::Key(key),
                        // Clicks and the wheel; moves and drags (reported too) are not input.
                        Ok(Event::Mouse(m))
                            if matches!(
                                m.kind,
                                MouseEventKind::Down(_)
                                    | MouseEventKind::ScrollDown
                                    | MouseEventKind::ScrollUp
                            ) =>
                        {
                            Input::Mouse(m)
                        }
                        Ok(Event::Resize(w, h)) => Input::Resize(w, h),
                        Ok(_) => continue,
                        Err(e) => Input::Failed(e),
                    },
                    Err(e) => Input::Failed(e),
                };
                let failed = matches!(input, Input::Failed(_));
                if inputs.blocking_send(input).is_err() || failed {
                    return;
                }
            }
        });
        Reader { stop, thread }
    }

    /// Stops reading and waits until the thread no longer touches the terminal.
    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

impl Terminal {
    pub fn open(inputs: mpsc::Sender<Input>, mouse: bool) -> io::Result<Terminal> {
        let mut t = Terminal {
            terminal: None,
            reader: None,
            inputs,
            mouse,
        };
        t.resume()?;
        Ok(t)
    }
}

impl Console for Terminal {
    fn draw(&mut self, app: &App, theme: &Theme) -> io::Result<()> {
        if let Some(t) = self.terminal.as_mut() {
            t.draw(|f| super::draw::draw(f, app, theme))?;
        }
        Ok(())
    }

    fn size(&self) -> (u16, u16) {
        crossterm::terminal::size().unwrap_or((80, 24))
    }

    fn suspend(&mut self) -> io::Result<()> {
        if let Some(r) = self.reader.take() {
            r.stop();
        }
        if self.terminal.take().is_some() {
            if self.mouse {
                crossterm::execute!(io::stdout(), crossterm::event::DisableMouseCapture)?;
            }
            ratatui::restore();
        }
        Ok(())
    }

    fn clipboard(&mut self, text: &str) -> io::Result<()> {
        use std::io::Write;
        let mut out = io::stdout();
        out.write_all(super::clipboard::osc52(text).as_bytes())?;
        out.flush()
    }

    fn resume(&mut self) -> io::Result<()> {
        let mut terminal = ratatui::try_init()?;
        terminal.clear()?;
        if self.mouse {
            crossterm::execute!(io::stdout(), crossterm::event::EnableMouseCapture)?;
        }
        self.terminal = Some(terminal);
        self.reader = Some(Reader::start(self.inputs.clone()));
        Ok(())
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.suspend();
    }
}
