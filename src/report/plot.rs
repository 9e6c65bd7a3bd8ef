//! Images drawn in-process with plotters (damo shells out to gnuplot).
//!
//! PNG and JPEG are drawn as bitmaps, SVG as vectors.  Text uses the
//! bundled DejaVu Sans, so images look the same on machines without fonts.
//! Images are drawn in memory and written through `crate::outfile`.

use std::path::Path;
use std::sync::Once;

use anyhow::{Context, Result, anyhow, bail};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::heatmap::{HeatMap, Spec};
use crate::fmt::pynum::Num;

const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
const FONT_NAME: &str = "sans-serif";

fn register_font() -> Result<()> {
    static ONCE: Once = Once::new();
    let mut res = Ok(());
    ONCE.call_once(|| {
        res = plotters::style::register_font(FONT_NAME, FontStyle::Normal, FONT)
            .map_err(|_| anyhow!("the bundled font could not be loaded"));
    });
    res
}

/// Image types we can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Svg,
}

impl ImageKind {
    /// The image type named by the file's extension (damo's rule: the text
    /// after the last dot).
    pub fn from_path(path: &str) -> Result<Self> {
        let ext = path.rsplit('.').next().unwrap_or("");
        match ext {
            "png" => Ok(ImageKind::Png),
            "jpeg" | "jpg" => Ok(ImageKind::Jpeg),
            "svg" => Ok(ImageKind::Svg),
            "pdf" => {
                bail!("PDF output is not supported: write .png, .svg or .jpeg instead ({path})")
            }
            _ => bail!(
                "unsupported plot output type '{ext}' ({path}): use a .png, .svg or .jpeg file name"
            ),
        }
    }
}

/// `name.png` for the first range, `name.1.png`, `name.2.png`... after.
pub fn numbered_path(path: &str, idx: usize) -> String {
    if idx == 0 {
        return path.to_string();
    }
    let mut tokens: Vec<String> = path.split('.').map(String::from).collect();
    let at = tokens.len().saturating_sub(1);
    tokens.insert(at, idx.to_string());
    tokens.join(".")
}

/// Something that can draw itself on any plotters backend.
trait Figure {
    /// Draws on `root`; `bitmap`: a PNG/JPEG (else SVG).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>, bitmap: bool) -> Result<()>;
}

/// Draws `fig` in memory as `kind`, then writes it to `path` atomically
/// (crate::outfile: never through a planted symlink, never half-written).
fn render<F: Figure>(kind: ImageKind, path: &str, size: (u32, u32), fig: F) -> Result<()> {
    register_font()?;
    let bytes = (|| -> Result<Vec<u8>> {
        match kind {
            ImageKind::Svg => {
                let mut text = String::new();
                {
                    let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
                    fig.draw(&root, false)?;
                    root.present().map_err(|e| anyhow!("{e}"))?;
                }
                Ok(text.into_bytes())
            }
            ImageKind::Png | ImageKind::Jpeg => {
                let (w, h) = size;
                let mut rgb = vec![0u8; w as usize * h as usize * 3];
                {
                    let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
                    fig.draw(&root, true)?;
                    root.present().map_err(|e| anyhow!("{e}"))?;
                }
                let mut out = Vec::new();
                let enc = image::ColorType::Rgb8;
                if kind == ImageKind::Png {
                    image::ImageEncoder::write_image(
                        image::codecs::png::PngEncoder::new(&mut out),
                        &rgb,
                        w,
                        h,
                        enc,
                    )?;
                } else {
                    image::ImageEncoder::write_image(
                        image::codecs::jpeg::JpegEncoder::new(&mut out),
                        &rgb,
                        w,
                        h,
                        enc,
                    )?;
                }
                Ok(out)
            }
        }
    })()
    .with_context(|| format!("drawing {path} failed"))?;
    crate::outfile::write_atomic(Path::new(path), &bytes, None)
}

