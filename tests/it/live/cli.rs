//! `tracetopo listen` as a process: usage errors (a busy port, a missing `--out`) fail at once
//! with status 2 and a line that says why; `--headless` records everything it acknowledges
//! (`--retain` is for the app), stops on SIGTERM as on Ctrl-C, and on a write error (a full
//! disk) answers the request with an error, leaves whole lines, and exits with status 2. Out of
//! file descriptors, its accept loop backs off instead of spinning, and serves again after.

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, ChildStderr, Command, Stdio};
use std::time::{Duration, Instant};

use tracetopo::ingest::{self, LoadOptions};
use tracetopo::model::Store;

use super::request;

const JSON: (&str, &str) = ("Content-Type", "application/json");

struct Listening {
    child: Child,
    stderr: BufReader<ChildStderr>,
    http: SocketAddr,
}

/// Starts `cmd` (ending in `tracetopo listen --headless …`) and reads the addresses it prints.
fn start(mut cmd: Command) -> Listening {
    let mut child = cmd.stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let http = line
        .split("OTLP/HTTP ")
        .nth(1)
        .and_then(|r| r.split([' ', ',']).next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP address in {line:?}"));
    Listening {
        child,
        stderr,
        http,
    }
}

fn listen(out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tracetopo"));
    cmd.args(["listen", "--headless", "--out"])
        .arg(out)
        .args(["--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .args(extra);
    cmd
}

impl Listening {
    /// Waits (at most 60 s) for the process to end; its exit code and the rest of stderr.
    fn wait(mut self) -> (i32, String) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                break st;
            }
            assert!(Instant::now() < deadline, "listen did not stop");
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).unwrap();
        (status.code().unwrap_or(-1), rest)
    }

    fn signal(self, sig: &str) -> (i32, String) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        self.wait()
    }
}

fn request_json(trace: u8, spans: usize) -> String {
    let spans: Vec<String> = (1..=spans)
        .map(|i| {
            format!(
                r#"{{"traceId":"{:032x}","spanId":"{i:016x}","name":"op","kind":2,"startTimeUnixNano":"1000","endTimeUnixNano":"2000"}}"#,
                u128::from(trace) + 1
            )
        })
        .collect();
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
}

fn load(path: &Path) -> Store {
    let mut store = Store::new();
    ingest::load_path(&mut store, path, &LoadOptions::default()).expect("the recording loads");
    store
}

#[test]
fn headless_keeps_every_span_whatever_retain_says_and_sigterm_stops_it_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec.jsonl");
    let l = start(listen(&out, &["--retain", "5"]));
    let r = request(l.http, "POST", &[JSON], request_json(1, 20).as_bytes());
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let answer: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(answer, serde_json::json!({}), "no span rejected");
    let (code, err) = l.signal("-TERM");
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("terminated: recorded 20 spans from 1 requests"),
        "{err}"
    );
    assert_eq!(load(&out).spans.len(), 20);
}

