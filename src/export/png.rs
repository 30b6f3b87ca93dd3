//! SVG to PNG with resvg, so the PNG is exactly the SVG drawing. System fonts are loaded once
//! per process (Latin and CJK faces; resvg picks a face per character).

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg;

use super::ExportError;

/// Pixels per SVG unit: 2 for a crisp image on high-density screens, less when the drawing is
/// so large that the image would pass `MAX_SIDE` pixels.
const SCALE: f32 = 2.0;
const MAX_SIDE: f32 = 16_384.0;

fn fonts() -> Arc<usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = usvg::fontdb::Database::new();
            db.load_system_fonts();
            db.set_sans_serif_family("DejaVu Sans");
            Arc::new(db)
        })
        .clone()
}

/// The PNG of an SVG document.
pub fn render(svg: &str) -> Result<Vec<u8>, ExportError> {
    let opts = usvg::Options {
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &opts).map_err(|e| ExportError::Png(e.to_string()))?;
    let size = tree.size();
    let scale = SCALE.min(MAX_SIDE / size.width().max(size.height()));
    let (w, h) = (
        (size.width() * scale).ceil().max(1.0) as u32,
        (size.height() * scale).ceil().max(1.0) as u32,
    );
    let mut pixmap = Pixmap::new(w, h)
        .ok_or_else(|| ExportError::Png(format!("cannot allocate a {w}×{h} image")))?;
    resvg::render(
        &tree,
        Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| ExportError::Png(e.to_string()))
}
