//! Durability: a client streams edits to the `aedcover serve` binary, the process is
//! SIGKILLed mid-stream, and after a restart every acknowledged edit is there.

use crate::api_support;

use api_support::*;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

fn spawn_server(db: &std::path::Path) -> (Served, String) {
    spawn_seeded(
        db,
        &["--aeds".into(), fixture("seed.json").display().to_string()],
    )
}

fn spawn_seeded(db: &std::path::Path, seed: &[String]) -> (Served, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aedcover"));
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(db)
        .args(seed)
        .env("AEDCOVER_TOKEN", TOKEN);
    spawn_serve(cmd)
}

#[test]
fn acknowledged_edits_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("registry.db");
    let (mut child, addr) = spawn_server(&db);

    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    // Four clients stream adds concurrently, so commits are in flight when the kill lands.
    let clients: Vec<_> = (0..4)
        .map(|w| {
            let (acked, count, stop, addr) =
                (acked.clone(), count.clone(), stop.clone(), addr.clone());
            std::thread::spawn(move || {
                for i in (w..100_000).step_by(4) {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let id = format!("D{i:05}");
                    let body = serde_json::json!({
                        "id": id, "name": format!("Durable {i}"),
                        "lon": -1.2 + (i as f64) * 1e-5, "lat": 52.77,
                        "access": "public_24_7", "status": "ready", "managed_by": "community"
                    })
                    .to_string();
                    match http(&addr, "POST", "/registry/aeds", Some(TOKEN), &body) {
                        Ok((201, _)) => {
                            acked.lock().unwrap().push(id);
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok((status, b)) => panic!("unexpected {status}: {b}"),
                        Err(_) => break, // the server died mid-request: not acknowledged
                    }
                }
            })
        })
        .collect();
    while count.load(Ordering::SeqCst) < 100 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 100);

    let (mut child, addr) = spawn_server(&db);
    let (status, health) = http(&addr, "GET", "/health", None, "").unwrap();
    assert_eq!(status, 200);
    let health: serde_json::Value = serde_json::from_str(&health).unwrap();
    let total = health["aeds"].as_u64().unwrap() as usize;
    assert!(total >= 6 + acked.len(), "{total} < 6 + {}", acked.len());
    for id in &acked {
        let (status, body) = http(
            &addr,
            "GET",
            &format!("/collections/aeds/items/{id}"),
            None,
            "",
        )
        .unwrap();
        assert_eq!(status, 200, "acknowledged edit {id} lost: {body}");
    }
    let (status, log) = http(&addr, "GET", "/registry/audit", Some(TOKEN), "").unwrap();
    assert_eq!(status, 200);
    let log: serde_json::Value = serde_json::from_str(&log).unwrap();
    let adds = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "add_aed")
        .count();
    assert!(
        adds >= acked.len(),
        "audit has {adds} adds for {} acks",
        acked.len()
    );
    child.kill().unwrap();
    child.wait().unwrap();
    println!(
        "acknowledged {} edits before SIGKILL; all present after restart",
        acked.len()
    );
}

