//! The `tracetopo` binary as a user runs it: exit codes and error lines.

use std::process::{Command, Output};

fn tracetopo(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_tracetopo"))
        .args(args)
        .output();
    match out {
        Ok(o) => o,
        Err(e) => panic!("cannot run tracetopo: {e}"),
    }
}

#[test]
fn unknown_fail_on_kind_is_a_usage_error() {
    let out = tracetopo(&["analyze", "x.json", "--fail-on", "orphan_span,nonsense"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown break kind \"nonsense\""), "{err}");
    assert!(
        err.contains("valid kinds: orphan_span, parent_cycle, propagation_break, detached_root"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn missing_file_gives_one_line_naming_it() {
    let dir = tempfile::tempdir().ok();
    let missing = dir
        .as_ref()
        .map(|d| d.path().join("no-such-trace.json"))
        .unwrap_or_else(|| "no-such-trace.json".into());
    let missing = missing.to_string_lossy().into_owned();
    let out = tracetopo(&["analyze", &missing]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with(&format!("tracetopo: {missing}: ")), "{err}");
    assert!(out.stdout.is_empty(), "no report when an input failed");
}

#[test]
fn analyze_needs_a_file() {
    let out = tracetopo(&["analyze"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FILE"));
}

#[test]
fn help_lists_the_subcommands_and_the_app_options() {
    let out = tracetopo(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for word in ["analyze", "generate", "--screenshot", "--view", "[FILE]..."] {
        assert!(help.contains(word), "{word} missing from:\n{help}");
    }
}

/// Without a subcommand the app opens (SPEC §6); with no display that fails in one line.
#[cfg(target_os = "linux")]
#[test]
fn no_subcommand_opens_the_app_and_fails_cleanly_without_a_display() {
    let out = Command::new(env!("CARGO_BIN_EXE_tracetopo"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .output();
    let out = out.unwrap_or_else(|e| panic!("cannot run tracetopo: {e}"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines()
            .any(|l| l.starts_with("tracetopo: cannot open the window: ")),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}
