//! Screenshot mode (`tracetopo FILE... --screenshot OUT.png [--view NAME]`): which view to
//! show, and saving the window's pixels as PNG. The app drives the steps (load, switch view,
//! let a few frames settle, request the screenshot, save it from the callback, close).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use std::time::{Duration, Instant};

use super::state::{Nav, Session, Tab};
use crate::analysis::service_view::{Grouping, ServiceFilter, find_service};

/// The `--view` of spec §6.
#[derive(Debug, Clone, PartialEq)]
pub enum ViewSpec {
    Tab(Tab),
    /// `services:focus=NAME,depth=N,group=ATTRIBUTE,open=GROUP,min-calls=N,only-problems`:
    /// the Services view showing what the toolbar would choose.
    Services(ServiceFilter),
    /// `trace`: the trace with the most breaks.
    MostBrokenTrace,
    /// `trace:<trace_id>` (hex).
    Trace(u128),
    /// `lanes` (the trace with the most breaks) or `lanes:<trace_id>`: the Trace tab in its
    /// lanes-by-goroutine mode.
    Lanes(Option<u128>),
}

impl ViewSpec {
    /// Parses a `--view` name; the error lists the valid names.
    pub fn parse(s: &str) -> Result<ViewSpec, String> {
        let s = s.trim();
        if s == "trace" {
            return Ok(ViewSpec::MostBrokenTrace);
        }
        if s == "lanes" {
            return Ok(ViewSpec::Lanes(None));
        }
        if let Some(opts) = s.strip_prefix("services:") {
            return parse_services(opts).map(ViewSpec::Services);
        }
        if let Some(id) = s.strip_prefix("trace:") {
            return trace_id(id).map(ViewSpec::Trace);
        }
        if let Some(id) = s.strip_prefix("lanes:") {
            return trace_id(id).map(|id| ViewSpec::Lanes(Some(id)));
        }
        Tab::ALL
            .into_iter()
            .find(|t| t.view_name() == s)
            .map(ViewSpec::Tab)
            .ok_or_else(|| {
                let names: Vec<&str> = Tab::ALL.iter().map(|t| t.view_name()).collect();
                format!(
                    "unknown view \"{s}\"; valid views: {}, trace:<trace_id>, lanes, lanes:<trace_id>, \
                     services:OPTIONS",
                    names.join(", ")
                )
            })
    }
}

/// A `--view` trace id: 1 to 32 hex digits, not all zero.
fn trace_id(id: &str) -> Result<u128, String> {
    let id = id.trim();
    match u128::from_str_radix(id, 16) {
        Ok(v) if !id.is_empty() && id.len() <= 32 && v != 0 => Ok(v),
        _ => Err(format!(
            "\"{id}\" is not a trace id (1 to 32 hex digits, not all zero)"
        )),
    }
}

/// The options of `services:…`, comma separated.
fn parse_services(opts: &str) -> Result<ServiceFilter, String> {
    let mut f = ServiceFilter {
        depth: 1,
        ..ServiceFilter::default()
    };
    for opt in opts.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let (key, value) = opt.split_once('=').unwrap_or((opt, ""));
        let number = |v: &str| {
            v.parse::<u32>()
                .map_err(|_| format!("\"{v}\" is not a number (in \"{opt}\")"))
        };
        match key {
            "focus" if !value.is_empty() => f.focus = Some(value.to_string()),
            "depth" => f.depth = number(value)?,
            "min-calls" => f.min_calls = u64::from(number(value)?),
            "only-problems" => f.only_problems = true,
            "open" if !value.is_empty() => {
                f.expanded.insert(value.to_string());
            }
            "group" => {
                f.group = Grouping::ALL
                    .into_iter()
                    .find(|g| g.key() == Some(value))
                    .ok_or_else(|| {
                        format!(
                            "unknown group \"{value}\"; expected service.namespace or \
                             k8s.namespace.name"
                        )
                    })?
            }
            _ => {
                return Err(format!(
                    "unknown services option \"{opt}\"; expected focus=NAME, depth=N, \
                     group=ATTRIBUTE, open=GROUP, min-calls=N or only-problems"
                ));
            }
        }
    }
    Ok(f)
}

/// Where the screenshot goes and how it ended (filled in by the app, read after it exits).
#[derive(Debug, Clone)]
pub struct ScreenshotRequest {
    pub out: PathBuf,
    pub view: ViewSpec,
    /// `None` while running; `Some(Err(one line))` when loading or saving failed.
    pub result: Arc<Mutex<Option<Result<(), String>>>>,
}

