//! Durability: a client streams edits to the `aedcover serve` binary, the process is
//! SIGKILLed mid-stream, and after a restart every acknowledged edit is there.

mod api_support;

use api_support::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

fn spawn_server(db: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aedcover"))
        .args(["serve", "--addr", "127.0.0.1:0", "--db"])
        .arg(db)
        .arg("--aeds")
        .arg(fixture("seed.json"))
        .env("AEDCOVER_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (child, addr)
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