/// Draws `text` with its left end at `pos`; in bitmaps one glyph at a time, each
/// where the font puts it: plotters' ab_glyph text drawing sets every
/// glyph's ink at the pen position, ignoring its side bearing, which
/// breaks the letter spacing of words ("frequ ency").
fn draw_label<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    pos: (i32, i32),
    size: f64,
    bitmap: bool,
) -> Result<()> {
    use ab_glyph::{Font, ScaleFont};
    if !bitmap {
        // (SVG text is laid out by its viewer)
        return area
            .draw(&Text::new(
                text.to_string(),
                pos,
                (FONT_NAME, size).into_font(),
            ))
            .map_err(plot_err);
    }
    let font = ab_glyph::FontRef::try_from_slice(FONT).map_err(|_| anyhow!("the bundled font"))?;
    #[allow(clippy::cast_possible_truncation)] // font sizes are small
    let scaled = font.as_scaled(size as f32);
    let style = (FONT_NAME, size).into_font();
    let mut pen = 0f32;
    let mut prev = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            pen += scaled.kern(p, id);
        }
        prev = Some(id);
        if let Some(g) = scaled.outline_glyph(id.with_scale(scaled.scale())) {
            let lsb = g.px_bounds().min.x;
            #[allow(clippy::cast_possible_truncation)] // pixel positions
            let x = pos.0 + (pen + lsb).round() as i32;
            area.draw(&Text::new(c.to_string(), (x, pos.1), style.clone()))
                .map_err(plot_err)?;
        }
        pen += scaled.h_advance(id);
    }
    Ok(())
}

/// Heat level (0..1) to color: black, purple, red, orange, yellow, white.
fn heat_color(v: f64) -> RGBColor {
    const STOPS: [(f64, [u8; 3]); 6] = [
        (0.0, [0, 0, 4]),
        (0.25, [87, 16, 110]),
        (0.5, [188, 55, 84]),
        (0.75, [249, 142, 9]),
        (0.9, [245, 219, 75]),
        (1.0, [252, 255, 164]),
    ];
    let v = if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    };
    for w in STOPS.windows(2) {
        let ((a, ca), (b, cb)) = (w[0], w[1]);
        if v <= b {
            let t = if b > a { (v - a) / (b - a) } else { 0.0 };
            let mix = |i: usize| {
                let v = (f64::from(ca[i]) + (f64::from(cb[i]) - f64::from(ca[i])) * t).round();
                u8::try_from(crate::fmt::pynum::F(v).trunc()).unwrap_or(u8::MAX)
            };
            return RGBColor(mix(0), mix(1), mix(2));
        }
    }
    RGBColor(252, 255, 164)
}

fn plot_err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("{e}")
}

/// What an axis measures, which decides its units and tick steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AxisKind {
    /// Bytes: binary units, power-of-two steps (0, 32, 64 MiB).
    Bytes,
    /// Nanoseconds: ns to hours, 1-2-5 steps.
    TimeNs,
    /// Plain numbers: 1-2-5 steps.
    Plain,
}

/// An axis's unit (shown in its description), the unit's size, and the
/// tick positions (in the axis's own values), at round values in that unit.
#[derive(Debug, Clone, PartialEq)]
struct Axis {
    unit: &'static str,
    div: f64,
    ticks: Vec<f64>,
}

impl Axis {
    fn new(lo: f64, hi: f64, kind: AxisKind, max_ticks: usize) -> Axis {
        const BYTES: [(&str, f64); 6] = [
            ("B", 1.0),
            ("KiB", 1024.0),
            ("MiB", 1_048_576.0),
            ("GiB", 1_073_741_824.0),
            ("TiB", 1_099_511_627_776.0),
            ("PiB", 1_125_899_906_842_624.0),
        ];
        const TIMES: [(&str, f64); 6] = [
            ("ns", 1.0),
            ("us", 1e3),
            ("ms", 1e6),
            ("s", 1e9),
            ("min", 60e9),
            ("h", 3600e9),
        ];
        let span = if hi > lo { hi - lo } else { hi.abs().max(1.0) };
        let (unit, div) = match kind {
            AxisKind::Bytes => *BYTES
                .iter()
                .rev()
                .find(|(_, d)| span >= *d)
                .unwrap_or(&BYTES[0]),
            AxisKind::TimeNs => *TIMES
                .iter()
                .rev()
                .find(|(_, d)| span >= *d)
                .unwrap_or(&TIMES[0]),
            AxisKind::Plain => ("", 1.0),
        };
        let raw = span / div / max_ticks.max(1) as f64;
        let step = match kind {
            AxisKind::Bytes => 2f64.powf(raw.log2().ceil()),
            _ => {
                let mag = 10f64.powf(raw.log10().floor());
                [1.0, 2.0, 5.0, 10.0]
                    .iter()
                    .map(|m| m * mag)
                    .find(|s| *s >= raw * (1.0 - 1e-9))
                    .unwrap_or(10.0 * mag)
            }
        };
        let mut ticks = Vec::new();
        if step.is_finite() && step > 0.0 {
            let mut t = (lo / div / step).ceil() * step;
            while t <= hi / div + step * 1e-9 && ticks.len() <= 4 * max_ticks {
                ticks.push(t * div);
                t += step;
            }
        }
        Axis { unit, div, ticks }
    }

