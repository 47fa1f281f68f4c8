//! Draws the first screen; builds rows only for the visible slice.

use super::state::State;
use crate::age::human_duration;
use crate::config::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table};

fn status_slot(status: &str) -> &'static str {
    match status {
        "Running" | "Completed" | "Succeeded" => "status.ok",
        "Pending" | "ContainerCreating" | "Terminating" | "PodInitializing" => "status.warn",
        _ => "status.error",
    }
}

pub fn draw(f: &mut Frame, state: &State, theme: &Theme, now: i64) {
    let area = f.area();
    if area.width < 40 || area.height < 6 {
        let notice = format!(
            "terminal too small: {}x{}, kx needs 40x6",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(notice).wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let scope = state
        .namespace
        .clone()
        .unwrap_or_else(|| "all namespaces".to_string());
    let status = if let Some(e) = &state.error {
        Span::styled(
            format!("  reconnecting… ({e})"),
            Style::default().fg(Color::Red),
        )
    } else if !state.loaded {
        Span::styled("  loading…", Style::default().fg(Color::Yellow))
    } else {
        Span::raw(format!("  pods: {}", state.pods.len()))
    };
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(
                format!(" kx {} ", env!("CARGO_PKG_VERSION")),
                Style::default().add_modifier(Modifier::REVERSED),
            ),
            Span::raw(format!("  context: {}  namespace: {scope}", state.context)),
            status,
        ])),
        header,
    );
    let visible = body.height.saturating_sub(1) as usize;
    let offset = state.selected.saturating_sub(visible.saturating_sub(1));
    let rows = state
        .pods
        .values()
        .enumerate()
        .skip(offset)
        .take(visible)
        .map(|(i, p)| {
            let age = p
                .created
                .map(|c| human_duration(now - c))
                .unwrap_or_else(|| "<unknown>".into());
            let style = if i == state.selected {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default()
            };
            Row::new(vec![
                Span::raw(p.namespace.clone()),
                Span::raw(p.name.clone()),
                Span::raw(p.ready.clone()),
                Span::styled(p.status.clone(), theme.style(status_slot(&p.status))),
                Span::raw(p.restarts.to_string()),
                Span::raw(age),
            ])
            .style(style)
        });
    let widths = [
        Constraint::Length(14),
        Constraint::Min(20),
        Constraint::Length(6),
        Constraint::Length(18),
        Constraint::Length(9),
        Constraint::Length(8),
    ];
    let table = Table::new(rows, widths).header(
        Row::new(["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"])
            .style(Style::default().add_modifier(Modifier::BOLD)),
    );
    f.render_widget(table, body);
    let footer_text = match state.warnings.first() {
        Some(w) => Span::styled(
            format!(" config: {w} (kx config check lists all)"),
            theme.style("status.warn"),
        ),
        None => Span::styled(" q quit   ↑/↓ move", theme.style("status.line")),
    };
    f.render_widget(Paragraph::new(Line::from(footer_text)), footer);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::state::{Action, BackendMsg, State};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn theme() -> Theme {
        Theme::load("default-dark", None, false)
    }

    #[test]
    fn loading_is_said_until_the_first_list_is_complete_and_rows_show_status_colours() {
        let mut state = State::new("kx-sim".into(), None);
        let mut term = Terminal::new(TestBackend::new(80, 8)).unwrap();
        term.draw(|f| draw(f, &state, &theme(), 0)).unwrap();
        let text = format!("{}", term.backend());
        assert!(text.contains("loading…"), "{text}");
        let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web-1", "namespace": "shop", "creationTimestamp": "1970-01-01T00:00:00Z"},
            "spec": {"containers": [{"name": "c"}]},
            "status": {"phase": "Pending", "containerStatuses": [{"name": "c", "ready": false, "restartCount": 0, "image": "x", "imageID": "",
                        "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}})).unwrap();
        for e in [
            kube::runtime::watcher::Event::Init,
            kube::runtime::watcher::Event::InitApply(pod),
            kube::runtime::watcher::Event::InitDone,
        ] {
            state.update(Action::Backend(BackendMsg::Pods(Box::new(e))));
        }
        term.draw(|f| draw(f, &state, &theme(), 125)).unwrap();
        insta::assert_snapshot!(format!("{}", term.backend()));
        let buf = term.backend().buffer();
        let status_x = (0..80).find(|x| buf[(*x, 2)].symbol() == "C").unwrap();
        let error_fg = theme().style("status.error").fg;
        assert_eq!(
            Some(buf[(status_x, 2)].fg),
            error_fg,
            "a crash-looping pod has the theme's error colour"
        );
        assert_eq!(error_fg, Some(Color::LightRed));
    }

    #[test]
    fn a_tiny_terminal_gets_a_notice_instead_of_a_broken_table() {
        let state = State::new("kx-sim".into(), None);
        let mut term = Terminal::new(TestBackend::new(20, 3)).unwrap();
        term.draw(|f| draw(f, &state, &theme(), 0)).unwrap();
        assert!(format!("{}", term.backend()).contains("too small"));
    }
}
