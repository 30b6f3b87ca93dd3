//! `tracetopo listen` usage errors: a busy port and a missing `--out` fail at once with
//! status 2 and a line that says why.

use std::net::TcpListener;
use std::process::Command;

fn listen(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tracetopo"))
        .arg("listen")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn a_busy_port_is_named_and_fails() {
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.jsonl");
    let (code, err) = listen(&[
        "--headless",
        "--out",
        out.to_str().unwrap(),
        "--grpc",
        &addr,
        "--http",
        "127.0.0.1:0",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("cannot listen on {addr} (OTLP/gRPC)")),
        "{err}"
    );
}

#[test]
fn headless_needs_out() {
    let (code, err) = listen(&["--headless"]);
    assert_eq!(code, 2);
    assert!(err.contains("--out"), "{err}");
    let (code, err) = listen(&["--max-spans", "5"]);
    assert_eq!(code, 2, "--max-spans is for --headless");
    assert!(err.contains("--headless"), "{err}");
}
