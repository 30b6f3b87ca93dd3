//! Fonts for non-Latin names: service and span names of the seed domain are often Chinese
//! (`通知服务`). eframe's system-font fallback finds a font per missing glyph through the
//! platform, but depends on the platform's locale and font lookup, and the test harness has no
//! such fallback. So a known CJK font installed on the system (Simplified Chinese face) is
//! added as the last fallback of both families: Chinese renders the same in the window, in
//! tests and in screenshots. Without one, egui draws a replacement box (never a panic).

use std::sync::Arc;

use egui::{FontData, FontFamily, FontInsert, FontPriority, InsertFontFamily};

/// Font files that cover CJK, with the face index of the Simplified Chinese face, in the order
/// tried: Linux (Noto CJK from Debian/Ubuntu/Fedora/Arch packages, WenQuanYi), macOS, Windows.
const CANDIDATES: &[(&str, u32)] = &[
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    (
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        2,
    ),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/System/Library/Fonts/PingFang.ttc", 0),
    ("/System/Library/Fonts/STHeiti Light.ttc", 0),
    ("C:\\Windows\\Fonts\\msyh.ttc", 0),
    ("C:\\Windows\\Fonts\\simsun.ttc", 0),
];

/// Sets up every font the app draws with: the CJK face above, then any other script or
/// symbol from the system's fonts on demand (eframe's own system-font fallback is switched off
/// in `app::run`, so the window, the test harness and screenshots render text the same way).
pub fn install(ctx: &egui::Context) {
    install_cjk_fallback(ctx);
    ctx.add_font_provider(Arc::new(
        egui_system_font_provider::SystemFontProvider::new().with_locale(Some("zh-Hans")),
    ));
}

/// The name the CJK fallback is registered under.
pub const CJK_FONT_NAME: &str = "tracetopo-cjk";

/// Adds the first CJK font found as the last fallback; returns its path, or `None` when the
/// system has none of the known files.
fn install_cjk_fallback(ctx: &egui::Context) -> Option<&'static str> {
    let (path, index, bytes) = CANDIDATES
        .iter()
        .find_map(|&(p, i)| std::fs::read(p).ok().map(|b| (p, i, b)))?;
    let families = [FontFamily::Proportional, FontFamily::Monospace]
        .into_iter()
        .map(|family| InsertFontFamily {
            family,
            priority: FontPriority::Lowest,
        })
        .collect();
    ctx.add_font(FontInsert::new(
        CJK_FONT_NAME,
        FontData::from_blob(Arc::new(bytes), index),
        families,
    ));
    Some(path)
}