    /// A tick's label: the value in the axis's unit, without trailing zeros.
    fn label(&self, v: f64) -> String {
        let x = v / self.div;
        let r = (x * 1000.0).round() / 1000.0;
        let s = format!("{r:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" { "0".into() } else { s.to_string() }
    }

    /// `what (unit)`, or `what` for unitless axes.
    fn desc(&self, what: &str) -> String {
        if self.unit.is_empty() {
            what.to_string()
        } else {
            format!("{what} ({})", self.unit)
        }
    }
}

/// A linear f64 axis whose ticks are an [`Axis`]'s.
struct Ticked {
    range: std::ops::Range<f64>,
    ticks: Vec<f64>,
}

impl Ticked {
    fn new(lo: f64, hi: f64, axis: &Axis) -> Self {
        Ticked {
            range: lo..hi,
            ticks: axis.ticks.clone(),
        }
    }
}

impl plotters::coord::ranged1d::Ranged for Ticked {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;
    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        plotters::coord::types::RangedCoordf64::from(self.range.clone()).map(value, limit)
    }
    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }
}

/// Number of color steps in images (adjacent pixels of one step are
/// drawn as one rectangle, which keeps SVGs small).
const LEVELS: f64 = 256.0;

fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    map: &HeatMap,
    x_range: (f64, f64),
    y_range: (f64, f64),
    ylabel: &str,
    bitmap: bool,
) -> Result<()> {
    root.fill(&WHITE).map_err(plot_err)?;
    let (main, bar) = root.split_horizontally(root.dim_in_pixel().0 * 84 / 100);
    let (lo, hi) = match map.highest_lowest() {
        Some((h, l)) => (l, h),
        None => (0.0, 1.0),
    };
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (x0, x1) = x_range;
    let (y0, y1) = y_range;
    let xa = Axis::new(x0, x1, AxisKind::TimeNs, 8);
    let ya = Axis::new(y0, y1, AxisKind::Bytes, 8);
    let mut chart = ChartBuilder::on(&main)
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(90)
        .build_cartesian_2d(Ticked::new(x0, x1, &xa), Ticked::new(y0, y1, &ya))
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(xa.desc("Time"))
        .y_desc(ya.desc(ylabel))
        .x_labels(xa.ticks.len().max(2))
        .y_labels(ya.ticks.len().max(2))
        .x_label_formatter(&|v| xa.label(*v))
        .y_label_formatter(&|v| ya.label(*v))
        .label_style((FONT_NAME, 13))
        .axis_desc_style((FONT_NAME, 15))
        .draw()
        .map_err(plot_err)?;
    let dx = (x1 - x0) / map.time_resol as f64;
    let dy = (y1 - y0) / map.addr_resol as f64;
    let mut rects = Vec::new();
    for row in 0..map.time_resol {
        let mut col = 0;
        while col < map.addr_resol {
            let Some(h) = map.heats[row * map.addr_resol + col] else {
                col += 1;
                continue;
            };
            let level = ((h - lo) / span * (LEVELS - 1.0)).round();
            let mut end = col + 1;
            while end < map.addr_resol {
                match map.heats[row * map.addr_resol + end] {
                    Some(h2) if ((h2 - lo) / span * (LEVELS - 1.0)).round() == level => end += 1,
                    _ => break,
                }
            }
            let color = heat_color(level / (LEVELS - 1.0));
            let xa = x0 + row as f64 * dx;
            let ya = y0 + col as f64 * dy;
            let yb = y0 + end as f64 * dy;
            rects.push(Rectangle::new([(xa, ya), (xa + dx, yb)], color.filled()));
            col = end;
        }
    }
    chart.draw_series(rects).map_err(plot_err)?;

    // the color bar's label is set horizontally above it, in two lines
    // (rotated text loses its letter spacing in the bundled renderer)
    let unit = map.heat_unit;
    let ca = Axis::new(lo, lo + span, AxisKind::Plain, 6);
    let (head, bar) = bar.split_vertically(44);
    for (i, line) in ["Access", &format!("frequency ({unit})")]
        .iter()
        .enumerate()
    {
        draw_label(
            &head,
            line,
            (8, 6 + 18 * i32::try_from(i).unwrap_or(0)),
            14.0,
            bitmap,
        )?;
    }
    let mut cbar = ChartBuilder::on(&bar)
        .margin_bottom(60)
        .margin_right(8)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..1.0, Ticked::new(lo, lo + span, &ca))
        .map_err(plot_err)?;
    cbar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(ca.ticks.len().max(2))
        .y_label_formatter(&|v| ca.label(*v))
        .label_style((FONT_NAME, 12))
        .draw()
        .map_err(plot_err)?;
    let steps = 128;
    cbar.draw_series((0..steps).map(|i| {
        let a = lo + span * i as f64 / steps as f64;
        let b = lo + span * (i + 1) as f64 / steps as f64;
        Rectangle::new(
            [(0.0, a), (1.0, b)],
            heat_color(i as f64 / (steps - 1) as f64).filled(),
        )
    }))
    .map_err(plot_err)?;
    Ok(())
}

