//! Charts as inline SVG: bar charts and line charts, each with its title (visible, and as the
//! SVG's `<title>`), axis labels, and every number in a hover `<title>`. No script, no font
//! from elsewhere: the page's CSS styles them.

use std::fmt::Write;

/// The colours of the series, in order (the page's CSS uses the same).
pub const PALETTE: [&str; 6] = [
    "#2563eb", "#0d9488", "#d97706", "#7c3aed", "#db2777", "#475569",
];

/// The colour of the bars.
pub const BAR: &str = "#2563eb";
/// The colour of reference lines (base rate, lift 1, chance).
pub const REFERENCE: &str = "#d97706";

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 340.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 52.0;
const BOTTOM: f64 = 64.0;

/// How the values of an axis are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A share, written as a percentage.
    Percent,
    /// A count of contacts.
    Count,
    /// A plain number (a score).
    Number,
}

impl Format {
    /// The value as the axis and the hovers write it.
    pub fn show(self, x: f64) -> String {
        match self {
            Format::Percent => {
                let p = x * 100.0;
                if (p - p.round()).abs() < 1e-9 {
                    format!("{p:.0}%")
                } else {
                    format!("{p:.1}%")
                }
            }
            Format::Count => group_thousands(x.round() as i64),
            Format::Number => {
                if (x - x.round()).abs() < 1e-9 {
                    format!("{x:.0}")
                } else {
                    let s = format!("{x:.2}");
                    s.trim_end_matches('0').trim_end_matches('.').to_string()
                }
            }
        }
    }
}

/// A share as a percentage with one decimal (`12.5%`, `15.0%`), for tables and hovers.
pub fn share(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// `1234567` as `1,234,567`.
pub fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    // The first group holds 1 to 3 digits, the others 3.
    let first = match digits.len() % 3 {
        0 => 3,
        r => r,
    };
    let mut out = digits[..first.min(digits.len())].to_string();
    let mut at = first;
    while at < digits.len() {
        out.push(',');
        out.push_str(&digits[at..at + 3]);
        at += 3;
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Text for XML: `&`, `<`, `>` and quotes escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar: its label under the axis, its value, what its hover says, and an optional note
/// written above it (such as the lift).
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub hover: String,
    pub note: Option<String>,
}

/// A horizontal line across a chart, with its label.
#[derive(Debug, Clone)]
pub struct Reference {
    pub value: f64,
    pub label: String,
}

/// A vertical bar chart.
#[derive(Debug, Clone)]
pub struct BarChart {
    /// The chart's id in the page (`data-chart`), for tests and links.
    pub id: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub format: Format,
    pub bars: Vec<Bar>,
    pub reference: Option<Reference>,
}

/// A series of a line chart: points in [0, 1] × [0, 1].
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// What the series' hover says (its name and key number).
    pub hover: String,
    /// What the hover of a point says, from its coordinates.
    pub point_hover: fn(f64, f64) -> String,
}

/// A line chart over shares (both axes 0 to 100 %), with the diagonal of chance.
#[derive(Debug, Clone)]
pub struct LineChart {
    pub id: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// The label of the diagonal (`random order`).
    pub diagonal: String,
}

/// A round step (1, 2, 2.5 or 5 times a power of ten) of at least `raw`.
pub fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude)
}

/// Ticks for an axis from 0 to at least `max`: about five round steps.
fn ticks(max: f64, format: Format) -> Vec<f64> {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let mut step = nice_step(max / 5.0);
    if format == Format::Count {
        step = step.max(1.0).ceil();
    }
    let n = (max / step).ceil() as usize;
    (0..=n.max(1)).map(|i| i as f64 * step).collect()
}

fn open(out: &mut String, id: &str, title: &str, desc: &str) {
    let _ = write!(
        out,
        r#"<svg class="chart-svg" data-chart="{id}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{t}</title><desc id="{id}-desc">{d}</desc>"#,
        id = escape(id),
        t = escape(title),
        d = escape(desc),
    );
    let _ = write!(
        out,
        r#"<text class="chart-title" x="{LEFT}" y="24">{}</text>"#,
        escape(title)
    );
}

