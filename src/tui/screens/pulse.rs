//! Pulse (`:pulse`): the cluster on one screen — per kind, how many objects are healthy,
//! progressing and failing (judged from the server's columns, as faults-only does), warning
//! events in the last minute, and CPU and memory used and requested across the nodes. Each
//! tile drills into its list (failing ones with faults only on). Counts are taken at most once
//! a second, so 100k pods cost a pass a second, not a pass a frame.

use super::super::action::{Effect, WatchKey};
use super::super::model::RowFilter;
use super::super::screen::{Cx, Dx, Hint, Nav, Screen, Step};
use super::list::ListScreen;
use crate::cluster::discovery::resolve;
use crate::cluster::figures::{Measure, Resource};
use crate::cluster::health::{HealthColumns, RowHealth};
use crate::cluster::store::RowStore;
use crate::cluster::watch::Scope;
use crate::config::keys::{KeyAction, Section};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use std::any::Any;

/// The kinds counted, by the name a list opens them with, and their tile titles.
const KINDS: [(&str, &str); 7] = [
    ("pods", "Pods"),
    ("deployments", "Deployments"),
    ("statefulsets", "StatefulSets"),
    ("daemonsets", "DaemonSets"),
    ("jobs", "Jobs"),
    ("persistentvolumeclaims", "Claims"),
    ("nodes", "Nodes"),
];

const TILE_WIDTH: u16 = 30;
const TILE_HEIGHT: u16 = 5;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub healthy: usize,
    pub progressing: usize,
    pub failing: usize,
}

/// Cluster CPU (millicores) or memory (MiB): used, allocatable and requested, from the nodes
/// list's usage readings. `used` is None without a metrics API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capacity {
    pub used: Option<u64>,
    pub allocatable: u64,
    pub requested: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tile {
    Kind {
        plural: &'static str,
        title: &'static str,
        key: WatchKey,
        counts: Option<Counts>,
    },
    Warnings {
        key: WatchKey,
        per_minute: Option<usize>,
    },
    Usage {
        memory: bool,
        capacity: Option<Capacity>,
    },
}

pub struct PulseScreen {
    namespace: Option<String>,
    pub tiles: Vec<Tile>,
    pub selected: usize,
    /// The second the counts were last taken.
    counted_at: Option<i64>,
}

fn key_and_scope(
    resource: &crate::cluster::discovery::ResourceInfo,
    namespace: &Option<String>,
    epoch: u64,
) -> (WatchKey, Scope) {
    let namespace = if resource.namespaced {
        namespace.clone()
    } else {
        None
    };
    (
        WatchKey {
            resource: resource.full_name(),
            namespace: namespace.clone(),
            labels: None,
            fields: None,
            epoch,
        },
        Scope {
            namespace,
            label_selector: None,
            field_selector: None,
        },
    )
}

/// The pulse screen over `namespace` (None: all), and the watches it needs.
pub fn open(namespace: Option<String>, cx: &mut Cx) -> Step {
    let session = &*cx.session;
    let mut effects = Vec::new();
    let mut tiles = Vec::new();
    for (plural, title) in KINDS {
        // A kind the cluster does not serve (or RBAC hides from discovery) has no tile.
        let Ok(resource) = resolve(plural, &session.resources, &[]) else {
            continue;
        };
        let (key, scope) = key_and_scope(resource, &namespace, session.epoch);
        effects.push(Effect::Watch(
            key.clone(),
            Box::new(resource.clone()),
            scope,
        ));
        tiles.push(Tile::Kind {
            plural,
            title,
            key,
            counts: None,
        });
    }
    if let Ok(resource) = resolve("events", &session.resources, &[]) {
        let (key, scope) = key_and_scope(resource, &namespace, session.epoch);
        effects.push(Effect::Watch(
            key.clone(),
            Box::new(resource.clone()),
            scope,
        ));
        tiles.push(Tile::Warnings {
            key,
            per_minute: None,
        });
    }
    for memory in [false, true] {
        tiles.push(Tile::Usage {
            memory,
            capacity: None,
        });
    }
    let screen = PulseScreen {
        namespace,
        tiles,
        selected: 0,
        counted_at: None,
    };
    Step::with(effects, Nav::Push(Box::new(screen)))
}

/// Healthy, progressing and failing rows of a list.
pub fn count(store: &RowStore) -> Counts {
    let judge = HealthColumns::of(&store.columns);
    let mut c = Counts::default();
    for row in store.ordered() {
        match judge.judge(&store.columns, row) {
            RowHealth::Healthy => c.healthy += 1,
            RowHealth::Progressing => c.progressing += 1,
            RowHealth::Failing => c.failing += 1,
        }
    }
    c
}