impl ScreenshotRequest {
    pub fn new(out: PathBuf, view: ViewSpec) -> Self {
        ScreenshotRequest {
            out,
            view,
            result: Arc::new(Mutex::new(None)),
        }
    }

    /// Records the outcome (the first one wins).
    pub fn finish(&self, r: Result<(), String>) {
        if let Ok(mut slot) = self.result.lock()
            && slot.is_none()
        {
            *slot = Some(r);
        }
    }

    pub fn outcome(&self) -> Option<Result<(), String>> {
        self.result.lock().ok().and_then(|s| s.clone())
    }
}

/// Writes the window's pixels as an RGBA PNG.
pub fn save_png(image: &egui::ColorImage, out: &Path) -> Result<(), String> {
    let [w, h] = image.size;
    let rgba: Vec<u8> = image
        .pixels
        .iter()
        .flat_map(|c| c.to_srgba_unmultiplied())
        .collect();
    let (Ok(w32), Ok(h32)) = (u32::try_from(w), u32::try_from(h)) else {
        return Err(format!("{}: image too large ({w}x{h})", out.display()));
    };
    let Some(img) = image::RgbaImage::from_raw(w32, h32, rgba) else {
        return Err(format!(
            "{}: the screenshot has {} pixels, not {w}x{h}",
            out.display(),
            image.pixels.len()
        ));
    };
    img.save_with_format(out, image::ImageFormat::Png)
        .map_err(|e| format!("{}: cannot write the screenshot: {e}", out.display()))
}

/// Frames drawn with the final view before the screenshot is taken (layouts and plots settle).
const SETTLE_FRAMES: u32 = 5;
/// A screenshot run that has not finished after this long gives up.
const SCREENSHOT_TIMEOUT: Duration = Duration::from_secs(180);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Loading,
    Settling(u32),
    Requested,
    Closing,
}

/// The steps of one screenshot run, driven by the app once per frame.
pub struct Shot {
    req: ScreenshotRequest,
    stage: Stage,
    started: Instant,
    /// No files and not live: the picture is of the start page.
    start_page: bool,
}

impl Shot {
    pub fn new(req: ScreenshotRequest, start_page: bool) -> Self {
        Shot {
            req,
            stage: Stage::Loading,
            started: Instant::now(),
            start_page,
        }
    }

    /// Whether the Trace tab is to be shown in its lanes mode.
    pub fn lanes(&self) -> bool {
        matches!(self.req.view, ViewSpec::Lanes(_))
    }

    /// Ends the run with an error (the app exits with it).
    pub fn fail(&self, e: String) {
        self.req.finish(Err(e));
    }

    /// One step: once loaded, asks for the view (the navigation returned), lets it settle,
    /// takes the screenshot, saves it from the callback, then closes the window.
    pub fn drive(
        &mut self,
        ctx: &egui::Context,
        loading: bool,
        session: Option<&Session>,
        live: bool,
    ) -> Option<Nav> {
        ctx.request_repaint_after(Duration::from_millis(200));
        if self.started.elapsed() > SCREENSHOT_TIMEOUT && self.stage != Stage::Closing {
            self.fail("the screenshot was not taken in time".to_string());
        }
        if self.req.outcome().is_some() && self.stage != Stage::Closing {
            self.stage = Stage::Closing;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            return None;
        }
        match self.stage {
            Stage::Loading if !loading => {
                let Some(session) = session else {
                    // Live mode waits for the first spans to arrive.
                    if self.start_page {
                        self.stage = Stage::Settling(0);
                    } else if !live {
                        self.fail("no input could be loaded".to_string());
                    }
                    return None;
                };
                match self.req.view.nav(session) {
                    Ok(nav) => {
                        self.stage = Stage::Settling(0);
                        return Some(nav);
                    }
                    Err(e) => self.fail(e),
                }
            }
            Stage::Settling(n) if n < SETTLE_FRAMES => {
                self.stage = Stage::Settling(n + 1);
                ctx.request_repaint();
            }
            Stage::Settling(_) => {
                self.stage = Stage::Requested;
                let req = self.req.clone();
                let repaint = ctx.clone();
                ctx.request_screenshot(move |image| {
                    req.finish(save_png(&image, &req.out));
                    repaint.request_repaint();
                });
            }
            Stage::Loading | Stage::Requested | Stage::Closing => {}
        }
        None
    }
}