fn axis_labels(out: &mut String, x_label: &str, y_label: &str) {
    let _ = write!(
        out,
        r#"<text class="axis-label" x="{}" y="{}" text-anchor="middle">{}</text>"#,
        LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
        HEIGHT - 12.0,
        escape(x_label)
    );
    let _ = write!(
        out,
        r#"<text class="axis-label" transform="translate(16 {}) rotate(-90)" text-anchor="middle">{}</text>"#,
        TOP + (HEIGHT - TOP - BOTTOM) / 2.0,
        escape(y_label)
    );
}

/// A bar chart as SVG.
pub fn bar_chart(c: &BarChart) -> String {
    let mut out = String::new();
    let desc = format!("{} by {}", c.y_label, c.x_label);
    open(&mut out, &c.id, &c.title, &desc);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let max = c
        .bars
        .iter()
        .map(|b| b.value)
        .chain(c.reference.as_ref().map(|r| r.value))
        .fold(0.0f64, f64::max);
    let ticks = ticks(max, c.format);
    let top = *ticks.last().unwrap_or(&1.0);
    let y = |v: f64| TOP + plot_h - (v / top) * plot_h;
    for t in &ticks {
        let _ = write!(
            out,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            WIDTH - RIGHT,
            LEFT - 8.0,
            y(*t) + 4.0,
            escape(&c.format.show(*t)),
            y = y(*t)
        );
    }
    let n = c.bars.len().max(1) as f64;
    let slot = plot_w / n;
    let bar_w = (slot * 0.7).min(56.0);
    // Labels are thinned when there are many bars, so that they never overlap.
    let every = (c.bars.len() as f64 / 16.0).ceil().max(1.0) as usize;
    for (i, b) in c.bars.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
        let h = (b.value / top * plot_h).max(if b.value > 0.0 { 1.0 } else { 0.0 });
        let _ = write!(
            out,
            r#"<g class="bar"><title>{}</title><rect x="{x:.1}" y="{:.1}" width="{bar_w:.1}" height="{h:.1}" rx="2" fill="{BAR}"/><rect class="hit" x="{:.1}" y="{TOP}" width="{slot:.1}" height="{plot_h}" fill="transparent"/></g>"#,
            escape(&b.hover),
            TOP + plot_h - h,
            LEFT + slot * i as f64,
        );
        if let Some(note) = &b.note {
            let _ = write!(
                out,
                r#"<text class="bar-note" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + bar_w / 2.0,
                TOP + plot_h - h - 6.0,
                escape(note)
            );
        }
        if i % every == 0 {
            let _ = write!(
                out,
                r#"<text class="tick" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
                x + bar_w / 2.0,
                TOP + plot_h + 18.0,
                escape(&b.label)
            );
        }
    }
    if let Some(r) = &c.reference {
        let ry = y(r.value);
        let _ = write!(
            out,
            r#"<g class="reference"><title>{label}: {value}</title><line x1="{LEFT}" x2="{}" y1="{ry:.1}" y2="{ry:.1}" stroke="{REFERENCE}" stroke-width="2" stroke-dasharray="6 4"/><text class="reference-label" x="{}" y="{:.1}" text-anchor="start" fill="{REFERENCE}">{label} {value}</text></g>"#,
            WIDTH - RIGHT,
            LEFT + 6.0,
            ry - 6.0,
            label = escape(&r.label),
            value = escape(&c.format.show(r.value)),
        );
    }
    let _ = write!(
        out,
        r#"<line class="axis" x1="{LEFT}" x2="{}" y1="{}" y2="{}"/>"#,
        WIDTH - RIGHT,
        TOP + plot_h,
        TOP + plot_h
    );
    axis_labels(&mut out, &c.x_label, &c.y_label);
    out.push_str("</svg>");
    out
}

