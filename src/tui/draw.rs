//! Draws a frame from the app, reading only: the header (context, namespace, what the screen
//! in front says about itself), the breadcrumbs, the front screen's body, and the footer (a
//! prompt or question, the last message, a config warning, or the screen's key hints), with a
//! picker or the help over the body. Scroll positions and paging were settled in `update`.

use super::action::Message;
use super::app::App;
use super::screen::Dx;
use crate::config::keys::chord_display;
use crate::config::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 6;

pub fn draw(f: &mut Frame, app: &App, theme: &Theme) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let notice = format!(
            "terminal too small: {}x{}, kx needs {MIN_WIDTH}x{MIN_HEIGHT}",
            area.width, area.height
        );
        f.render_widget(Paragraph::new(notice).wrap(Wrap { trim: true }), area);
        return;
    }
    let [header, crumbs, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let dx = Dx {
        session: &app.session,
        data: &app.data,
        theme,
    };
    draw_header(f, app, &dx, header);
    f.render_widget(
        Paragraph::new(Span::styled(
            format!(" {}", app.crumbs()),
            theme.style("status.line"),
        )),
        crumbs,
    );
    if let Some(front) = app.front() {
        front.draw(f, body, &dx);
    }
    match &app.overlay {
        Some(o) if o.in_footer() => {}
        _ => draw_footer(f, app, theme, footer),
    }
    if let Some(o) = &app.overlay {
        o.draw(f, body, footer, &app.session, theme);
    }
}

fn draw_header(f: &mut Frame, app: &App, dx: &Dx, area: Rect) {
    let (session, theme) = (&app.session, dx.theme);
    // The namespace of the list on screen (`:pods shop` shows shop whatever the default is).
    let namespace = match app.list() {
        Some(l) if l.resource.namespaced => l.key.namespace.clone(),
        _ => session.namespace.clone(),
    };
    let mut spans = vec![
        Span::styled(
            format!(" kx {} ", env!("CARGO_PKG_VERSION")),
            theme.style("header"),
        ),
        Span::styled(
            format!("  ctx: {}", session.context.name),
            theme.style("header.context"),
        ),
        Span::raw(format!("  ns: {}", namespace.as_deref().unwrap_or("all"))),
    ];
    if let Some(to) = &session.switching {
        spans.push(Span::styled(
            format!("  switching to {to}…"),
            theme.style("status.warn"),
        ));
    }
    match app.front() {
        Some(front) => spans.extend(front.status(dx)),
        None => {
            let now = jiff::Timestamp::from_second(session.now)
                .unwrap_or_else(|_| jiff::Timestamp::now());
            spans.push(match &session.discovery_error {
                Some(t) => Span::styled(format!("  {}", t.line(now)), theme.style("status.error")),
                None => Span::styled("  discovering…", theme.style("status.warn")),
            });
        }
    }
    // Cluster and user last: on a narrow terminal they are what gets cut, not the status.
    let c = &session.context;
    if !c.cluster.is_empty() && c.cluster != c.name {
        spans.push(Span::raw(format!("  cluster: {}", c.cluster)));
    }
    if !c.user.is_empty() {
        spans.push(Span::raw(format!("  user: {}", c.user)));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_footer(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let session = &app.session;
    let line = match (&app.message, session.warnings.first()) {
        (Some(Message::Error(e)), _) => Span::styled(format!(" {e}"), theme.style("status.error")),
        (Some(Message::Info(m)), _) => Span::styled(format!(" {m}"), theme.style("status.line")),
        (None, Some(w)) => Span::styled(
            format!(" config: {w} (kx config check lists all)"),
            theme.style("status.warn"),
        ),
        (None, None) => {
            let Some(front) = app.front() else {
                return;
            };
            let section = front.section();
            let hints: Vec<String> = front
                .hints()
                .iter()
                .filter_map(|(actions, what)| {
                    let keys: Vec<String> = actions
                        .iter()
                        .filter_map(|a| session.keys.chords(section, *a).first())
                        .map(|c| chord_display(c))
                        .collect();
                    (!keys.is_empty()).then(|| format!("{} {what}", keys.join("/")))
                })
                .collect();
            Span::styled(format!(" {}", hints.join("  ")), theme.style("status.line"))
        }
    };
    f.render_widget(Paragraph::new(Line::from(line)), area);
}

#[cfg(test)]
mod tests;