impl ViewSpec {
    /// What shows this view of `session`.
    fn nav(&self, session: &Session) -> Result<Nav, String> {
        let open = |trace| Nav::OpenTrace {
            trace,
            focus_span: None,
        };
        match self {
            ViewSpec::Tab(t) => Ok(Nav::SwitchTab(*t)),
            ViewSpec::Services(f) => {
                if let Some(name) = &f.focus {
                    find_service(&session.analysis.services, name).map_err(|e| e.to_string())?;
                }
                Ok(Nav::ShowServices(f.clone()))
            }
            ViewSpec::MostBrokenTrace | ViewSpec::Lanes(None) => session
                .index
                .most_broken_trace()
                .map(open)
                .ok_or_else(|| "there is no trace to show".to_string()),
            ViewSpec::Trace(id) | ViewSpec::Lanes(Some(id)) => session
                .trace_number(*id)
                .map(open)
                .ok_or_else(|| format!("trace {id:032x} is not in the loaded files")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_options_parse() {
        let Ok(ViewSpec::Services(f)) = ViewSpec::parse(
            "services:focus=shop/api,depth=2,group=k8s.namespace.name,open=team-1,min-calls=3,only-problems",
        ) else {
            panic!("did not parse");
        };
        assert_eq!(f.focus.as_deref(), Some("shop/api"));
        assert_eq!((f.depth, f.min_calls, f.only_problems), (2, 3, true));
        assert_eq!(f.group, Grouping::K8sNamespace);
        assert!(f.expanded.contains("team-1"));
        // No options: the whole graph; a focus without depth: one hop.
        let Ok(ViewSpec::Services(f)) = ViewSpec::parse("services:focus=a") else {
            panic!("did not parse");
        };
        assert_eq!(f.depth, 1);
        for bad in [
            "services:depth=x",
            "services:group=team",
            "services:colour=red",
        ] {
            assert!(ViewSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn view_names_parse() {
        assert_eq!(ViewSpec::parse("traces"), Ok(ViewSpec::Tab(Tab::Traces)));
        assert_eq!(ViewSpec::parse("breaks"), Ok(ViewSpec::Tab(Tab::Breaks)));
        assert_eq!(ViewSpec::parse("flame"), Ok(ViewSpec::Tab(Tab::Flame)));
        assert_eq!(ViewSpec::parse("logs"), Ok(ViewSpec::Tab(Tab::Logs)));
        assert_eq!(ViewSpec::parse("trace"), Ok(ViewSpec::MostBrokenTrace));
        assert_eq!(
            ViewSpec::parse("trace:6E0F1A2B3C4D4E5F8A9B0C1D2E3F4A51"),
            Ok(ViewSpec::Trace(0x6e0f1a2b3c4d4e5f8a9b0c1d2e3f4a51))
        );
        assert_eq!(ViewSpec::parse("lanes"), Ok(ViewSpec::Lanes(None)));
        assert_eq!(
            ViewSpec::parse("lanes:4bf92f3577b34da6a3ce929d0e0e4736"),
            Ok(ViewSpec::Lanes(Some(0x4bf92f3577b34da6a3ce929d0e0e4736)))
        );
        for bad in [
            "trace:",
            "trace:xyz",
            "trace:00",
            "lanes:",
            "lanes:zz",
            "graph",
            "",
        ] {
            assert!(ViewSpec::parse(bad).is_err(), "{bad}");
        }
        let e = ViewSpec::parse("graph").err().unwrap_or_default();
        assert!(
            e.contains("services") && e.contains("trace:<trace_id>"),
            "{e}"
        );
    }

    #[test]
    fn png_round_trips_and_bad_paths_fail() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let out = dir.path().join("shot.png");
        let mut img = egui::ColorImage::filled([3, 2], egui::Color32::WHITE);
        img.pixels[1] = egui::Color32::from_rgb(200, 10, 20);
        assert_eq!(save_png(&img, &out), Ok(()));
        let back = image::open(&out)
            .unwrap_or_else(|e| panic!("{e}"))
            .to_rgba8();
        assert_eq!(back.dimensions(), (3, 2));
        assert_eq!(back.get_pixel(1, 0).0, [200, 10, 20, 255]);
        assert_eq!(back.get_pixel(0, 1).0, [255, 255, 255, 255]);
        let bad = dir.path().join("no/such/dir/shot.png");
        let e = save_png(&img, &bad).err().unwrap_or_default();
        assert!(e.starts_with(&bad.display().to_string()), "{e}");
    }
}
