//! The connection loop: HTTP/1.1 through hyper with limits, so a slow or idle client cannot
//! stall the service. A request's headers must arrive within the header timeout (counted
//! from the connection's start or the end of the previous response, so an idle keep-alive
//! connection is closed after it too); its body within the body timeout; and at most
//! `max_connections` are served at once (more wait in the listen backlog).

use axum::Router;
use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Sleep;
use tower::ServiceExt;

/// Limits on what one client may hold.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// For a request's headers to arrive (also the longest idle keep-alive).
    pub header_read_timeout: Duration,
    /// For a request's whole body to arrive, from the end of its headers.
    pub body_read_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 4096,
        }
    }
}

/// A request body that fails once its deadline passes.
struct TimedBody {
    inner: Incoming,
    deadline: Pin<Box<Sleep>>,
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => {
                Poll::Ready(Some(Err("the request body did not arrive in time".into())))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The number of connections open at once that counts as a flood worth trimming after.
const FLOOD_CONNECTIONS: usize = 64;

/// Connections open now, the most since memory was last handed back, and whether a flood
/// came since the server was last idle.
#[derive(Default)]
struct Live {
    now: AtomicUsize,
    peak: AtomicUsize,
    flooded: AtomicBool,
}

impl Live {
    fn opened(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        if now >= FLOOD_CONNECTIONS {
            self.flooded.store(true, Ordering::SeqCst);
        }
    }

    /// Each time a flood ebbs to a quarter of its peak (from at least [`FLOOD_CONNECTIONS`];
    /// 2,000 → 500 → 125 → 31), hands the memory its connections freed back to the system:
    /// glibc's allocator otherwise keeps it in its per-thread arenas, and the server would stay
    /// at the flood's size. Trimming again as the tail closes brings the server back to its
    /// baseline, not to where it was when a quarter of the flood was still open. The last
    /// connection of a flood to close trims once more: what the tail freed goes back too.
    fn closed(&self) {
        let now = self.now.fetch_sub(1, Ordering::SeqCst).saturating_sub(1);
        let peak = self.peak.load(Ordering::SeqCst);
        let ebbed = peak >= FLOOD_CONNECTIONS
            && now <= peak / 4
            && self
                .peak
                .compare_exchange(peak, now, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok();
        let idle_after_flood = now == 0 && self.flooded.swap(false, Ordering::SeqCst);
        if ebbed || idle_after_flood {
            tokio::task::spawn_blocking(release_free_memory);
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_memory() {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: malloc_trim only returns free pages of the allocator's heaps to the system.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() {}

/// Serves `app` on `listener` with `limits` until the process ends.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: ServeLimits,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let live = Arc::new(Live::default());
    loop {
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .map_err(std::io::Error::other)?;
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors and the like: wait instead of spinning.
                eprintln!("aedcover serve: accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let app = app.clone();
        live.opened();
        let live = live.clone();
        tokio::spawn(async move {
            let _held = permit;
            let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let deadline = Box::pin(tokio::time::sleep(limits.body_read_timeout));
                let req = req.map(|inner| axum::body::Body::new(TimedBody { inner, deadline }));
                app.clone().oneshot(req)
            });
            // A client that times out or resets is its own problem, not the server's.
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
            live.closed();
        });
    }
}
