//! The listener, connections and their limits, and shutdown on SIGTERM/SIGINT.
//!
//! mote runs as PID 1 in its image, with no init: the kernel gives PID 1 no default
//! signal actions, so the handlers here are what makes `docker stop` work. On a
//! signal it stops accepting (the listening socket is closed, so new connections are
//! refused at once), asks every connection to finish its in-flight response and
//! close, waits up to the grace period, and returns; the process exits 0. There are
//! no child processes, so nothing needs reaping.

pub mod log;
mod timeouts;

use std::convert::Infallible;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use crate::config::Config;
use crate::http::respond::Responder;
use timeouts::{CountingIo, HeadTimer, ReadCount};

/// Connection limits, from the config.
#[derive(Clone, Copy)]
struct Limits {
    header_timeout: Duration,
    idle_timeout: Duration,
    max_header_size: usize,
    max_connections: usize,
    grace: Duration,
}

#[derive(Debug)]
pub enum ServeError {
    Bind(SocketAddr, io::Error),
    Runtime(io::Error),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Bind(addr, e) if e.kind() == io::ErrorKind::AddrInUse => {
                write!(f, "cannot listen on {addr}: address already in use (another server on that port? try --listen)")
            }
            ServeError::Bind(addr, e) => write!(f, "cannot listen on {addr}: {e}"),
            ServeError::Runtime(e) => write!(f, "cannot start the runtime: {e}"),
        }
    }
}

impl std::error::Error for ServeError {}

/// Binds, calls `on_listening` with the bound address (the port is real even when
/// 0 was asked for), and serves until SIGTERM or SIGINT has been handled.
pub fn run(
    config: &Config,
    responder: Responder,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let listener = std::net::TcpListener::bind(config.listen)
        .map_err(|e| ServeError::Bind(config.listen, e))?;
    let local = listener
        .local_addr()
        .map_err(|e| ServeError::Bind(config.listen, e))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| ServeError::Bind(local, e))?;

    // One worker: a current-thread runtime, with no work-stealing machinery between
    // the socket and the response (measured in bench/: a tighter latency tail).
    let mut builder = if config.workers == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(config.workers);
        builder
    };
    let runtime = builder.enable_all().build().map_err(ServeError::Runtime)?;
    let limits = Limits {
        header_timeout: config.header_timeout,
        idle_timeout: config.idle_timeout,
        max_header_size: config.max_header_size,
        max_connections: config.max_connections,
        grace: config.grace,
    };
    let result = runtime.block_on(async {
        // Handlers first: a signal that arrives once we say we listen must count.
        let signals = Signals::new().map_err(ServeError::Runtime)?;
        let listener = TcpListener::from_std(listener).map_err(|e| ServeError::Bind(local, e))?;
        on_listening(local);
        serve(listener, Arc::new(responder), limits, signals).await;
        Ok(())
    });
    // Connections still open after the grace period are dropped here; a disk read
    // in progress on the blocking pool is not waited for.
    runtime.shutdown_timeout(Duration::from_millis(100));
    // Lines of responses cut at the end of the grace period, too.
    log::flush();
    result
}

async fn serve(
    listener: TcpListener,
    responder: Arc<Responder>,
    limits: Limits,
    mut signals: Signals,
) {
    let (stop_tx, stop_rx) = watch::channel(false);
    // One permit per open connection: the cap, and at shutdown the count to drain.
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    // The access log is buffered; a line waits at most a second.
    tokio::spawn(async {
        let mut every_second = tokio::time::interval(Duration::from_secs(1));
        loop {
            every_second.tick().await;
            log::flush();
        }
    });
    let signal = loop {
        let permit = tokio::select! {
            biased;
            signal = signals.recv() => break signal,
            permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        let accepted = tokio::select! {
            biased;
            signal = signals.recv() => break signal,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                tokio::spawn(connection(
                    stream,
                    peer,
                    permit,
                    responder.clone(),
                    limits,
                    stop_rx.clone(),
                ));
            }
            Err(e) if is_per_connection(&e) => {}
            Err(e) => {
                // Out of file descriptors or memory: wait for connections to close
                // rather than spin.
                eprintln!("mote: accept failed: {e}; retrying in 100ms");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    drop(listener);
    log::flush();
    let open = limits.max_connections - slots.available_permits();
    println!(
        "mote: {signal} received, finishing {open} open connection(s) (grace {:?})",
        limits.grace
    );
    let _ = stop_tx.send(true);
    let all_closed = slots.acquire_many(limits.max_connections as u32);
    let drained = tokio::time::timeout(limits.grace, all_closed).await.is_ok();
    log::flush();
    match drained {
        true => println!("mote: all connections closed, exiting"),
        false => {
            let open = limits.max_connections - slots.available_permits();
            println!("mote: grace period over, closing {open} connection(s), exiting");
        }
    }
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    _slot: OwnedSemaphorePermit,
    responder: Arc<Responder>,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let reads = ReadCount::default();
    let io = TokioIo::new(CountingIo::new(stream, reads.clone()));
    let peer_ip = peer.ip();
    let service = service_fn(move |request| {
        std::future::ready(Ok::<_, Infallible>(responder.respond(&request, peer_ip)))
    });
    let connection = http1::Builder::new()
        .timer(HeadTimer::new(
            limits.header_timeout,
            limits.idle_timeout,
            reads,
        ))
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_size)
        .serve_connection(io, service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = async { stop.wait_for(|&stop| stop).await.map(|_| ()) } => {
            // Finish the response in flight, then close; an idle connection closes now.
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Errors that concern one connection only (it died before we accepted it).
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}

/// SIGTERM (docker stop, Kubernetes) and SIGINT (Ctrl-C, docker run -it).
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}
