//! A scene as Graphviz DOT: the same nodes, labels, colours and dashes, laid out left to right
//! by Graphviz itself. Every id and label is quoted and escaped.

use std::fmt::Write;

use super::scene::{Dash, EDGE, Prim, Scene, SceneNode, Shape, tint};
use crate::escape;

/// The DOT document of `scene` (a `digraph`).
pub fn render(scene: &Scene) -> String {
    let mut out = String::with_capacity(256 + 200 * (scene.nodes.len() + scene.edges.len()));
    let _ = writeln!(out, "digraph {} {{", quote(&scene.title));
    out.push_str("  rankdir=LR;\n");
    out.push_str("  node [fontname=\"Helvetica\", fontsize=12];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
    for n in &scene.nodes {
        let (shape, style) = match n.shape {
            Shape::Service | Shape::Span => ("box", "rounded,filled"),
            Shape::Type => ("box", "filled"),
            Shape::Group => ("box3d", "filled"),
            Shape::Database => ("cylinder", "filled"),
            Shape::Queue => ("cds", "filled"),
            Shape::External => ("ellipse", "filled"),
        };
        let label = if n.sub.is_empty() {
            n.label.clone()
        } else {
            format!("{}\n{}", n.label, n.sub)
        };
        let (fill, border) = node_colors(n);
        let _ = writeln!(
            out,
            "  {} [label={}, shape={shape}, style={}, fillcolor={}, color={}];",
            quote(&n.key),
            quote(&label),
            quote(style),
            quote(&fill),
            quote(&border)
        );
    }
    for e in &scene.edges {
        let (Some(a), Some(b)) = (
            scene.nodes.get(e.from as usize),
            scene.nodes.get(e.to as usize),
        ) else {
            continue;
        };
        let style = match e.stroke.dash {
            Dash::Solid => "solid",
            Dash::Dashed => "dashed",
        };
        let _ = writeln!(
            out,
            "  {} -> {} [label={}, color={}, fontcolor={}, style={style}, penwidth={:.1}];",
            quote(&a.key),
            quote(&b.key),
            quote(&e.label.join("\n")),
            quote(&e.stroke.color.hex()),
            quote(&e.stroke.color.hex()),
            e.stroke.width
        );
    }
    out.push_str("}\n");
    out
}

/// Fill and border of a node, from its first primitive (the box).
fn node_colors(n: &SceneNode) -> (String, String) {
    n.prims
        .iter()
        .find_map(|p| match p {
            Prim::Rect {
                fill: Some(f),
                stroke: Some(s),
                ..
            }
            | Prim::Path {
                fill: Some(f),
                stroke: Some(s),
                ..
            } => Some((f.hex(), s.color.hex())),
            _ => None,
        })
        .unwrap_or_else(|| (tint(EDGE).hex(), EDGE.hex()))
}

/// A DOT double-quoted string: `"` and `\` escaped, line breaks as `\n` (centred lines),
/// carriage returns dropped.
pub fn quote(s: &str) -> String {
    const TABLE: &[(char, &str)] = &[('"', "\\\""), ('\\', "\\\\"), ('\n', "\\n"), ('\r', "")];
    let mut out = String::with_capacity(s.len() + 2);
    escape::push_quoted(&mut out, s, TABLE, String::push);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("a"), "\"a\"");
        assert_eq!(quote("say \"hi\""), r#""say \"hi\"""#);
        assert_eq!(quote(r"C:\x"), r#""C:\\x""#);
        assert_eq!(quote("a\nb"), r#""a\nb""#);
        assert_eq!(quote("[]byte"), "\"[]byte\"");
    }
}