#[test]
fn registry_export_writes_csv_that_seeds_a_new_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("one.db");
    let (mut child, addr) = spawn_server(&db);
    let body = r#"{"id": "X1", "name": "Exported", "lon": -1.21, "lat": 52.77,
                  "access": "public_24_7", "status": "ready", "managed_by": "emas"}"#;
    assert_eq!(
        http(&addr, "POST", "/registry/aeds", Some(TOKEN), body)
            .unwrap()
            .0,
        201
    );
    child.kill().unwrap();
    child.wait().unwrap();

    let out = dir.path().join("csv");
    let st = Command::new(env!("CARGO_BIN_EXE_aedcover"))
        .args(["registry", "export", "--db"])
        .arg(&db)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let aeds_csv = std::fs::read_to_string(out.join("aeds.csv")).unwrap();
    assert_eq!(aeds_csv.lines().count(), 1 + 7, "{aeds_csv}");
    assert!(aeds_csv.contains("X1,Exported"), "{aeds_csv}");
    let g_csv = std::fs::read_to_string(out.join("guardians.csv")).unwrap();
    assert!(g_csv.contains("Test Guardian One"));

    // The exported CSVs seed a fresh database with the same registry.
    let db2 = dir.path().join("two.db");
    let seed = [
        "--aeds".to_string(),
        out.join("aeds.csv").display().to_string(),
        "--guardians".to_string(),
        out.join("guardians.csv").display().to_string(),
    ];
    let (mut child, addr) = spawn_seeded(&db2, &seed);
    let (_, h) = http(&addr, "GET", "/health", None, "").unwrap();
    let h: serde_json::Value = serde_json::from_str(&h).unwrap();
    assert_eq!(h["aeds"], 7, "{h}");
    assert_eq!(h["aeds_without_location"], 1, "{h}");
    let (_, g) = http(&addr, "GET", "/registry/guardians", Some(TOKEN), "").unwrap();
    assert!(g.contains("test.guardian1@example.org"), "{g}");
    let (status, _) = http(&addr, "GET", "/collections/aeds/items/X1", None, "").unwrap();
    assert_eq!(status, 200);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Starts the fixture server in-process with short limits; returns `127.0.0.1:PORT`.
fn start_limited(limits: aedcover::api::ServeLimits) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap().to_string()).unwrap();
            aedcover::api::serve_with(listener, state(Some(TOKEN)), limits)
                .await
                .unwrap();
        });
    });
    rx.recv().unwrap()
}

/// Reads until the server closes; Ok(what it sent) or Err when it kept the socket open
/// past the read timeout.
fn read_until_closed(s: &mut std::net::TcpStream) -> std::io::Result<String> {
    use std::io::Read;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Ok(String::from_utf8_lossy(&all).into_owned()),
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Ok(String::from_utf8_lossy(&all).into_owned());
            }
            Err(e) => return Err(e),
        }
    }
}

#[test]
fn slow_and_idle_clients_are_cut_off_and_health_still_answers() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    let limits = aedcover::api::ServeLimits {
        header_read_timeout: std::time::Duration::from_secs(1),
        body_read_timeout: std::time::Duration::from_secs(1),
        max_connections: 256,
    };
    let addr = start_limited(limits);
    // Half-sent requests, held open.
    let mut half: Vec<TcpStream> = (0..100)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(b"GET /health HTTP/1.1\r\nHo").unwrap();
            s
        })
        .collect();
    let (status, body) = http(&addr, "GET", "/health", None, "").unwrap();
    assert_eq!(status, 200, "{body}");
    for s in &mut half {
        read_until_closed(s).expect("a half-sent request is closed after the header timeout");
    }
    // An idle keep-alive connection is closed too.
    let mut idle = TcpStream::connect(&addr).unwrap();
    write!(idle, "GET /health HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    read_until_closed(&mut idle).expect("an idle keep-alive connection is closed");
    // A body that never arrives: the request fails (4xx), the connection closes.
    let mut slow = TcpStream::connect(&addr).unwrap();
    write!(
        slow,
        "POST /registry/aeds HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"id\":"
    )
    .unwrap();
    let answer = read_until_closed(&mut slow).expect("a slow body is cut off");
    assert!(
        answer.starts_with("HTTP/1.1 4") || answer.is_empty(),
        "{answer}"
    );
    let (status, _) = http(&addr, "GET", "/health", None, "").unwrap();
    assert_eq!(status, 200);
}