/// Writes the heatmap image: x is time, y is address, color is heat.
pub fn heatmap_image(
    map: &HeatMap,
    spec: &Spec,
    kind: ImageKind,
    path: &str,
    abs_time: bool,
    abs_addr: bool,
) -> Result<()> {
    let rel = |r: [Num; 2], abs: bool| -> (f64, f64) {
        if abs {
            (r[0].f(), r[1].f())
        } else {
            (0.0, r[1].sub(r[0]).f())
        }
    };
    let x_range = rel(spec.time_range, abs_time);
    let y_range = rel(spec.addr_range, abs_addr);
    // --sort_temperature lays regions out by temperature, so the y axis
    // is memory size (damo: 'Size (bytes)')
    let ylabel = match (spec.sort.is_some(), abs_addr) {
        (true, _) => "Size, coldest first",
        (false, true) => "Address",
        (false, false) => "Address offset",
    };
    struct Fig<'a> {
        map: &'a HeatMap,
        x: (f64, f64),
        y: (f64, f64),
        ylabel: &'a str,
    }
    impl Figure for Fig<'_> {
        fn draw<DB: DrawingBackend>(
            &self,
            root: &DrawingArea<DB, Shift>,
            bitmap: bool,
        ) -> Result<()> {
            draw_heatmap(root, self.map, self.x, self.y, self.ylabel, bitmap)
        }
    }
    let fig = Fig {
        map,
        x: x_range,
        y: y_range,
        ylabel,
    };
    render(kind, path, (1000, 700), fig)
}

/// Line colors, markers and widths of dist plots' series: distinct enough
/// that series of (nearly) equal values stay visible over each other (the
/// first drawn widest).
const SERIES: [(RGBColor, u32); 4] = [
    (RGBColor(31, 119, 180), 6),
    (RGBColor(214, 39, 40), 3),
    (RGBColor(44, 160, 44), 2),
    (RGBColor(148, 103, 189), 1),
];

fn draw_dist<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    series: &[(String, Vec<(f64, f64)>)],
    xlabel: &str,
    ylabel: &str,
    bitmap: bool,
) -> Result<()> {
    root.fill(&WHITE).map_err(plot_err)?;
    let pts = series.iter().flat_map(|(_, p)| p.iter());
    let (mut xmin, mut xmax, mut ymin, mut ymax) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in pts {
        xmin = xmin.min(*x);
        xmax = xmax.max(*x);
        ymin = ymin.min(*y);
        ymax = ymax.max(*y);
    }
    if xmin > xmax {
        (xmin, xmax) = (0.0, 100.0);
    }
    if xmax <= xmin {
        xmax = xmin + 1.0;
    }
    if ymin > ymax {
        (ymin, ymax) = (0.0, 1.0);
    }
    // sizes start at zero unless their values sit far above it; counts
    // (regions) show their own range
    let (bytes, what) = match ylabel.strip_suffix(" (bytes)") {
        Some(w) => (true, w),
        None => (false, ylabel),
    };
    let pad = ((ymax - ymin) * 0.08).max(ymax.abs() * 0.02).max(1.0);
    let y0 = if bytes && ymin < ymax * 0.5 {
        0.0
    } else {
        (ymin - pad).max(0.0)
    };
    let y1 = ymax + pad;
    let xa = Axis::new(xmin, xmax, AxisKind::Plain, 10);
    let ya = Axis::new(
        y0,
        y1,
        if bytes {
            AxisKind::Bytes
        } else {
            AxisKind::Plain
        },
        8,
    );
    // the legend gets a strip of its own above the chart
    let (legend, body) = root.split_vertically(if series.len() > 1 { 34 } else { 0 });
    let mut chart = ChartBuilder::on(&body)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d(Ticked::new(xmin, xmax, &xa), Ticked::new(y0, y1, &ya))
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc(xa.desc(xlabel))
        .y_desc(ya.desc(what))
        .x_labels(xa.ticks.len().max(2))
        .y_labels(ya.ticks.len().max(2))
        .x_label_formatter(&|v| xa.label(*v))
        .y_label_formatter(&|v| ya.label(*v))
        .label_style((FONT_NAME, 13))
        .axis_desc_style((FONT_NAME, 15))
        .draw()
        .map_err(plot_err)?;
    let style = |i: usize| match SERIES.get(i % SERIES.len()) {
        Some(&(c, _)) if series.len() == 1 => (c, 2),
        Some(&s) => s,
        None => (BLACK, 2),
    };
    for (i, (_, pts)) in series.iter().enumerate() {
        let (c, w) = style(i);
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(w)))
            .map_err(plot_err)?;
        let r = w + 2;
        match i % 3 {
            0 => chart.draw_series(pts.iter().map(|p| Circle::new(*p, r, c.filled()))),
            1 => chart.draw_series(
                pts.iter()
                    .map(|p| TriangleMarker::new(*p, i32::try_from(r).unwrap_or(4), c.filled())),
            ),
            _ => chart.draw_series(
                pts.iter()
                    .map(|p| Cross::new(*p, i32::try_from(r).unwrap_or(4), c.stroke_width(2))),
            ),
        }
        .map_err(plot_err)?;
    }
    if series.len() > 1 {
        let mut x = 100;
        for (i, (name, _)) in series.iter().enumerate() {
            let (c, w) = style(i);
            legend
                .draw(&PathElement::new(
                    vec![(x, 17), (x + 24, 17)],
                    c.stroke_width(w.max(2)),
                ))
                .map_err(plot_err)?;
            draw_label(&legend, name, (x + 30, 9), 14.0, bitmap)?;
            x += 40 + 9 * i32::try_from(name.chars().count()).unwrap_or(8);
        }
    }
    Ok(())
}

