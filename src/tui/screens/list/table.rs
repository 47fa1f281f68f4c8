//! A list's table, drawn straight into the buffer: the visible rows' cells written into one
//! string a frame, columns placed to fit the terminal (squeezed widest first when they do not),
//! usage figures right-aligned and coloured by the thresholds.

use crate::cluster::figures::{Figures, Resource};
use crate::cluster::rows::Row;
use crate::cluster::store::RowStore;
use crate::config::Level;
use crate::config::theme::Theme;
use crate::tui::model::{ColumnSource, DisplayColumn, write_cell};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;
use std::collections::HashSet;

/// The title of the column the store leaves for kx to fill: when each row changed live.
const CHANGED: &str = "CHANGED";
/// Blank cells between two columns.
const COLUMN_SPACING: u16 = 2;

/// The theme slot a STATUS cell is drawn in, by what it says.
pub(crate) fn status_slot(status: &str) -> &'static str {
    match status {
        "Running" | "Completed" | "Succeeded" | "Active" | "Ready" | "Bound" | "Complete"
        | "True" => "status.ok",
        "Pending" | "ContainerCreating" | "Terminating" | "PodInitializing" | "NotReady"
        | "Unknown" => "status.warn",
        s if s.starts_with("Init:") => "status.warn",
        _ => "status.error",
    }
}

/// What the table of a list is drawn from.
pub(super) struct ListTable<'a> {
    pub(super) store: &'a RowStore,
    /// The visible slice only, each row with its last usage reading.
    pub(super) rows: &'a [(&'a Row, Option<&'a Figures>)],
    /// The index of the slice's first row among the visible rows.
    pub(super) first: usize,
    pub(super) cursor: usize,
    pub(super) marks: &'a HashSet<String>,
    pub(super) columns: &'a [DisplayColumn],
    pub(super) now: i64,
    pub(super) theme: &'a Theme,
    pub(super) thresholds: &'a crate::config::Thresholds,
}

/// Writes `text` at (x, y), at most `width` cells of it, as `Buffer::set_stringn` does (control
/// characters left out, wide ones kept whole) — but most cells are plain ASCII, one character a
/// cell, and for those the grapheme and width tables are not consulted.
fn put_text(buf: &mut Buffer, x: u16, y: u16, text: &str, width: u16, style: Style) {
    if !text.is_ascii() {
        buf.set_stringn(x, y, text, width.into(), style);
        return;
    }
    let room = width.min(buf.area.right().saturating_sub(x));
    if room == 0 || !buf.area.contains(ratatui::layout::Position { x, y }) {
        return;
    }
    let start = buf.index_of(x, y);
    let Some(cells) = buf.content.get_mut(start..start + usize::from(room)) else {
        return;
    };
    let shown = text.bytes().filter(|b| !b.is_ascii_control());
    for (cell, b) in cells.iter_mut().zip(shown) {
        cell.set_char(char::from(b)).set_style(style);
    }
}

/// Appends "12s ago" for a row kx saw change live (D shows what changed); nothing otherwise.
fn write_changed(out: &mut String, store: &RowStore, row: &Row, now: i64) {
    if let Some(t) = store.changed_at.get(&row.uid) {
        out.push_str(&crate::age::human_duration(now - t));
        out.push_str(" ago");
    }
}

/// The text of every visible cell, row by row with CHANGED last in each, written into one
/// string a frame: a `String` a cell was an allocation and a free for each of the ~800 cells a
/// wide screen shows.
struct CellTexts {
    all: String,
    cells: Vec<Written>,
    per_row: usize,
}

/// One cell of `CellTexts`: its text ends at `end` and starts where the one before ends.
#[derive(Debug, Clone, Copy, Default)]
struct Written {
    end: usize,
    /// How many cells it takes on screen, measured once: the column's width and the right
    /// alignment both need it.
    cells: usize,
    /// The number a usage cell shows, which its colour is chosen from.
    value: Option<u64>,
}

