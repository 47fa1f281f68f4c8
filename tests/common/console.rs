//! The explorer's loop on a console that stands in for the terminal: it draws into a
//! buffer and remembers every frame and every hand-over of the terminal (to the editor).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crossterm::event::{KeyCode, KeyEvent};
use kx::cluster::connect::Source;
use kx::cluster::watch::Paging;
use kx::config::theme::Theme;
use kx::tui::app::App;
use kx::tui::console::{Console, Input};
use kx::tui::runtime::{Options, Runtime};
use kx::tui::session::Session;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub fn options(switch_from: Option<Source>) -> Options {
    Options {
        paging: Paging {
            page_size: 100,
            whole_up_to: 2000,
        },
        edit: kx::edit::Options {
            preview: false,
            request_timeout: Duration::from_secs(10),
        },
        switch_from,
        usage: true,
        log_tail: 1000,
    }
}

/// A console that draws into a buffer and remembers every frame and hand-over.
#[derive(Clone)]
pub struct Recorded {
    pub frames: Arc<Mutex<Vec<String>>>,
    pub handovers: Arc<Mutex<Vec<&'static str>>>,
    /// The bytes OSC 52 would send, for each copy.
    pub clipboard: Arc<Mutex<Vec<String>>>,
}

impl Recorded {
    pub fn new() -> Recorded {
        Recorded {
            frames: Arc::new(Mutex::new(Vec::new())),
            handovers: Arc::new(Mutex::new(Vec::new())),
            clipboard: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub fn last_frame(&self) -> String {
        self.frames
            .lock()
            .map(|f| f.last().cloned().unwrap_or_default())
            .unwrap_or_default()
    }

    pub fn any_frame(&self, text: &str) -> bool {
        self.frames
            .lock()
            .map(|f| f.iter().any(|t| t.contains(text)))
            .unwrap_or(false)
    }

    pub async fn until_frame(&self, text: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !self.last_frame().contains(text) {
            assert!(
                Instant::now() < deadline,
                "no frame with {text:?}; the last:\n{}",
                self.last_frame()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub struct FakeConsole {
    term: Terminal<TestBackend>,
    record: Recorded,
}

impl Console for FakeConsole {
    fn draw(&mut self, app: &App, theme: &Theme) -> std::io::Result<()> {
        self.term
            .draw(|f| kx::tui::draw::draw(f, app, theme))
            .map_err(std::io::Error::other)?;
        let text = format!("{}", self.term.backend());
        if let Ok(mut frames) = self.record.frames.lock() {
            frames.push(text);
        }
        Ok(())
    }

    fn size(&self) -> (u16, u16) {
        (120, 20)
    }

    fn suspend(&mut self) -> std::io::Result<()> {
        if let Ok(mut h) = self.record.handovers.lock() {
            h.push("suspend");
        }
        Ok(())
    }

    fn resume(&mut self) -> std::io::Result<()> {
        if let Ok(mut h) = self.record.handovers.lock() {
            h.push("resume");
        }
        Ok(())
    }

    fn clipboard(&mut self, text: &str) -> std::io::Result<()> {
        if let Ok(mut c) = self.record.clipboard.lock() {
            c.push(kx::tui::clipboard::osc52(text));
        }
        Ok(())
    }
}

pub async fn typed(keys: &mpsc::Sender<Input>, text: &str) {
    for ch in text.chars() {
        let code = match ch {
            '\r' => KeyCode::Enter,
            c => KeyCode::Char(c),
        };
        keys.send(Input::Key(KeyEvent::from(code)))
            .await
            .expect("the loop reads keys");
    }
}

/// The explorer's loop on a fake console, connected to the simulator through `source`.
pub fn explorer(
    client: kube::Client,
    session: Session,
    switch_from: Option<Source>,
) -> (
    tokio::task::JoinHandle<anyhow::Result<()>>,
    mpsc::Sender<Input>,
    Recorded,
) {
    let record = Recorded::new();
    let mut console = FakeConsole {
        term: Terminal::new(TestBackend::new(120, 20)).expect("terminal"),
        record: record.clone(),
    };
    let (keys, inputs) = mpsc::channel(64);
    let task = tokio::spawn(async move {
        let (mut runtime, inbound) = Runtime::new(client, options(switch_from));
        runtime.discover();
        let theme = Theme::load("default-dark", None, false);
        kx::tui::run_loop(
            App::new(session),
            runtime,
            inbound,
            &mut console,
            inputs,
            &theme,
        )
        .await
    });
    (task, keys, record)
}

/// Presses q and waits (at most `secs`) for the loop to end well.
pub async fn quit(
    keys: &mpsc::Sender<Input>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    secs: u64,
) {
    typed(keys, "q").await;
    let result = tokio::time::timeout(Duration::from_secs(secs), task)
        .await
        .expect("q quits")
        .expect("the loop task");
    assert!(result.is_ok(), "{result:?}");
}
