//! A small SVG line chart (stacked panels sharing the x axis), so reports
//! need no plotting stack: an SRE opens the file in a browser and sees when
//! latency turned.

use std::fmt::Write;

pub struct Series {
    pub name: String,
    pub color: &'static str,
    pub points: Vec<(f64, f64)>,
}

pub struct Panel {
    pub title: String,
    pub y_label: String,
    /// Log scale (latencies span orders of magnitude under overload).
    pub log: bool,
    pub series: Vec<Series>,
    /// A horizontal reference line (e.g. the p99 limit).
    pub limit: Option<(f64, String)>,
}

const WIDTH: f64 = 960.0;
const PANEL_HEIGHT: f64 = 260.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 190.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 40.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if v <= m * p {
            return m * p;
        }
    }
    10.0 * p
}

pub fn chart(title: &str, x_label: &str, panels: &[Panel]) -> String {
    let height = TOP + panels.len() as f64 * (PANEL_HEIGHT + BOTTOM) + 10.0;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = PANEL_HEIGHT - 30.0;
    let x_max = nice_max(
        panels
            .iter()
            .flat_map(|p| &p.series)
            .flat_map(|s| &s.points)
            .map(|(x, _)| *x)
            .fold(0.0, f64::max),
    );
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{LEFT}" y="20" font-size="15" font-weight="bold">{}</text>
"#,
        esc(title)
    );
    for (i, panel) in panels.iter().enumerate() {
        let top = TOP + 25.0 + i as f64 * (PANEL_HEIGHT + BOTTOM);
        let ys = panel.series.iter().flat_map(|s| &s.points).map(|(_, y)| *y);
        let y_data_max = ys
            .clone()
            .fold(0.0, f64::max)
            .max(panel.limit.as_ref().map_or(0.0, |l| l.0));
        let (y_min, y_max) = if panel.log {
            let lo = ys.filter(|y| *y > 0.0).fold(f64::INFINITY, f64::min);
            let lo = if lo.is_finite() {
                10f64.powf(lo.log10().floor())
            } else {
                1.0
            };
            (lo, 10f64.powf(y_data_max.max(lo * 10.0).log10().ceil()))
        } else {
            (0.0, nice_max(y_data_max))
        };
        let sy = |y: f64| -> f64 {
            let f = if panel.log {
                (y.max(y_min).log10() - y_min.log10()) / (y_max.log10() - y_min.log10())
            } else {
                (y - y_min) / (y_max - y_min)
            };
            top + plot_h - f.clamp(0.0, 1.0) * plot_h
        };
        let sx = |x: f64| LEFT + x / x_max * plot_w;
        let _ = writeln!(
            svg,
            r#"<text x="{LEFT}" y="{}" font-weight="bold">{}</text>"#,
            top - 8.0,
            esc(&panel.title)
        );
        let _ = writeln!(
            svg,
            r##"<rect x="{LEFT}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>"##
        );
        // Y grid and labels.
        let ticks: Vec<f64> = if panel.log {
            let (a, b) = (y_min.log10() as i32, y_max.log10() as i32);
            (a..=b).map(|e| 10f64.powi(e)).collect()
        } else {
            (0..=5).map(|k| y_max * f64::from(k) / 5.0).collect()
        };
        for t in ticks {
            let y = sy(t);
            let _ = writeln!(
                svg,
                r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#eee"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
                LEFT + plot_w,
                LEFT - 6.0,
                y + 4.0,
                fmt_tick(t)
            );
        }
        let _ = writeln!(
            svg,
            r#"<text transform="translate(16,{:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
            top + plot_h / 2.0,
            esc(&panel.y_label)
        );
        // X ticks.
        for k in 0..=10 {
            let x = x_max * f64::from(k) / 10.0;
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                sx(x),
                top + plot_h + 16.0,
                fmt_tick(x)
            );
        }
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            LEFT + plot_w / 2.0,
            top + plot_h + 32.0,
            esc(x_label)
        );
        if let Some((limit, label)) = &panel.limit {
            let y = sy(*limit);
            let _ = writeln!(
                svg,
                r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#c00" stroke-dasharray="6,4"/><text x="{}" y="{:.1}" fill="#c00">{}</text>"##,
                LEFT + plot_w,
                LEFT + 6.0,
                y - 5.0,
                esc(&format!("{label} ({})", fmt_tick(*limit)))
            );
        }
        for (k, s) in panel.series.iter().enumerate() {
            let points: Vec<String> = s
                .points
                .iter()
                .filter(|(_, y)| !panel.log || *y > 0.0)
                .map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y)))
                .collect();
            if points.len() == 1 {
                let _ = writeln!(
                    svg,
                    r#"<circle cx="{}" r="3" fill="{}"/>"#,
                    points[0].replace(',', "\" cy=\""),
                    s.color
                );
            } else if !points.is_empty() {
                let _ = writeln!(
                    svg,
                    r#"<polyline fill="none" stroke="{}" stroke-width="1.6" points="{}"/>"#,
                    s.color,
                    points.join(" ")
                );
            }
            let ly = top + 10.0 + k as f64 * 18.0;
            let lx = LEFT + plot_w + 12.0;
            let _ = writeln!(
                svg,
                r#"<line x1="{lx}" x2="{}" y1="{ly}" y2="{ly}" stroke="{}" stroke-width="3"/><text x="{}" y="{}">{}</text>"#,
                lx + 18.0,
                s.color,
                lx + 24.0,
                ly + 4.0,
                esc(&s.name)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn fmt_tick(v: f64) -> String {
    if v >= 1000.0 && v % 1000.0 == 0.0 {
        format!("{}k", v / 1000.0)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_every_series_and_the_limit() {
        let svg = chart(
            "t",
            "seconds",
            &[Panel {
                title: "latency".into(),
                y_label: "ms".into(),
                log: true,
                series: vec![
                    Series {
                        name: "p99".into(),
                        color: "red",
                        points: vec![(0.0, 5.0), (1.0, 50.0), (2.0, 900.0)],
                    },
                    Series {
                        name: "p50 <x>".into(),
                        color: "blue",
                        points: vec![(0.0, 2.0)],
                    },
                ],
                limit: Some((500.0, "limit".into())),
            }],
        );
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(svg.matches("<circle").count(), 1);
        assert!(svg.contains("p50 &lt;x&gt;"), "names are escaped");
        assert!(svg.contains("stroke-dasharray"), "the limit line");
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn nice_axis_maxima() {
        assert_eq!(nice_max(730.0), 800.0);
        assert_eq!(nice_max(60.0), 60.0);
        assert_eq!(nice_max(180.0), 200.0);
        assert_eq!(nice_max(0.0), 1.0);
    }
}
