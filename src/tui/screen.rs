//! What a screen is: one type per view, in its own file under `screens/`, that answers the
//! actions of its key-map section, derives what it shows before a frame, and draws without
//! changing anything. The app keeps a stack of them; the one on top gets the keys.

use super::action::{Effect, Message};
use super::overlay::Overlay;
use super::session::{Data, Session};
use crate::cluster::object::ObjectRef;
use crate::config::keys::{KeyAction, Section};
use crate::config::theme::Theme;
use crate::logs::stream::LogEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use std::any::Any;

/// What a screen may change while it answers: the session, the data and the footer's message.
pub struct Cx<'a> {
    pub session: &'a mut Session,
    pub data: &'a mut Data,
    pub message: &'a mut Option<Message>,
}

impl Cx<'_> {
    pub fn info(&mut self, text: impl Into<String>) {
        *self.message = Some(Message::Info(text.into()));
    }

    pub fn error(&mut self, text: impl Into<String>) {
        *self.message = Some(Message::Error(text.into()));
    }
}

/// What a screen may read while it draws.
pub struct Dx<'a> {
    pub session: &'a Session,
    pub data: &'a Data,
    pub theme: &'a Theme,
}

/// Where the app goes next.
pub enum Nav {
    /// A new screen on top (a drill-down, a detail, logs).
    Push(Box<dyn Screen>),
    /// This screen gives way to another (YAML ⇄ describe ⇄ events, a list re-scoped).
    Replace(Box<dyn Screen>),
    /// Back to the screen below.
    Pop,
    /// A new stack with this screen alone (`:pods`, a context switch).
    Reset(Box<dyn Screen>),
    /// An overlay over the screens: a prompt, a picker, a question, the help.
    Open(Box<Overlay>),
}

/// A screen's answer: work for the runtime, and where to go. `Pass` lets the app's own keys
/// (quit, `:`, `?`, favourites, writes) answer instead.
pub enum Step {
    Done(Vec<Effect>, Option<Nav>),
    Pass,
}

impl Step {
    pub fn nothing() -> Step {
        Step::Done(Vec::new(), None)
    }

    pub fn effects(effects: Vec<Effect>) -> Step {
        Step::Done(effects, None)
    }

    pub fn go(nav: Nav) -> Step {
        Step::Done(Vec::new(), Some(nav))
    }

    pub fn with(effects: Vec<Effect>, nav: Nav) -> Step {
        Step::Done(effects, Some(nav))
    }
}

/// What a prompt was for, when its text is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// `:` commands, answered by the app.
    Command,
    /// `/`: a list's row filter, or a search in text.
    Filter,
    /// `&`: the log screen's line filter.
    LogFilter,
    /// The log screen's container filter.
    ContainerFilter,
    /// Where to save the log screen's buffer.
    SavePath,
    /// How many replicas to scale to.
    Scale,
}

/// A footer hint: the keys of these actions (shown `n/N`), and what they do here.
pub type Hint = (&'static [KeyAction], &'static str);

pub trait Screen: Any + Send {
    /// Which key-map section (besides `global`) this screen's keys come from.
    fn section(&self) -> Section;

    /// Its breadcrumb: `pods`, `web-1:yaml`, `web:logs`.
    fn crumb(&self) -> String;

    /// A key's action. `Step::Pass` when the screen has no use for it.
    fn on_action(&mut self, action: KeyAction, cx: &mut Cx) -> Step;

    /// Text entered in a prompt this screen opened.
    fn on_prompt(&mut self, _ask: Ask, _text: &str, _cx: &mut Cx) -> Step {
        Step::nothing()
    }

    /// Log events, for the log screen with that id.
    fn on_logs(&mut self, _id: u64, _events: Vec<LogEvent>) -> bool {
        false
    }

    /// Brings derived data up to date (rows in order, text lines, scroll limits) before a
    /// frame or a key that needs it; cheap when nothing it depends on moved.
    fn refresh(&mut self, cx: &mut Cx);

    /// The header after the context: counts, live or not, trouble.
    fn status(&self, dx: &Dx) -> Vec<Span<'static>>;

    /// The body. Reads only.
    fn draw(&self, f: &mut Frame, area: Rect, dx: &Dx);

    /// The footer's key hints when nothing else is said.
    fn hints(&self) -> &'static [Hint];

    /// The objects a write action (edit, delete, scale, …) acts on: the marked rows when
    /// `marked` and there are some, else the selected one.
    fn targets(&self, _cx: &Cx, _marked: bool) -> Vec<ObjectRef> {
        Vec::new()
    }

    /// The container this screen has selected (a pod's containers), for a shell or attach.
    fn container(&self) -> Option<String> {
        None
    }

    /// The screen is taken off the stack (what it started in the background is stopped by
    /// the app; this is for what only the screen knows, like a pinned history).
    fn on_close(&mut self, _cx: &mut Cx) {}

    /// A write action was confirmed: marks are used up.
    fn clear_marks(&mut self) {}

    /// The follow this screen shows, if it shows the followed object.
    fn follows(&self) -> Option<u64> {
        None
    }

    /// The log tail this screen shows, if it is a log screen.
    fn tails(&self) -> Option<u64> {
        None
    }

    /// The live linter this screen shows, if it is the lint screen.
    fn lints(&self) -> Option<u64> {
        None
    }

    /// The tree this screen shows, if it is the xray screen.
    /// A click on the `row`th line of the body: selects what is there; false when nothing is.
    fn click(&mut self, _row: u16, _cx: &mut Cx) -> bool {
        false
    }

    /// The background plugin run whose output this screen shows.
    fn runs(&self) -> Option<u64> {
        None
    }

    /// What a plugin started here acts on (the marked rows, else the selected one), with
    /// the names of what is listed for the plugin's scopes; None where plugins do not apply.
    fn plugin_scope(&self, _cx: &Cx) -> Option<super::plugins::PluginScope> {
        None
    }

    fn xrays(&self) -> Option<u64> {
        None
    }

    /// The diagnosis this screen shows, if it is an explain screen.
    fn explains(&self) -> Option<u64> {
        None
    }

    /// The list watches this screen keeps open (a list's one, pulse's several).
    fn watches(&self) -> Vec<&super::action::WatchKey> {
        Vec::new()
    }

    fn as_any(&self) -> &dyn Any;
}
