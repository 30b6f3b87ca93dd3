//! The backends the user connected to, remembered per URL in `backends.json` in the user's
//! config directory (`$XDG_CONFIG_HOME/tracetopo` on Linux): kind, extra headers and the NAME of
//! the token's environment variable — never a secret.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::backend::Kind;

/// Connections remembered at most; the oldest is forgotten first.
pub const MAX_SAVED: usize = 50;

/// One remembered connection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub url: String,
    /// "tempo", "jaeger", or none (detected on connect).
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The environment variable holding the token (its name only).
    #[serde(default)]
    pub token_env: Option<String>,
}

impl Saved {
    pub fn kind(&self) -> Option<Kind> {
        match self.kind.as_deref() {
            Some("tempo") => Some(Kind::Tempo),
            Some("jaeger") => Some(Kind::Jaeger),
            _ => None,
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    /// Most recent first.
    #[serde(default)]
    backends: Vec<Saved>,
}

/// The file, in `dir` (tests) or the user's config directory.
pub fn path(dir: Option<&Path>) -> Option<PathBuf> {
    let dir = match dir {
        Some(d) => d.to_path_buf(),
        None => dirs::config_dir()?.join("tracetopo"),
    };
    Some(dir.join("backends.json"))
}

/// The remembered connections, most recent first (none when the file is missing or unreadable:
/// a broken file must not keep the app from connecting; the next save rewrites it).
pub fn load(path: &Path) -> Vec<Saved> {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<File>(&b).ok())
        .map(|f| f.backends)
        .unwrap_or_default()
}

/// Puts `s` first (replacing the entry of the same URL) and writes the file.
pub fn remember(path: &Path, s: Saved) -> Result<Vec<Saved>, String> {
    let mut all = load(path);
    all.retain(|o| o.url != s.url);
    all.insert(0, s);
    all.truncate(MAX_SAVED);
    let fail =
        |e: std::io::Error| format!("cannot remember the backend in {}: {e}", path.display());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let text = serde_json::to_string_pretty(&File {
        backends: all.clone(),
    })
    .map_err(|e| format!("cannot remember the backend: {e}"))?;
    // Written beside and renamed, so that a crash never leaves half a file.
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)?;
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_per_url_most_recent_first() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let Some(p) = path(Some(dir.path())) else {
            panic!("no path")
        };
        assert!(load(&p).is_empty());
        let a = Saved {
            url: "http://a:3200".into(),
            kind: Some("tempo".into()),
            headers: vec![("X-Scope-OrgID".into(), "acme".into())],
            token_env: Some("TEMPO_TOKEN".into()),
        };
        let b = Saved {
            url: "http://b:16686".into(),
            ..Saved::default()
        };
        remember(&p, a.clone()).unwrap_or_else(|e| panic!("{e}"));
        remember(&p, b.clone()).unwrap_or_else(|e| panic!("{e}"));
        let a2 = Saved {
            token_env: None,
            ..a.clone()
        };
        let all = remember(&p, a2.clone()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(all, vec![a2.clone(), b.clone()]);
        assert_eq!(load(&p), vec![a2, b]);
        assert_eq!(a.kind(), Some(Kind::Tempo));
    }
}