/// Warning events first seen or seen again in the last minute.
pub fn warnings_per_minute(store: &RowStore, now: i64) -> usize {
    let Some(type_col) = store.columns.iter().position(|c| c.name == "Type") else {
        return 0;
    };
    store
        .ordered()
        .filter(|r| r.cells.get(type_col).is_some_and(|t| &**t == "Warning"))
        .filter(|r| {
            let recent = |t: i64| now - t <= 60;
            r.created.is_some_and(recent)
                || store.changed_at.get(&r.uid).is_some_and(|t| recent(*t))
        })
        .count()
}

/// The cluster's CPU (millicores) or memory (MiB) from the nodes list's usage readings.
pub fn capacity(nodes: &RowStore, memory: bool) -> Option<Capacity> {
    let resource = if memory { Resource::Mem } else { Resource::Cpu };
    let (mut allocatable, mut requested, mut used) = (0u64, 0u64, None::<u64>);
    let mut any = false;
    for (slot, _) in nodes.ordered_slots() {
        // No reading has the node yet.
        let Some(f) = nodes.figures_at(slot) else {
            continue;
        };
        any = true;
        let value = |m: Measure| m.value(f).unwrap_or(0);
        allocatable = allocatable.saturating_add(value(Measure::Ceiling(resource)));
        requested = requested.saturating_add(value(Measure::Requested(resource)));
        // A node without usage (its kubelet is gone) adds nothing; no metrics at all: None.
        if let Some(u) = Measure::Used(resource).value(f) {
            used = Some(used.unwrap_or(0).saturating_add(u));
        }
    }
    let unit = |n: u64| {
        if memory {
            n.saturating_add(1 << 19) >> 20
        } else {
            n
        }
    };
    any.then(|| Capacity {
        used: used.map(unit),
        allocatable: unit(allocatable),
        requested: unit(requested),
    })
}

fn pct(part: u64, whole: u64) -> u64 {
    (part * 100).checked_div(whole).unwrap_or(0)
}

impl PulseScreen {
    fn nodes_key(&self) -> Option<&WatchKey> {
        self.tiles.iter().find_map(|t| match t {
            Tile::Kind {
                plural: "nodes",
                key,
                ..
            } => Some(key),
            _ => None,
        })
    }

    /// Enter on a tile: its list, with faults only when something is not healthy.
    fn drill(&self, cx: &mut Cx) -> Step {
        let (name, faults) = match self.tiles.get(self.selected) {
            Some(Tile::Kind { plural, counts, .. }) => (
                *plural,
                counts.is_some_and(|c| c.failing + c.progressing > 0),
            ),
            Some(Tile::Warnings { .. }) => ("events", false),
            Some(Tile::Usage { .. }) => ("nodes", false),
            None => return Step::nothing(),
        };
        match ListScreen::open(name, self.namespace.clone(), None, None, None, cx.session) {
            Ok((mut list, watch)) => {
                if faults {
                    let columns = cx
                        .data
                        .stores
                        .get(&list.key)
                        .map(|s| s.columns.clone())
                        .unwrap_or_default();
                    list.filter = RowFilter::toggle_faults(None, &columns);
                } else if name == "events" {
                    list.filter = RowFilter::parse("Warning").ok();
                }
                Step::with(vec![watch], Nav::Push(Box::new(list)))
            }
            Err(e) => {
                cx.error(e);
                Step::nothing()
            }
        }
    }
}

impl Screen for PulseScreen {
    fn section(&self) -> Section {
        Section::List
    }