#[test]
fn a_write_error_fails_the_request_and_exits_with_status_2() {
    // /dev/full: every write fails with "No space left on device".
    let full = Path::new("/dev/full");
    assert!(full.exists(), "/dev/full is missing");
    let l = start(listen(full, &[]));
    let r = request(l.http, "POST", &[JSON], request_json(1, 3).as_bytes());
    assert_eq!(
        r.status,
        503,
        "not acknowledged: {}",
        String::from_utf8_lossy(&r.body)
    );
    assert!(
        String::from_utf8_lossy(&r.body).contains("No space left on device"),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    // The recorder stops by itself, at once, and says why.
    let (code, err) = l.wait();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/dev/full: cannot write"), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
}

#[test]
fn a_full_disk_keeps_whole_lines_and_every_acknowledged_span() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let copy = dir.path().join("copy.jsonl");
    let bin = env!("CARGO_BIN_EXE_tracetopo");
    let can_mount = Command::new("unshare")
        .args(["-m", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let (cmd, error) = if can_mount {
        // A 64 KiB tmpfs of our own, in a private mount namespace (root, as in CI): the disk
        // really fills. The recording is copied out before the namespace goes.
        let script = format!(
            "mount -t tmpfs -o size=64k tmpfs '{m}' || exit 99; \
             '{bin}' listen --headless --out '{m}/rec.jsonl' --grpc 127.0.0.1:0 --http 127.0.0.1:0; \
             code=$?; cp '{m}/rec.jsonl' '{copy}'; exit $code",
            m = mnt.display(),
            copy = copy.display()
        );
        let mut cmd = Command::new("unshare");
        cmd.args(["-m", "sh", "-c", &script]);
        (cmd, "No space left on device")
    } else {
        // Without root: a file size limit fails the write the same way, part-way through a
        // line (SIGXFSZ ignored, so the write returns the error).
        let script = format!(
            "trap '' XFSZ; ulimit -f 128 && exec '{bin}' listen --headless --out '{copy}' \
             --grpc 127.0.0.1:0 --http 127.0.0.1:0",
            copy = copy.display()
        );
        let mut cmd = Command::new("sh");
        cmd.args(["-c", &script]);
        (cmd, "File too large")
    };
    let l = start(cmd);
    // Requests of 50 spans (about 9 KB a line) until one is refused.
    let mut acknowledged = 0;
    let mut refused = None;
    for trace in 0..50u8 {
        let r = request(l.http, "POST", &[JSON], request_json(trace, 50).as_bytes());
        if r.status == 200 {
            acknowledged += 50;
        } else {
            refused = Some(r);
            break;
        }
    }
    let r = refused.expect("the disk never filled");
    assert_eq!(r.status, 503);
    let (code, err) = l.wait();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(error), "{err}");
    assert!(
        err.contains(&format!("stopped after {acknowledged} spans")),
        "{err}"
    );
    // Whole lines only, and exactly the acknowledged spans.
    let text = std::fs::read_to_string(&copy).unwrap();
    assert!(text.ends_with('\n'), "a partial last line");
    for line in text.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("every line is whole JSON");
    }
    assert!(acknowledged > 0);
    assert_eq!(load(&copy).spans.len(), acknowledged);
}

#[test]
fn out_of_descriptors_the_receiver_backs_off_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec.jsonl");
    // 48 descriptors: the receiver's own take about 20; the connections below take the rest.
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(format!(
        "ulimit -n 48 && exec '{}' listen --headless --out '{}' --grpc 127.0.0.1:0 \
             --http 127.0.0.1:0 --max-connections 1000",
        env!("CARGO_BIN_EXE_tracetopo"),
        out.display()
    ));
    let mut l = start(cmd);
    let held: Vec<_> = (0..80)
        .map(|_| std::net::TcpStream::connect(l.http).unwrap())
        .collect();
    let mut line = String::new();
    l.stderr.read_line(&mut line).unwrap();
    assert!(line.contains("Too many open files"), "{line}");
    // Out of descriptors for a while: a loop retrying at once would fail many thousands of
    // times meanwhile.
    std::thread::sleep(Duration::from_secs(2));
    drop(held);
    let r = request(l.http, "POST", &[JSON], request_json(1, 2).as_bytes());
    assert_eq!(r.status, 200, "served again once descriptors freed");
    let (code, err) = l.signal("-TERM");
    assert_eq!(code, 0, "{err}");
    let failed: u64 = err
        .split("accepting again after ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no recovery line: {err}"));
    assert!(
        failed < 100,
        "{failed} failed accepts in 2 s: the loop spins"
    );
    assert!(err.contains("recorded 2 spans"), "{err}");
}

fn usage(args: &[&str]) -> (i32, String) {
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
    let (code, err) = usage(&[
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
    let (code, err) = usage(&["--headless"]);
    assert_eq!(code, 2);
    assert!(err.contains("--out"), "{err}");
    let (code, err) = usage(&["--max-spans", "5"]);
    assert_eq!(code, 2, "--max-spans is for --headless");
    assert!(err.contains("--headless"), "{err}");
}