/// Writes a distribution plot (percentile or time on x) with points and
/// lines, one series per target.
pub fn dist_image(
    series: &[(String, Vec<(f64, f64)>)],
    xlabel: &str,
    ylabel: &str,
    kind: ImageKind,
    path: &str,
) -> Result<()> {
    struct Fig<'a> {
        series: &'a [(String, Vec<(f64, f64)>)],
        xlabel: &'a str,
        ylabel: &'a str,
    }
    impl Figure for Fig<'_> {
        fn draw<DB: DrawingBackend>(
            &self,
            root: &DrawingArea<DB, Shift>,
            bitmap: bool,
        ) -> Result<()> {
            draw_dist(root, self.series, self.xlabel, self.ylabel, bitmap)
        }
    }
    render(
        kind,
        path,
        (900, 600),
        Fig {
            series,
            xlabel,
            ylabel,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_in_the_unit_shown() {
        let mib = 1_048_576.0;
        let a = Axis::new(0.0, 66.0 * mib, AxisKind::Bytes, 8);
        assert_eq!(a.unit, "MiB");
        let labels: Vec<String> = a.ticks.iter().map(|t| a.label(*t)).collect();
        assert_eq!(labels, ["0", "16", "32", "48", "64"]);
        assert_eq!(a.desc("Address offset"), "Address offset (MiB)");
        let t = Axis::new(0.0, 24.5e9, AxisKind::TimeNs, 8);
        assert_eq!(t.unit, "s");
        let labels: Vec<String> = t.ticks.iter().map(|v| t.label(*v)).collect();
        assert_eq!(labels, ["0", "5", "10", "15", "20"]);
        let p = Axis::new(93.0, 147.0, AxisKind::Plain, 8);
        assert_eq!(p.unit, "");
        assert_eq!(p.ticks.first().copied(), Some(100.0));
        assert_eq!(p.label(0.1 + 0.2), "0.3");
        // degenerate spans still give ticks, and never loop
        assert!(Axis::new(5.0, 5.0, AxisKind::Plain, 8).ticks.len() <= 33);
        assert!(Axis::new(0.0, f64::MAX, AxisKind::Bytes, 8).ticks.len() <= 33);
    }

    #[test]
    fn kinds_and_paths() {
        assert_eq!(ImageKind::from_path("a.png").unwrap(), ImageKind::Png);
        assert_eq!(ImageKind::from_path("a.b.svg").unwrap(), ImageKind::Svg);
        assert!(ImageKind::from_path("a.pdf").is_err());
        assert!(ImageKind::from_path("a.gif").is_err());
        assert_eq!(numbered_path("heat.png", 0), "heat.png");
        assert_eq!(numbered_path("heat.png", 2), "heat.2.png");
    }
}