/// A second `serve` on a database in use stops at once with a clear message, before it
/// writes anything (the first server's `<db>.analysis/` is left as it was); after the first
/// is killed, a new one starts.
#[test]
fn a_second_server_on_the_same_database_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("registry.db");
    let (mut first, addr) = spawn_server(&db);
    let analysis = dir.path().join("registry.db.analysis");
    std::fs::create_dir_all(&analysis).unwrap();
    std::fs::write(analysis.join("summary.json"), "first").unwrap();
    let study =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/api_study/open.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_aedcover"))
        .args(["serve", "--addr", "127.0.0.1:0", "--study"])
        .arg(&study)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "second server started: {stderr}");
    assert!(
        stderr.contains("another aedcover serve is already using this database"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("process {}", first.id())),
        "{stderr}"
    );
    let names: Vec<_> = std::fs::read_dir(&analysis)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        names,
        ["summary.json"],
        "the second server wrote into the first's analysis"
    );
    assert_eq!(
        std::fs::read_to_string(analysis.join("summary.json")).unwrap(),
        "first"
    );
    assert_eq!(http(&addr, "GET", "/health", None, "").unwrap().0, 200);
    first.kill().unwrap();
    first.wait().unwrap();
    let (mut again, addr) = spawn_server(&db);
    assert_eq!(http(&addr, "GET", "/health", None, "").unwrap().0, 200);
    again.kill().unwrap();
    again.wait().unwrap();
}

/// The server process's resident memory in kB (`VmRSS` of `/proc/PID/status`).
fn rss_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// This process's soft limit on open files (`/proc/self/limits`).
fn open_files_limit() -> Option<usize> {
    let s = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = s.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// `/health` over a fresh connection: (status, milliseconds).
fn timed_health(addr: &str) -> (u16, f64) {
    let t = std::time::Instant::now();
    let (status, _) = http(addr, "GET", "/health", None, "").unwrap();
    (status, t.elapsed().as_secs_f64() * 1e3)
}

/// The flood of issue 15: 2,000 half-open connections (headers half sent) held open.
/// `/health` still answers, every held connection is closed by the server within its
/// header timeout, and the server's memory comes back down. The figures (latency, RSS) are
/// printed; wall-clock bounds are loose so a loaded CI machine does not fail it
/// (`.ci/flood.sh` runs it and quotes them). The count is sized to this process's
/// descriptor limit (client and server each hold one per connection) when that is lower.
#[test]
fn a_flood_of_half_open_connections_does_not_stall_health_or_hold_memory() {
    use std::io::Write;
    let want = 2000;
    let n = open_files_limit().map_or(want, |l| want.min(l.saturating_sub(200) / 2));
    if n < want {
        eprintln!("NOTE: open-files limit allows {n} connections, not {want}");
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("registry.db");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aedcover"));
    cmd.args([
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--header-timeout-s",
        "3",
        "--db",
    ])
    .arg(&db)
    .args(["--aeds", &fixture("seed.json").display().to_string()]);
    let (mut child, addr) = spawn_serve(cmd);
    let pid = child.id();
    for _ in 0..200 {
        assert_eq!(timed_health(&addr).0, 200);
    }
    let baseline = rss_kb(pid).unwrap_or(0);
    let opened = std::time::Instant::now();
    let mut held: Vec<std::net::TcpStream> = (0..n)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(&addr).unwrap();
            s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
            s
        })
        .collect();
    let mut worst_ms: f64 = 0.0;
    for _ in 0..20 {
        let (status, ms) = timed_health(&addr);
        assert_eq!(status, 200);
        worst_ms = worst_ms.max(ms);
    }
    let peak = rss_kb(pid).unwrap_or(0);
    for s in &mut held {
        read_until_closed(s).expect("a held connection is closed after the header timeout");
    }
    let closed_s = opened.elapsed().as_secs_f64();
    drop(held);
    std::thread::sleep(std::time::Duration::from_millis(500));
    for _ in 0..200 {
        assert_eq!(timed_health(&addr).0, 200);
    }
    // The memory is handed back off the request path (a blocking task): allow it 2 s.
    let settled = std::time::Instant::now();
    let mut after = rss_kb(pid).unwrap_or(0);
    while after * 10 > baseline * 11 && settled.elapsed().as_secs_f64() < 2.0 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        after = rss_kb(pid).unwrap_or(0);
    }
    eprintln!(
        "flood: {n} half-open connections; /health worst {worst_ms:.1} ms while held; \
         all closed {closed_s:.1} s after opening (header timeout 3 s); \
         RSS baseline {baseline} kB, peak {peak} kB, after {after} kB ({:+.1} %)",
        (after as f64 / baseline.max(1) as f64 - 1.0) * 100.0
    );
    assert!(
        worst_ms < 2000.0,
        "/health took {worst_ms} ms during the flood"
    );
    // Freed connection memory goes back to the system: within 10 % of the baseline (issue
    // 15); a server that kept what the flood took would be at its peak.
    assert!(
        after * 10 <= baseline * 11,
        "RSS baseline {baseline} kB, peak {peak} kB, after {after} kB"
    );
    assert!(
        closed_s < 3.0 + 10.0,
        "held connections closed after {closed_s} s"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Spawns `serve --study` on `db`; returns the child, its address, its stderr file and the
/// seconds from spawn to listening.
fn spawn_study(db: &std::path::Path, log: &std::path::Path) -> (Served, String, f64) {
    let study =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/api_study/open.toml");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aedcover"));
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--study"])
        .arg(&study)
        .arg("--db")
        .arg(db)
        .env("AEDCOVER_TOKEN", TOKEN)
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap());
    let t = std::time::Instant::now();
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("{line:?}: {}", std::fs::read_to_string(log).unwrap()))
        .to_string();
    (Served(child), addr, t.elapsed().as_secs_f64())
}

