//! A scene as SVG: the same primitives the app paints, text escaped, fonts named so that
//! Latin and CJK labels both find a face (resvg falls back per character).

use std::fmt::Write;

use super::scene::{BACKGROUND, Canvas, DASH, Dash, Paint, Prim, Rgba, Scene};
use crate::analysis::layout::Point;

/// Font families for every label: Latin faces first, then CJK.
pub const FONT_FAMILY: &str = "DejaVu Sans, Noto Sans, Liberation Sans, Arial, \
                               Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif";

/// The SVG document of `scene`.
pub fn render(scene: &Scene) -> String {
    let (w, h) = (scene.layout.width.ceil(), scene.layout.height.ceil());
    let mut out = String::with_capacity(4096 + 600 * (scene.nodes.len() + scene.edges.len()));
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{}">"#,
        escape(FONT_FAMILY)
    );
    let _ = writeln!(out, "<title>{}</title>", escape(&scene.title));
    let _ = writeln!(
        out,
        r#"<rect x="0" y="0" width="{w}" height="{h}" fill="{}"/>"#,
        BACKGROUND.hex()
    );
    // Group frames under edges, edges under nodes, as in the app.
    if !scene.frames.is_empty() {
        out.push_str("<g class=\"groups\">\n");
        for f in &scene.frames {
            for p in &f.prims {
                prim(&mut out, p, Point::default());
            }
        }
        out.push_str("</g>\n");
    }
    out.push_str("<g class=\"edges\">\n");
    for e in &scene.edges {
        for p in &e.prims {
            prim(&mut out, p, Point::default());
        }
    }
    out.push_str("</g>\n<g class=\"nodes\">\n");
    for (n, pos) in scene.nodes.iter().zip(&scene.layout.nodes) {
        let _ = writeln!(out, "<g id=\"{}\">", escape(&n.key));
        for p in &n.prims {
            prim(&mut out, p, Point::new(pos.x, pos.y));
        }
        out.push_str("</g>\n");
    }
    out.push_str("</g>\n</svg>\n");
    out
}

/// Writes primitives as SVG elements; node primitives are relative to `at`.
struct Svg<'a> {
    out: &'a mut String,
    at: Point,
}

fn prim(out: &mut String, p: &Prim, at: Point) {
    p.draw(&mut Svg { out, at });
}

impl Canvas for Svg<'_> {
    fn rect(&mut self, min: Point, max: Point, radius: f32, p: Paint) {
        let (out, at) = (&mut *self.out, self.at);
        let _ = write!(
            out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" rx="{}""#,
            num(min.x + at.x),
            num(min.y + at.y),
            num(max.x - min.x),
            num(max.y - min.y),
            num(radius)
        );
        paint(out, p);
        out.push_str("/>\n");
    }

    fn path(&mut self, points: &[Point], closed: bool, p: Paint) {
        let (out, at) = (&mut *self.out, self.at);
        out.push_str(if closed { "<polygon" } else { "<polyline" });
        out.push_str(" points=\"");
        for (k, q) in points.iter().enumerate() {
            if k > 0 {
                out.push(' ');
            }
            let _ = write!(out, "{},{}", num(q.x + at.x), num(q.y + at.y));
        }
        out.push('"');
        paint(out, p);
        out.push_str(" stroke-linejoin=\"round\"/>\n");
    }

    fn text(&mut self, pos: Point, text: &str, size: f32, color: Rgba, bold: bool) {
        let (out, at) = (&mut *self.out, self.at);
        // Baseline a third of the size below the centre: centred like egui's text.
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" font-size="{}" text-anchor="middle" fill="{}""#,
            num(pos.x + at.x),
            num(pos.y + at.y + size * 0.35),
            num(size),
            color.hex()
        );
        if bold {
            out.push_str(" font-weight=\"bold\"");
        }
        opacity(out, "fill-opacity", color);
        let _ = writeln!(out, ">{}</text>", escape(text));
    }
}

fn paint(out: &mut String, p: Paint) {
    match p.fill {
        Some(c) => {
            let _ = write!(out, " fill=\"{}\"", c.hex());
            opacity(out, "fill-opacity", c);
        }
        None => out.push_str(" fill=\"none\""),
    }
    if let Some(s) = p.stroke {
        let _ = write!(
            out,
            " stroke=\"{}\" stroke-width=\"{}\"",
            s.color.hex(),
            num(s.width)
        );
        opacity(out, "stroke-opacity", s.color);
        if s.dash == Dash::Dashed {
            let _ = write!(out, " stroke-dasharray=\"{},{}\"", num(DASH.0), num(DASH.1));
        }
    }
}

fn opacity(out: &mut String, attr: &str, c: Rgba) {
    if c.a < 255 {
        let _ = write!(out, " {attr}=\"{}\"", num(f32::from(c.a) / 255.0));
    }
}

/// A coordinate with at most two decimals (keeps files small and byte-stable).
fn num(v: f32) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// XML text and attribute escaping; control characters (`crate::escape::is_control`, which
/// covers the ones XML 1.0 forbids) and U+FFFE/U+FFFF become U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if crate::escape::is_control(c) || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.push('\u{FFFD}')
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            escape(r#"<a & "b">'"#),
            "&lt;a &amp; &quot;b&quot;&gt;&apos;"
        );
        assert_eq!(escape("x\u{1}y"), "x\u{FFFD}y");
        assert_eq!(escape("通知服务"), "通知服务");
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(1.256), "1.26");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(f32::NAN), "0");
    }
}