    fn crumb(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("pulse {ns}"),
            None => "pulse (all namespaces)".into(),
        }
    }

    fn on_action(&mut self, action: KeyAction, cx: &mut Cx) -> Step {
        let last = self.tiles.len().saturating_sub(1);
        match action {
            KeyAction::Up => self.selected = self.selected.saturating_sub(1),
            KeyAction::Down => self.selected = (self.selected + 1).min(last),
            KeyAction::Top => self.selected = 0,
            KeyAction::Bottom => self.selected = last,
            KeyAction::Enter => return self.drill(cx),
            _ => return Step::Pass,
        }
        Step::nothing()
    }

    fn refresh(&mut self, cx: &mut Cx) {
        let now = cx.session.now;
        if self.counted_at == Some(now) {
            return;
        }
        self.counted_at = Some(now);
        let nodes = self.nodes_key().cloned();
        let stores = &cx.data.stores;
        let loaded = |k: &WatchKey| stores.get(k).filter(|s| s.loaded);
        for tile in &mut self.tiles {
            match tile {
                Tile::Kind { key, counts, .. } => *counts = loaded(key).map(count),
                Tile::Warnings { key, per_minute } => {
                    *per_minute = loaded(key).map(|s| warnings_per_minute(s, now))
                }
                Tile::Usage { memory, capacity } => {
                    *capacity = nodes
                        .as_ref()
                        .and_then(&loaded)
                        .and_then(|s| self::capacity(s, *memory))
                }
            }
        }
    }

    fn status(&self, dx: &Dx) -> Vec<Span<'static>> {
        let failing: usize = self
            .tiles
            .iter()
            .filter_map(|t| match t {
                Tile::Kind { counts, .. } => counts.map(|c| c.failing),
                _ => None,
            })
            .sum();
        let slot = if failing > 0 {
            "status.error"
        } else {
            "status.ok"
        };
        vec![Span::styled(
            format!("  {failing} failing"),
            dx.theme.style(slot),
        )]
    }

    fn draw(&self, f: &mut Frame, area: Rect, dx: &Dx) {
        let theme = dx.theme;
        let per_row = (area.width / TILE_WIDTH).max(1);
        for (i, tile) in self.tiles.iter().enumerate() {
            let (col, row) = (i as u16 % per_row, i as u16 / per_row);
            let rect = Rect {
                x: area.x + col * TILE_WIDTH,
                y: area.y + row * TILE_HEIGHT,
                width: TILE_WIDTH.min(area.width),
                height: TILE_HEIGHT,
            };
            if rect.y + rect.height > area.y + area.height {
                break;
            }
            let (title, lines): (String, Vec<Line>) = match tile {
                Tile::Kind { title, counts, .. } => (
                    title.to_string(),
                    match counts {
                        None => vec![Line::styled("loading…", theme.style("status.warn"))],
                        Some(c) => vec![
                            Line::styled(
                                format!("● {} healthy", c.healthy),
                                theme.style("status.ok"),
                            ),
                            Line::styled(
                                format!("◐ {} progressing", c.progressing),
                                theme.style(if c.progressing > 0 {
                                    "status.warn"
                                } else {
                                    "row.normal"
                                }),
                            ),
                            Line::styled(
                                format!("✖ {} failing", c.failing),
                                theme.style(if c.failing > 0 {
                                    "status.error"
                                } else {
                                    "row.normal"
                                }),
                            ),
                        ],
                    },
                ),
                Tile::Warnings { per_minute, .. } => (
                    "Warning events".into(),
                    match per_minute {
                        None => vec![Line::styled("loading…", theme.style("status.warn"))],
                        Some(n) => vec![Line::styled(
                            format!("{n} in the last minute"),
                            theme.style(if *n > 0 { "status.warn" } else { "status.ok" }),
                        )],
                    },
                ),
                Tile::Usage { memory, capacity } => {
                    let (title, unit, scale) = if *memory {
                        ("Memory", "GiB", 1024.0)
                    } else {
                        ("CPU", "cores", 1000.0)
                    };
                    let amount = |n: u64| format!("{:.1}", n as f64 / scale);
                    (
                        title.into(),
                        match capacity {
                            None => vec![Line::styled(
                                "waiting for the nodes' usage…",
                                theme.style("status.warn"),
                            )],
                            Some(c) => {
                                let share = |part: u64| {
                                    let p = pct(part, c.allocatable);
                                    let slot = dx.session.thresholds.level(*memory, p).slot();
                                    (p, theme.style(slot))
                                };
                                let used = match c.used {
                                    Some(u) => {
                                        let (p, style) = share(u);
                                        Line::styled(
                                            format!(
                                                "used {} of {} {unit} ({p}%)",
                                                amount(u),
                                                amount(c.allocatable)
                                            ),
                                            style,
                                        )
                                    }
                                    None => Line::styled(
                                        "used: n/a (no metrics API)",
                                        theme.style("row.normal"),
                                    ),
                                };
                                let (p, style) = share(c.requested);
                                vec![
                                    used,
                                    Line::styled(
                                        format!("requested {} ({p}%)", amount(c.requested)),
                                        style,
                                    ),
                                ]
                            }
                        },
                    )
                }
            };
            let border = theme.style(if i == self.selected {
                "row.selected"
            } else {
                "table.header"
            });
            let block = Block::default()
                .borders(Borders::ALL)
                .border_style(border)
                .title(Span::styled(format!(" {title} "), border));
            f.render_widget(Paragraph::new(lines).block(block), rect);
        }
    }

    fn hints(&self) -> &'static [Hint] {
        &[
            (&[KeyAction::Down, KeyAction::Up], "tile"),
            (&[KeyAction::Enter], "open its list"),
            (&[KeyAction::Back], "back"),
        ]
    }

    fn watches(&self) -> Vec<&WatchKey> {
        self.tiles
            .iter()
            .filter_map(|t| match t {
                Tile::Kind { key, .. } | Tile::Warnings { key, .. } => Some(key),
                Tile::Usage { .. } => None,
            })
            .collect()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
