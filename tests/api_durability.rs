//! Durability: a client streams edits to the `aedcover serve` binary, the process is
//! SIGKILLed mid-stream, and after a restart every acknowledged edit is there.

use crate::api_support;

use api_support::*;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

fn spawn_server(db: &std::path::Path) -> (Child, String) {
    spawn_seeded(
        db,
        &["--aeds".into(), fixture("seed.json").display().to_string()],
    )
}

fn spawn_seeded(db: &std::path::Path, seed: &[String]) -> (Child, String) {
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
