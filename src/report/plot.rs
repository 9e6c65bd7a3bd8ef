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
use crate::fmt::{format_sz, format_time_ns};

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
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>;
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
                    fig.draw(&root)?;
                    root.present().map_err(|e| anyhow!("{e}"))?;
                }
                Ok(text.into_bytes())
            }
            ImageKind::Png | ImageKind::Jpeg => {
                let (w, h) = size;
                let mut rgb = vec![0u8; w as usize * h as usize * 3];
                {
                    let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
                    fig.draw(&root)?;
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

/// Number of color steps in images (adjacent pixels of one step are
/// drawn as one rectangle, which keeps SVGs small).
const LEVELS: f64 = 256.0;

fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    map: &HeatMap,
    x_range: (f64, f64),
    y_range: (f64, f64),
    ylabel: &str,
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
    let mut chart = ChartBuilder::on(&main)
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(110)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("Time")
        .y_desc(ylabel)
        .x_labels(6)
        .y_labels(8)
        .x_label_formatter(&|v| format_time_ns(Num::F(*v), false))
        .y_label_formatter(&|v| format_sz(Num::F(*v), false))
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

    let unit = map.heat_unit;
    let mut cbar = ChartBuilder::on(&bar)
        .margin_top(12)
        .margin_bottom(60)
        .margin_right(8)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, lo..(lo + span))
        .map_err(plot_err)?;
    cbar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .y_desc(format!("Access frequency ({unit})"))
        .label_style((FONT_NAME, 12))
        .axis_desc_style((FONT_NAME, 13))
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
        (true, _) => "Size (coldest first)",
        (false, true) => "Address",
        (false, false) => "Address (offset)",
    };
    struct Fig<'a> {
        map: &'a HeatMap,
        x: (f64, f64),
        y: (f64, f64),
        ylabel: &'a str,
    }
    impl Figure for Fig<'_> {
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
            draw_heatmap(root, self.map, self.x, self.y, self.ylabel)
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

fn draw_dist<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    series: &[(String, Vec<(f64, f64)>)],
    xlabel: &str,
    ylabel: &str,
) -> Result<()> {
    root.fill(&WHITE).map_err(plot_err)?;
    let pts = series.iter().flat_map(|(_, p)| p.iter());
    let (mut xmin, mut xmax, mut ymax) = (f64::MAX, f64::MIN, 0.0f64);
    for (x, y) in pts {
        xmin = xmin.min(*x);
        xmax = xmax.max(*x);
        ymax = ymax.max(*y);
    }
    if xmin > xmax {
        (xmin, xmax) = (0.0, 100.0);
    }
    if xmax <= xmin {
        xmax = xmin + 1.0;
    }
    let ymax = if ymax > 0.0 { ymax * 1.05 } else { 1.0 };
    let bytes = ylabel.contains("bytes");
    let mut chart = ChartBuilder::on(root)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(100)
        .build_cartesian_2d(xmin..xmax, 0.0..ymax)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc(xlabel)
        .y_desc(ylabel)
        .y_label_formatter(&|v| {
            if bytes {
                format_sz(Num::F(*v), false)
            } else {
                format!("{v:.0}")
            }
        })
        .label_style((FONT_NAME, 13))
        .axis_desc_style((FONT_NAME, 15))
        .draw()
        .map_err(plot_err)?;
    let palette = [
        RGBColor(31, 119, 180),
        RGBColor(214, 39, 40),
        RGBColor(44, 160, 44),
        RGBColor(148, 103, 189),
    ];
    for (i, (name, pts)) in series.iter().enumerate() {
        let c = palette[i % palette.len()];
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))
            .map_err(plot_err)?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2)));
        chart
            .draw_series(pts.iter().map(|p| Circle::new(*p, 3, c.filled())))
            .map_err(plot_err)?;
    }
    if series.len() > 1 {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::MiddleRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.4))
            .label_font((FONT_NAME, 13))
            .draw()
            .map_err(plot_err)?;
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
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
            draw_dist(root, self.series, self.xlabel, self.ylabel)
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
    fn kinds_and_paths() {
        assert_eq!(ImageKind::from_path("a.png").unwrap(), ImageKind::Png);
        assert_eq!(ImageKind::from_path("a.b.svg").unwrap(), ImageKind::Svg);
        assert!(ImageKind::from_path("a.pdf").is_err());
        assert!(ImageKind::from_path("a.gif").is_err());
        assert_eq!(numbered_path("heat.png", 0), "heat.png");
        assert_eq!(numbered_path("heat.png", 2), "heat.2.png");
    }
}