/// Every derived collection's items, without the time of the response and the links.
fn derived_items(addr: &str) -> Vec<String> {
    ["gaps", "coverage", "sites", "areas", "aeds"]
        .iter()
        .map(|c| {
            let (_, body) = http(
                addr,
                "GET",
                &format!("/collections/{c}/items?limit=10000"),
                None,
                "",
            )
            .unwrap();
            let mut v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            v["timeStamp"] = serde_json::Value::Null;
            v["links"] = serde_json::Value::Null; // the port differs between starts
            v.to_string()
        })
        .collect()
}

/// A restart on unchanged inputs and registry serves the cached analysis (no pipeline run)
/// with the same features; an edited registry is a miss and is analysed again.
#[test]
fn a_restart_on_unchanged_inputs_serves_the_cached_analysis() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("registry.db");
    let log = dir.path().join("serve.log");
    let (mut first, addr, first_s) = spawn_study(&db, &log);
    let served = derived_items(&addr);
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(
        dir.path()
            .join("registry.db.analysis/served.json")
            .is_file()
    );

    let (mut second, addr, second_s) = spawn_study(&db, &log);
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(said.contains("serving it (cached)"), "{said}");
    assert!(
        !said.contains("written to"),
        "the pipeline ran again: {said}"
    );
    assert_eq!(derived_items(&addr), served, "the cached analysis differs");
    eprintln!("restart: first start {first_s:.2} s, cached start {second_s:.2} s");
    // An edit changes the registry: the next start analyses again, with the new AED.
    let add = serde_json::json!({"id": "H9", "name": "New cabinet far east", "lat": 52.7721,
        "lon": -1.1840, "access": "public_24_7", "status": "ready", "managed_by": "community"});
    let (status, body) = http(
        &addr,
        "POST",
        "/registry/aeds",
        Some(TOKEN),
        &add.to_string(),
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    second.kill().unwrap();
    second.wait().unwrap();

    let (mut third, addr, _) = spawn_study(&db, &log);
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(!said.contains("serving it (cached)"), "{said}");
    let now = derived_items(&addr);
    assert_ne!(
        now[1], served[1],
        "coverage did not follow the edited registry"
    );
    assert!(now[4].contains("\"H9\""), "{}", now[4]);
    third.kill().unwrap();
    third.wait().unwrap();
}