impl CellTexts {
    fn of(t: &ListTable) -> Self {
        let per_row = t.columns.len() + 1;
        let mut all = String::with_capacity(t.rows.len() * per_row * 8);
        let mut cells = Vec::with_capacity(t.rows.len() * per_row);
        let done = |all: &String, start: usize, value| Written {
            end: all.len(),
            cells: all.get(start..).map_or(0, display_width),
            value,
        };
        for &(row, figures) in t.rows {
            for c in t.columns {
                let start = all.len();
                let value = write_cell(&mut all, row, figures, c, t.now);
                cells.push(done(&all, start, value));
            }
            let start = all.len();
            write_changed(&mut all, t.store, row, t.now);
            cells.push(done(&all, start, None));
        }
        CellTexts {
            all,
            cells,
            per_row,
        }
    }

    fn index(&self, row: usize, column: usize) -> Option<usize> {
        (column < self.per_row).then(|| row * self.per_row + column)
    }

    fn cell(&self, row: usize, column: usize) -> Written {
        self.index(row, column)
            .and_then(|at| self.cells.get(at))
            .copied()
            .unwrap_or_default()
    }

    fn get(&self, row: usize, column: usize) -> &str {
        let Some(at) = self.index(row, column) else {
            return "";
        };
        let start = at.checked_sub(1).and_then(|i| self.cells.get(i));
        let end = self.cells.get(at).map(|c| c.end);
        end.and_then(|end| self.all.get(start.map_or(0, |c| c.end)..end))
            .unwrap_or("")
    }
}

/// How many cells `text` takes on screen, as `Buffer::set_stringn` writes it (control
/// characters left out, wide ones taking two).
fn display_width(text: &str) -> usize {
    if text.is_ascii() {
        text.bytes().filter(|b| !b.is_ascii_control()).count()
    } else {
        unicode_width::UnicodeWidthStr::width(text)
    }
}

/// How a column's cells are coloured beyond the row's style.
enum Paint {
    Plain,
    /// STATUS: by what it says.
    Status,
    /// A share of CPU or memory: by the configured thresholds, from the number itself.
    Share {
        memory: bool,
    },
}

fn paint_of(c: &DisplayColumn) -> Paint {
    match c.source {
        ColumnSource::Usage(measure) => match measure.share_of() {
            Some(r) => Paint::Share {
                memory: r == Resource::Mem,
            },
            None => Paint::Plain,
        },
        _ if c.title == "STATUS" => Paint::Status,
        _ => Paint::Plain,
    }
}

/// How wide a column would be, and how narrow it may be squeezed.
#[derive(Debug, Clone, Copy)]
struct ColumnRoom {
    width: u16,
    /// Its title's length (at most its width): headers stay whole. Wide-only columns go down
    /// to three cells, since their titles are often longer than what they hold (`READINESS
    /// GATES` over `<none>`). NAME and numbers are not squeezed at all (a number cut short
    /// reads as another number: `1800m` as `180`).
    floor: u16,
    /// Shown whole or not at all: at the right edge it is left out rather than cut.
    whole: bool,
}

/// Where each column goes, (x, width), in a table `room` cells wide. Columns that do not all
/// fit give up room widest first, so the one with the most to spare pays, each down to its
/// floor. What is still too wide is cut at the right edge.
fn place_columns(mut columns: Vec<ColumnRoom>, room: u16) -> Vec<(u16, u16)> {
    let spacing = usize::from(COLUMN_SPACING) * columns.len().saturating_sub(1);
    let needed = columns.iter().map(|c| usize::from(c.width)).sum::<usize>() + spacing;
    let excess = needed.saturating_sub(room.into());
    squeeze(&mut columns, excess);
    let mut x = 0u16;
    columns
        .iter()
        .map(|c| {
            let fits = c.width.min(room.saturating_sub(x));
            let at = (x, if c.whole && fits < c.width { 0 } else { fits });
            x = x.saturating_add(c.width).saturating_add(COLUMN_SPACING);
            at
        })
        .collect()
}