/// A line chart as SVG.
pub fn line_chart(c: &LineChart) -> String {
    let mut out = String::new();
    let desc = format!("{} against {}", c.y_label, c.x_label);
    open(&mut out, &c.id, &c.title, &desc);
    let plot_w = WIDTH - LEFT - RIGHT - 200.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |v: f64| LEFT + v * plot_w;
    let y = |v: f64| TOP + plot_h - v * plot_h;
    for i in 0..=5 {
        let t = i as f64 / 5.0;
        let _ = write!(
            out,
            r#"<line class="grid" x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            x(1.0),
            y(t),
            y(t),
            LEFT - 8.0,
            y(t) + 4.0,
            Format::Percent.show(t)
        );
        let _ = write!(
            out,
            r#"<line class="grid" x1="{:.1}" x2="{:.1}" y1="{TOP}" y2="{:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x(t),
            x(t),
            y(0.0),
            x(t),
            y(0.0) + 18.0,
            Format::Percent.show(t)
        );
    }
    let _ = write!(
        out,
        r#"<g class="reference"><title>{d}</title><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{REFERENCE}" stroke-width="1.5" stroke-dasharray="6 4"/></g>"#,
        x(0.0),
        y(0.0),
        x(1.0),
        y(1.0),
        d = escape(&c.diagonal)
    );
    for (k, s) in c.series.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let mut d = String::new();
        for (i, (px, py)) in s.points.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1} {:.1}",
                if i == 0 { "M" } else { " L" },
                x(*px),
                y(*py)
            );
        }
        let _ = write!(
            out,
            r#"<g class="series"><title>{}</title><path d="{d}" fill="none" stroke="{color}" stroke-width="2.5" stroke-linejoin="round"/></g>"#,
            escape(&s.hover)
        );
        // A few points with their numbers on hover.
        let every = (s.points.len() / 12).max(1);
        for (i, (px, py)) in s.points.iter().enumerate() {
            if i == 0 || (i % every != 0 && i + 1 != s.points.len()) {
                continue;
            }
            let _ = write!(
                out,
                r#"<g class="point"><title>{}: {}</title><circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{color}"/></g>"#,
                escape(&s.name),
                escape(&(s.point_hover)(*px, *py)),
                x(*px),
                y(*py)
            );
        }
        // The legend, right of the plot.
        let ly = TOP + 8.0 + 22.0 * k as f64;
        let _ = write!(
            out,
            r#"<g class="legend"><title>{}</title><line x1="{:.1}" x2="{:.1}" y1="{ly:.1}" y2="{ly:.1}" stroke="{color}" stroke-width="3"/><text class="legend-label" x="{:.1}" y="{:.1}">{}</text></g>"#,
            escape(&s.hover),
            x(1.0) + 12.0,
            x(1.0) + 30.0,
            x(1.0) + 36.0,
            ly + 4.0,
            escape(&s.hover)
        );
    }
    let ly = TOP + 8.0 + 22.0 * c.series.len() as f64;
    let _ = write!(
        out,
        r#"<g class="legend"><line x1="{:.1}" x2="{:.1}" y1="{ly:.1}" y2="{ly:.1}" stroke="{REFERENCE}" stroke-width="2" stroke-dasharray="6 4"/><text class="legend-label" x="{:.1}" y="{:.1}">{}</text></g>"#,
        x(1.0) + 12.0,
        x(1.0) + 30.0,
        x(1.0) + 36.0,
        ly + 4.0,
        escape(&c.diagonal)
    );
    let _ = write!(
        out,
        r#"<line class="axis" x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}"/>"#,
        x(1.0),
        y(0.0),
        y(0.0)
    );
    let _ = write!(
        out,
        r#"<text class="axis-label" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 12.0,
        escape(&c.x_label)
    );
    let _ = write!(
        out,
        r#"<text class="axis-label" transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        TOP + plot_h / 2.0,
        escape(&c.y_label)
    );
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_maximum() {
        let shown: Vec<String> = ticks(0.37, Format::Percent)
            .into_iter()
            .map(|t| Format::Percent.show(t))
            .collect();
        assert_eq!(shown, ["0%", "10%", "20%", "30%", "40%"]);
        assert_eq!(ticks(7.0, Format::Count), [0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(ticks(0.0, Format::Count), [0.0, 1.0]);
    }

    #[test]
    fn text_is_escaped() {
        let c = BarChart {
            id: "x".into(),
            title: "<b>&".into(),
            x_label: "a".into(),
            y_label: "b".into(),
            format: Format::Count,
            bars: vec![Bar {
                label: "\"q\"".into(),
                value: 1.0,
                hover: "<".into(),
                note: None,
            }],
            reference: None,
        };
        let svg = bar_chart(&c);
        assert!(svg.contains("<title id=\"x-title\">&lt;b&gt;&amp;</title>"));
        assert!(svg.contains("&quot;q&quot;"));
        assert!(!svg.contains("<b>"));
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(1234567), "1,234,567");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(-1000), "-1,000");
    }
}
