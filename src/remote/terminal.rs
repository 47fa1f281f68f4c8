//! The user's terminal lent to a process in a container: raw mode (so every key, ctrl-c
//! included, goes to the remote side), the bytes typed read on a thread that can be told to
//! stop (so nothing is left reading once the TUI takes the terminal back), and window sizes.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use tokio::sync::mpsc;

/// How long the reader waits for input before it looks whether to stop.
const POLL_MS: u16 = 25;

/// Stdin read on a thread that can be told to stop: unlike tokio's stdin, nothing is left
/// blocked in a read once the session is over (so kx can exit, and the TUI gets its keys).
pub struct StdinReader {
    stop: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
    /// What arrives on stdin, as it arrives; closed at its end.
    pub input: mpsc::Receiver<Vec<u8>>,
}

impl StdinReader {
    pub fn start() -> StdinReader {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let (tx, input) = mpsc::channel(64);
        let reader = std::thread::spawn(move || read_until_stopped(&stopped, &tx));
        StdinReader {
            stop,
            reader: Some(reader),
            input,
        }
    }

    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // A reader blocked on a full channel sees it closed and ends.
        self.input.close();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

impl Drop for StdinReader {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The terminal in raw mode with its keys read as bytes; cooked again when finished.
pub struct RawTerminal {
    stdin: StdinReader,
    raw: bool,
    /// The start of what the current process wrote, to recognise a runtime's "no such
    /// program" message.
    seen: Vec<u8>,
    /// Whether anything was typed into the current process: a shell that ran is no missing one.
    typed: bool,
}

impl RawTerminal {
    pub fn start() -> io::Result<RawTerminal> {
        crossterm::terminal::enable_raw_mode()?;
        Ok(RawTerminal {
            stdin: StdinReader::start(),
            raw: true,
            seen: Vec::new(),
            typed: false,
        })
    }

    /// A new process starts: nothing of the last one's output counts.
    pub fn forget_output(&mut self) {
        self.seen.clear();
        self.typed = false;
    }

    /// Notes that the user typed into the current process.
    pub fn typed(&mut self) {
        self.typed = true;
    }

    /// Notes output of the process (the first KiB is kept).
    pub fn saw(&mut self, bytes: &[u8]) {
        let room = 1024usize.saturating_sub(self.seen.len());
        self.seen.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// Whether the process's output so far is a runtime saying the program does not exist;
    /// forgets it for the next process.
    pub fn missing_program(&mut self) -> bool {
        let text = String::from_utf8_lossy(&std::mem::take(&mut self.seen)).to_lowercase();
        // The runtime's own words, before anything was typed: not a shell that ran and
        // exited 127 after a mistyped command.
        !self.typed
            && (text.contains("oci runtime exec failed") || text.contains("exec: \""))
            && (text.contains("executable file not found")
                || text.contains("no such file or directory"))
    }

    /// What the user types, as it is typed.
    pub fn input(&mut self) -> &mut mpsc::Receiver<Vec<u8>> {
        &mut self.stdin.input
    }

    /// Stops reading, waits for the reader, and puts the terminal back to cooked mode.
    pub fn finish(&mut self) {
        self.stdin.stop();
        if std::mem::replace(&mut self.raw, false) {
            let _ = crossterm::terminal::disable_raw_mode();
        }
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(unix)]
fn read_until_stopped(stop: &AtomicBool, tx: &mpsc::Sender<Vec<u8>>) {
    use nix::poll::{PollFd, PollFlags, poll};
    use std::os::fd::AsFd;
    let stdin = io::stdin();
    // Larger than std's own stdin buffer, so reads go straight to the descriptor and poll(2)
    // sees everything that is waiting (a large paste is not held back).
    let mut buf = vec![0u8; 16 * 1024];
    while !stop.load(Ordering::Relaxed) {
        let ready = {
            let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, POLL_MS) {
                Ok(n) => n > 0,
                Err(nix::errno::Errno::EINTR) => false,
                Err(_) => return,
            }
        };
        if !ready {
            continue;
        }
        match stdin.lock().read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if tx.blocking_send(buf[..n].to_vec()).is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(not(unix))]
fn read_until_stopped(stop: &AtomicBool, tx: &mpsc::Sender<Vec<u8>>) {
    // Without poll(2) a blocked read cannot be interrupted: read keys as events instead.
    use crossterm::event::{self, Event, KeyCode, KeyModifiers};
    while !stop.load(Ordering::Relaxed) {
        if !event::poll(std::time::Duration::from_millis(u64::from(POLL_MS))).unwrap_or(false) {
            continue;
        }
        let bytes = match event::read() {
            Ok(Event::Key(k)) => match k.code {
                KeyCode::Char(c) if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    vec![(c as u8) & 0x1f]
                }
                KeyCode::Char(c) => c.to_string().into_bytes(),
                KeyCode::Enter => b"\r".to_vec(),
                KeyCode::Backspace => vec![0x7f],
                KeyCode::Tab => b"\t".to_vec(),
                KeyCode::Esc => vec![0x1b],
                _ => continue,
            },
            Ok(_) => continue,
            Err(_) => return,
        };
        if tx.blocking_send(bytes).is_err() {
            return;
        }
    }
}

/// Columns and rows now.
pub fn size() -> Option<(u16, u16)> {
    crossterm::terminal::size().ok()
}

/// Resolves each time the terminal's window changes size (Unix: SIGWINCH); never elsewhere.
pub struct Resizes {
    #[cfg(unix)]
    signal: Option<tokio::signal::unix::Signal>,
}

impl Resizes {
    pub fn new() -> Resizes {
        Resizes {
            #[cfg(unix)]
            signal: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
                .ok(),
        }
    }

    pub async fn next(&mut self) -> Option<(u16, u16)> {
        #[cfg(unix)]
        if let Some(s) = self.signal.as_mut() {
            s.recv().await;
            return size();
        }
        std::future::pending().await
    }
}

impl Default for Resizes {
    fn default() -> Self {
        Resizes::new()
    }
}
