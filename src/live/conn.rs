//! Accepting connections for both protocols: at most `max_connections` open at once (beyond it
//! new ones wait in the kernel's backlog), backing off when `accept` fails for want of
//! descriptors instead of retrying at once (which spins a core), and closing a connection that
//! moves no byte either way for `idle_timeout` (idle keep-alive, half-sent requests, clients
//! that stopped reading).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::time::{Instant, Sleep};

use super::LiveConfig;
use super::server::stopped;

/// The first pause after a failed `accept`; it doubles up to `MAX_BACKOFF` while failures last.
const MIN_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// An accepted connection holding one of the `max_connections` slots until it is dropped.
pub(crate) struct Conn {
    io: TcpStream,
    _slot: OwnedSemaphorePermit,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl Conn {
    fn new(io: TcpStream, slot: OwnedSemaphorePermit, idle: Duration) -> Conn {
        let _ = io.set_nodelay(true);
        Conn {
            io,
            _slot: slot,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }

    fn moved(&mut self) {
        self.deadline.as_mut().reset(Instant::now() + self.idle);
    }

    /// Pending I/O fails once the connection has moved nothing for `idle`.
    fn expired<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection idle too long",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn wrote(
        &mut self,
        cx: &mut Context<'_>,
        r: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match r {
            Poll::Ready(Ok(n)) if n > 0 => {
                self.moved();
                Poll::Ready(Ok(n))
            }
            Poll::Pending => self.expired(cx),
            r => r,
        }
    }
}

/// Errors of one connection that `accept` reports; the listener itself is fine.
fn per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}

/// How a receiver's serve loop ends.
pub(crate) type Served = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Accepts on `listener` (bound, non-blocking) until `stop`, yielding connections within
/// `cfg.max_connections`, each closed after `cfg.idle_timeout` without a byte. Runs on the
/// current runtime; the receiver ends when the accept loop does.
pub(crate) fn incoming(
    listener: std::net::TcpListener,
    cfg: &LiveConfig,
    stop: &watch::Receiver<bool>,
    what: &'static str,
) -> io::Result<mpsc::Receiver<io::Result<Conn>>> {
    let listener = TcpListener::from_std(listener)?;
    let (max_connections, idle, stop) = (cfg.max_connections, cfg.idle_timeout, stop.clone());
    let (tx, rx) = mpsc::channel(1);
    let slots = Arc::new(Semaphore::new(max_connections.max(1)));
    tokio::spawn(async move {
        let accept = async {
            let mut backoff = MIN_BACKOFF;
            let mut failed = 0u64;
            loop {
                let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                    return;
                };
                match listener.accept().await {
                    Ok((io, _)) => {
                        if failed > 0 {
                            eprintln!(
                                "tracetopo: {what}: accepting again after {failed} failed attempts"
                            );
                        }
                        (backoff, failed) = (MIN_BACKOFF, 0);
                        if tx.send(Ok(Conn::new(io, slot, idle))).await.is_err() {
                            return;
                        }
                    }
                    Err(e) if per_connection(&e) => {}
                    Err(e) => {
                        // Out of descriptors (EMFILE/ENFILE) or memory: retrying at once
                        // would fail again at full speed. Connections that close free some.
                        if failed == 0 {
                            eprintln!(
                                "tracetopo: {what}: cannot accept connections: {e} (retrying with backoff)"
                            );
                        }
                        failed += 1;
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
            }
        };
        tokio::select! {
            () = accept => {}
            () = stopped(stop) => {}
        }
    });
    Ok(rx)
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.io).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    self.moved();
                }
                Poll::Ready(r)
            }
            Poll::Pending => self.expired(cx),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, buf);
        self.wrote(cx, r)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.wrote(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ();

    fn connect_info(&self) {}
}