/// Takes up to `excess` cells from the columns, always from the widest and none below its
/// floor; returns what could not be taken.
fn squeeze(columns: &mut [ColumnRoom], mut excess: usize) -> usize {
    while excess > 0 {
        let mut givers: Vec<&mut ColumnRoom> =
            columns.iter_mut().filter(|c| c.width > c.floor).collect();
        let Some(top) = givers.iter().map(|c| c.width).max() else {
            break;
        };
        // The widest come down together, as far as the next width below them.
        let next = givers
            .iter()
            .map(|c| c.width)
            .filter(|w| *w < top)
            .max()
            .unwrap_or(0);
        givers.retain(|c| c.width == top);
        let room: usize = givers
            .iter()
            .map(|c| usize::from(top - next.max(c.floor)))
            .sum();
        if room <= excess {
            for c in givers {
                c.width = next.max(c.floor);
            }
            excess -= room;
            continue;
        }
        // Less is needed than they can give: a cell at a time from each, leftmost first.
        while excess > 0 {
            for c in givers.iter_mut() {
                if excess > 0 && c.width > next.max(c.floor) {
                    c.width -= 1;
                    excess -= 1;
                }
            }
        }
    }
    excess
}

pub(super) fn draw_table(f: &mut Frame, area: Rect, t: &ListTable) {
    let (theme, cols) = (t.theme, t.columns);
    let height = area.height.saturating_sub(1) as usize;
    let texts = CellTexts::of(t);
    let room_of = |ci: usize, title: &str, column: Option<&DisplayColumn>| {
        let longest = (0..t.rows.len())
            .map(|ri| texts.cell(ri, ci).cells)
            .max()
            .unwrap_or(0);
        let title_width = display_width(title);
        let width = longest.max(title_width).min(60) as u16;
        let wide_only = column.is_some_and(|c| c.wide_only);
        // Which object a row is, and numbers: never squeezed.
        let whole = column.is_some_and(DisplayColumn::is_usage);
        let floor = match title {
            _ if whole || title == "NAME" => width,
            _ if wide_only => 3,
            _ => title_width as u16,
        };
        ColumnRoom {
            width,
            floor: floor.min(width),
            whole,
        }
    };
    let mut rooms: Vec<ColumnRoom> = cols
        .iter()
        .enumerate()
        .map(|(ci, c)| room_of(ci, &c.title, Some(c)))
        .collect();
    // CHANGED: when kx saw each row change live; D on the row shows what changed.
    let marks = !cols.is_empty();
    rooms.extend(marks.then(|| room_of(cols.len(), CHANGED, None)));
    let columns_at = place_columns(rooms, area.width);
    if area.is_empty() {
        return;
    }
    // The cells are written straight into the buffer rather than through a `Table`, which
    // builds spans, lines and texts for every cell and measures each text twice: about a
    // microsecond a cell at one frame per key.
    let buf = f.buffer_mut();
    let line = |y: u16| Rect {
        y,
        height: 1,
        ..area
    };
    buf.set_style(line(area.y), theme.style("table.header"));
    let titles = cols
        .iter()
        .map(|c| c.title.as_str())
        .chain(marks.then_some(CHANGED));
    // Usage figures are right-aligned, as numbers are read: magnitudes line up, and a unit
    // stays where it was when the list scrolls, so fewer cells are rewritten.
    let right: Vec<bool> = cols.iter().map(DisplayColumn::is_usage).collect();
    let aligned = |ci: usize, (x, width): (u16, u16), cells: usize| {
        let length = u16::try_from(cells).unwrap_or(u16::MAX);
        match right.get(ci) {
            Some(true) if length < width => (x + width - length, length),
            _ => (x, width),
        }
    };
    for (ci, (&at, title)) in columns_at.iter().zip(titles).enumerate() {
        let (x, width) = aligned(ci, at, display_width(title));
        buf.set_stringn(area.x + x, area.y, title, width.into(), Style::default());
    }
    let rows_fit = area.height.saturating_sub(1) as usize;
    // Looked up once a frame, not once a row.
    let [selected_style, marked, deleted, recent, normal] = [
        "row.selected",
        "row.marked",
        "row.deleted",
        "row.changed",
        "row.normal",
    ]
    .map(|slot| theme.style(slot));
    let paints: Vec<Paint> = cols.iter().map(paint_of).collect();
    let levels = [Level::Ok, Level::Warn, Level::Critical].map(|l| (l, theme.style(l.slot())));
    let level_style = |level: Level| {
        levels
            .iter()
            .find(|(l, _)| *l == level)
            .map_or_else(Style::default, |(_, style)| *style)
    };
    for (i, &(row, _)) in t.rows.iter().take(rows_fit).enumerate() {
        let y = area.y + 1 + i as u16;
        let selected = i + t.first == t.cursor;
        let changed = t
            .store
            .changed_at
            .get(&row.uid)
            .is_some_and(|at| t.now - at < 3);
        let base = if selected {
            selected_style
        } else if t.marks.contains(&row.uid) {
            marked
        } else if row.deleting {
            deleted
        } else if changed {
            recent
        } else {
            normal
        };
        buf.set_style(line(y), base);
        for (ci, &at) in columns_at.iter().enumerate() {
            let (text, written) = (texts.get(i, ci), texts.cell(i, ci));
            let (x, width) = aligned(ci, at, written.cells);
            let style = match paints.get(ci) {
                _ if selected => Style::default(),
                Some(Paint::Status) => theme.style(status_slot(text)),
                Some(&Paint::Share { memory }) => {
                    written.value.map_or_else(Style::default, |pct| {
                        level_style(t.thresholds.level(memory, pct))
                    })
                }
                _ => Style::default(),
            };
            put_text(buf, area.x + x, y, text, width, style);
        }
    }
    // Deleted rows still on screen for a moment are listed at the bottom edge, dimmed.
    if !t.store.deleted.is_empty() && height > 2 {
        let names: Vec<&str> = t
            .store
            .deleted
            .values()
            .map(|(r, _)| r.name.as_str())
            .take(3)
            .collect();
        let line = Rect {
            y: area.y + area.height - 1,
            height: 1,
            ..area
        };
        f.render_widget(
            Paragraph::new(Span::styled(
                format!(" deleted: {}", names.join(", ")),
                theme.style("row.deleted"),
            )),
            line,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::figures::Measure;
    use ratatui::style::{Color, Modifier};

    #[test]
    fn each_cell_text_is_read_back_from_the_frame_string() {
        let row = |name: &str, cells: &[&str]| Row {
            uid: name.into(),
            namespace: "shop".into(),
            name: name.into(),
            resource_version: "1".into(),
            created: None,
            deleting: false,
            cells: cells.iter().map(|c| (*c).into()).collect(),
            search: Default::default(),
        };
        let column = |source| DisplayColumn {
            title: String::new(),
            source,
            numeric: false,
            wide_only: false,
        };
        let (web, db) = (row("web-1", &["web-1", ""]), row("db-0", &["db-0", "日本"]));
        let used = Figures::new(
            Some(crate::cluster::figures::Amounts { cpu: 250, mem: 0 }),
            None,
            None,
            None,
        );
        let rows = [(&web, Some(&used)), (&db, None)];
        let columns = [
            column(ColumnSource::Namespace),
            column(ColumnSource::Cell(1)),
            column(ColumnSource::Usage(Measure::Used(Resource::Cpu))),
            column(ColumnSource::Cell(0)),
        ];
        let store = RowStore::default();
        let marks = HashSet::new();
        let theme = Theme::load("default-dark", None, false);
        let texts = CellTexts::of(&ListTable {
            store: &store,
            rows: &rows,
            first: 0,
            cursor: 0,
            marks: &marks,
            columns: &columns,
            now: 0,
            theme: &theme,
            thresholds: &crate::config::Thresholds::default(),
        });
        let read = |r| (0..5).map(|c| texts.get(r, c)).collect::<Vec<_>>();
        // Empty cells, a row without a reading and wide text keep their places; CHANGED is
        // last and blank for rows kx did not see change.
        assert_eq!(read(0), ["shop", "", "250m", "web-1", ""]);
        assert_eq!(read(1), ["shop", "日本", "", "db-0", ""]);
        // Outside the table: nothing, not a neighbour's text (row 1's NAMESPACE is index 5).
        assert_eq!(texts.get(2, 0), "");
        assert_eq!(texts.get(0, 5), "");
        assert_eq!(texts.cell(0, 5).value, None);
        // Widths on screen (wide characters take two cells), and the number a usage cell
        // shows (none without a reading).
        assert_eq!(texts.cell(1, 1).cells, 4);
        assert_eq!(texts.cell(0, 3).cells, 5);
        assert_eq!(texts.cell(0, 2).value, Some(250));
        assert_eq!(texts.cell(1, 2).value, None);
        assert_eq!(texts.cell(0, 3).value, None);
    }

    /// Columns of these widths, squeezed no narrower than `floors`.
    fn rooms(widths: &[u16], floors: &[u16]) -> Vec<ColumnRoom> {
        widths
            .iter()
            .zip(floors)
            .map(|(&width, &floor)| ColumnRoom {
                width,
                floor,
                whole: false,
            })
            .collect()
    }

    fn widths_placed(columns: Vec<ColumnRoom>, room: u16) -> Vec<u16> {
        place_columns(columns, room)
            .iter()
            .map(|(_, w)| *w)
            .collect()
    }

    #[test]
    fn columns_that_fit_keep_their_widths_two_apart() {
        assert_eq!(
            place_columns(rooms(&[6, 5, 3], &[1, 1, 1]), 80),
            [(0, 6), (8, 5), (15, 3)]
        );
        assert_eq!(place_columns(Vec::new(), 80), []);
    }

    #[test]
    fn too_narrow_the_widest_columns_give_room_first_down_to_their_floors() {
        // NAMESPACE NAME READY NODE NOMINATED CPU: 105 cells with spacing, in 83. NAME and CPU
        // are not squeezed (floors at their widths), NODE and NOMINATED go down to 3.
        let placed = place_columns(rooms(&[9, 23, 5, 40, 14, 4], &[9, 23, 5, 3, 3, 4]), 83);
        let widths: Vec<u16> = placed.iter().map(|(_, w)| *w).collect();
        assert_eq!(widths, [9, 23, 5, 18, 14, 4]);
        assert_eq!(placed.last(), Some(&(79, 4)));
        // Columns of one width give alike, the leftmost one more when it does not divide.
        assert_eq!(widths_placed(rooms(&[8, 10, 10], &[4; 3]), 31), [8, 9, 10]);
        assert_eq!(widths_placed(rooms(&[8, 10, 10], &[4; 3]), 27), [7, 8, 8]);
        // Down to their floors and no further
        assert_eq!(widths_placed(rooms(&[20, 30], &[4, 3]), 20), [9, 9]);
        // (and then the second is cut at the edge: 4 + 2 + 3 is more than 8).
        assert_eq!(widths_placed(rooms(&[20, 30], &[4, 3]), 8), [4, 2]);
        // What still does not fit is cut at the right edge.
        let placed = place_columns(rooms(&[10, 10], &[6, 6]), 10);
        assert_eq!(placed, [(0, 6), (8, 2)]);
        let placed = place_columns(rooms(&[10, 10], &[6, 6]), 5);
        assert_eq!(placed, [(0, 5), (8, 0)]);
        // Numbers are whole or not there: never squeezed, and left out at the edge, not cut.
        let mut columns = rooms(&[10, 5, 5], &[4, 5, 5]);
        for c in columns.iter_mut().skip(1) {
            c.whole = true;
        }
        assert_eq!(place_columns(columns, 16), [(0, 4), (6, 5), (13, 0)]);
    }

    #[test]
    fn put_text_writes_what_set_stringn_writes() {
        let style = Style::default().fg(Color::Red).add_modifier(Modifier::BOLD);
        let area = Rect::new(2, 1, 12, 3);
        let cases: [(&str, u16, u16); 7] = [
            ("web-1", 2, 20),
            ("a-name-too-long-for-it", 2, 6),
            ("tab\there\u{7f}x", 2, 20),
            ("near-the-edge", 10, 20),
            ("", 2, 5),
            ("日本語のポッド", 3, 7),
            ("héllo", 4, 3),
        ];
        for (text, x, width) in cases {
            let mut expected = Buffer::empty(area);
            let mut got = Buffer::empty(area);
            for b in [&mut expected, &mut got] {
                b.set_style(area, Style::default().bg(Color::Blue));
            }
            expected.set_stringn(x, 2, text, width.into(), style);
            put_text(&mut got, x, 2, text, width, style);
            assert_eq!(got, expected, "{text:?} at {x} in {width}");
        }
        // Outside the buffer: nothing is written, nothing panics.
        let mut b = Buffer::empty(area);
        put_text(&mut b, 0, 0, "x", 3, style);
        put_text(&mut b, 14, 2, "x", 3, style);
        assert_eq!(b, Buffer::empty(area));
    }
}
