//! The listener, connections and their limits, and shutdown on signals.
//!
//! mote runs as PID 1 in its image, with no init: the kernel gives PID 1 no default
//! signal actions, so the handlers here are what makes `docker stop` work. On
//! SIGTERM, SIGINT, SIGHUP or SIGQUIT it stops accepting (new handshakes are
//! refused, the connections already queued are served, and the listening socket
//! is closed), asks every connection to finish its
//! in-flight response and close, waits up to the grace period, and returns; the
//! process exits 0. A second signal during the grace period ends it at once. There
//! are no child processes, so nothing needs reaping.

mod admin;
mod gate;
pub mod log;
pub mod metrics;
mod os;
mod timeouts;

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use admin::{Admin, READY};
pub use gate::host_is_valid;
use gate::{Gate, DRAINING};
use log::AccessLog;
use timeouts::{ConnIo, HeadTimer, ReadCount};

/// The server's slice of the configuration: where to listen, the limits on
/// connections, and shutdown.
#[derive(Debug, Clone, Copy)]
pub struct ServerOptions {
    /// The address to bind (port 0: any free port, reported to `on_listening`).
    pub listen: SocketAddr,
    /// Connections served at once; more wait in the listen backlog. Lowered at
    /// start to what the open-file limit allows.
    pub max_connections: usize,
    /// The largest request head accepted (hyper answers 431 beyond it).
    pub max_header_size: usize,
    /// Time a client has to send a request head.
    pub header_timeout: Duration,
    /// Time a kept-alive connection may sit idle between requests.
    pub idle_timeout: Duration,
    /// Time a response may make no progress (the client not reading) before the
    /// connection is cut.
    pub send_timeout: Duration,
    /// On SIGTERM/SIGINT/SIGHUP, time the site is still served (with /readyz
    /// 503 and `Connection: close`) before the listener closes.
    pub drain_delay: Duration,
    /// Then, time in-flight responses get to finish.
    pub grace: Duration,
    /// The admin listener (/livez, /readyz, /metrics), if any.
    pub admin: Option<SocketAddr>,
    /// Runtime worker threads (1: a current-thread runtime).
    pub workers: usize,
    /// Record a line per request on stdout.
    pub access_log: bool,
    /// In this format.
    pub log_format: log::LogFormat,
}

/// Why the server could not start (exit code 1).
#[derive(Debug)]
pub enum ServeError {
    /// The address could not be bound (in use, not local, no permission).
    Bind(SocketAddr, io::Error),
    /// The tokio runtime or the signal handlers could not be set up.
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
/// 0 was asked for), and serves `app` until a signal has been handled.
pub fn run(
    options: &ServerOptions,
    app: Router,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let mut options = *options;
    let fits = os::raise_open_file_limit().unwrap_or(u64::MAX);
    if options.max_connections as u64 > fits {
        log::warning(&format!(
                "mote: --max-connections {} lowered to {fits}: that is what the open-file limit allows (raise it with ulimit -n)",
                options.max_connections
            ));
        options.max_connections = fits as usize;
    }

    // One worker: a current-thread runtime, with no work-stealing machinery between
    // the socket and the response (measured in bench/: a tighter latency tail).
    let mut builder = if options.workers == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(options.workers);
        builder
    };
    let runtime = builder.enable_all().build().map_err(ServeError::Runtime)?;
    let result = runtime.block_on(async {
        let listener = bind(options.listen).map_err(|e| ServeError::Bind(options.listen, e))?;
        let local = listener
            .local_addr()
            .map_err(|e| ServeError::Bind(options.listen, e))?;
        let admin = match options.admin {
            Some(addr) => Some(bind(addr).map_err(|e| ServeError::Bind(addr, e))?),
            None => None,
        };
        // Handlers first: a signal that arrives once we say we listen must count.
        let signals = Signals::new().map_err(ServeError::Runtime)?;
        log::start(options.access_log.then_some(options.log_format));
        on_listening(local);
        if let Some(admin) = admin {
            if let Ok(bound) = admin.local_addr() {
                log::lifecycle(&format!(
                    "mote: admin on http://{bound}: /livez /readyz /metrics"
                ));
            }
            tokio::spawn(serve_admin(admin, options));
        }
        READY.store(true, Ordering::Relaxed);
        serve(listener, app, options, signals).await;
        Ok(())
    });
    // Connections still open after the grace period are dropped here.
    runtime.shutdown_timeout(Duration::from_millis(100));
    // Lines of responses cut at the end of the grace period, too; a stdout that
    // does not take them within a second does not hold up the exit.
    log::finish(Duration::from_secs(1));
    result
}

/// A listening socket with the backlog the kernel allows (std's is fixed at 128:
/// a burst of connections beyond the cap would be refused instead of waiting).
/// `[::]` is dual-stack (IPv4 clients arrive as ::ffff:a.b.c.d) whatever the
/// host's bindv6only; where the host has no IPv6 at all, it becomes `0.0.0.0`.
fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    match bind_exactly(addr) {
        Err(e) if addr.ip() == std::net::Ipv6Addr::UNSPECIFIED && no_ipv6(&e) => {
            let v4 = SocketAddr::from(([0, 0, 0, 0], addr.port()));
            log::warning(&format!(
                "mote: this host has no IPv6 ({e}); listening on {v4} instead of {addr}"
            ));
            bind_exactly(v4)
        }
        result => result,
    }
}

fn bind_exactly(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => {
            let socket = TcpSocket::new_v6()?;
            os::set_dual_stack(&socket)?;
            socket
        }
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(os::listen_backlog())
}

/// The errors of a host without IPv6 (disabled in the kernel or the container).
fn no_ipv6(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EAFNOSUPPORT | libc::EADDRNOTAVAIL | libc::EPROTONOSUPPORT)
    )
}

async fn serve(listener: TcpListener, app: Router, options: ServerOptions, mut signals: Signals) {
    let (stop_tx, stop_rx) = watch::channel(false);
    // One permit per open connection: the cap, and at shutdown the count to drain.
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let accepting = SiteListener {
        listener: &listener,
        slots: &slots,
        app: &app,
        options,
        stop: &stop_rx,
    };
    let signal = accepting.accept_until(signals.recv()).await;
    READY.store(false, Ordering::Relaxed);
    if !options.drain_delay.is_zero() {
        // Kubernetes keeps sending requests for a moment after it has begun to stop
        // a pod: keep serving them, each answered with Connection: close, while
        // /readyz says 503 and the endpoints are updated.
        DRAINING.store(true, Ordering::Relaxed);
        log::lifecycle(&format!(
                "mote: {signal} received, serving for the drain delay ({:?}) with /readyz 503, then closing the listener",
                options.drain_delay
            ));
        let delay = tokio::time::sleep(options.drain_delay);
        let second = accepting
            .accept_until(async {
                tokio::select! {
                    _ = delay => None,
                    second = signals.recv() => Some(second),
                }
            })
            .await;
        if let Some(second) = second {
            log::lifecycle(&format!("mote: second signal ({second}), exiting now"));
            return;
        }
    }
    serve_queue(&listener, &accepting).await;
    drop(listener);
    let open = options.max_connections - slots.available_permits();
    log::lifecycle(&format!(
            "mote: {signal} received, finishing {open} open connection(s) (grace {:?}; a second signal ends it now)",
            options.grace
        ));
    let _ = stop_tx.send(true);
    let ending = finish_connections(&slots, options, &mut signals).await;
    log::lifecycle(&format!("mote: {ending}, exiting"));
}

/// Readies the site's listener to close without resetting what the kernel has
/// queued (closing it resets its queue): new handshakes are refused, then the
/// queue is served.
async fn serve_queue(listener: &TcpListener, accepting: &SiteListener<'_>) {
    // From here on every response closes its connection.
    DRAINING.store(true, Ordering::Relaxed);
    if let Err(e) = os::refuse_new_connections(listener) {
        log::warning(&format!(
            "mote: could not stop new connections before closing the listener: {e}"
        ));
    }
    // These get Connection: close and are not asked to stop: each has its one
    // request to send.
    let (_no_stop, queued_stop) = watch::channel(false);
    let queued = SiteListener {
        stop: &queued_stop,
        ..*accepting
    };
    queued.accept_queued().await;
}

/// Waits for the open connections (each holds a slot) for the grace period, or
/// until a second signal; says how it ended.
async fn finish_connections(
    slots: &Semaphore,
    options: ServerOptions,
    signals: &mut Signals,
) -> String {
    let all_closed = slots.acquire_many(options.max_connections as u32);
    tokio::select! {
        drained = tokio::time::timeout(options.grace, all_closed) => match drained {
            Ok(_) => "all connections closed".to_string(),
            Err(_) => format!(
                "grace period over, closing {} connection(s)",
                options.max_connections - slots.available_permits()
            ),
        },
        second = signals.recv() => format!(
            "second signal ({second}), closing {} connection(s) now",
            options.max_connections - slots.available_permits()
        ),
    }
}

/// The site's listener and what each of its connections needs.
struct SiteListener<'a> {
    listener: &'a TcpListener,
    slots: &'a Arc<Semaphore>,
    app: &'a Router,
    options: ServerOptions,
    stop: &'a watch::Receiver<bool>,
}

impl SiteListener<'_> {
    /// Accepts connections (at most `max_connections` open) until `until` is done.
    async fn accept_until<T>(&self, until: impl Future<Output = T>) -> T {
        tokio::pin!(until);
        loop {
            let permit = tokio::select! {
                biased;
                done = &mut until => return done,
                permit = self.slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            };
            let accepted = tokio::select! {
                biased;
                done = &mut until => return done,
                accepted = self.listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, peer)) => self.spawn(stream, peer, permit),
                Err(e) if is_per_connection(&e) => {}
                Err(e) => {
                    // Out of file descriptors or memory: wait for connections to close
                    // rather than spin.
                    log::warning(&format!("mote: accept failed: {e}; retrying in 100ms"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

impl SiteListener<'_> {
    /// Serves the connections the kernel has queued, as many as there are slots
    /// for (they get `Connection: close`: the server is draining).
    async fn accept_queued(&self) {
        loop {
            let Ok(permit) = self.slots.clone().try_acquire_owned() else {
                return;
            };
            // The accept syscall itself until the queue is empty: tokio's accept
            // tries it only once its reactor has seen the listener readable, and
            // connections queued since its last turn would be missed (and reset).
            match os::accept_now(self.listener)
                .and_then(|(stream, peer)| Ok((TcpStream::from_std(stream)?, peer)))
            {
                Ok((stream, peer)) => self.spawn(stream, peer, permit),
                Err(e) if is_per_connection(&e) => {}
                Err(_) => return,
            }
        }
    }

    /// Serves one accepted connection in a task of its own, holding `permit`.
    /// Inlined into the accept loops: out of line, every request on the
    /// connection cost 730 more instructions (bench/instructions.py).
    #[inline(always)]
    fn spawn(&self, stream: TcpStream, peer: SocketAddr, permit: OwnedSemaphorePermit) {
        let service = TowerToHyperService::new(AccessLog::new(Gate(self.app.clone()), peer.ip()));
        let stop = self.stop.clone();
        let options = self.options;
        tokio::spawn(async move {
            let metrics = metrics::get();
            metrics.connections_total.fetch_add(1, Ordering::Relaxed);
            metrics.connections_open.fetch_add(1, Ordering::Relaxed);
            if !connection(stream, service, options, stop, Unread::Answer).await {
                metrics.connection_errors.fetch_add(1, Ordering::Relaxed);
            }
            metrics.connections_open.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
        });
    }
}

/// The open admin connections, oldest first: an id, and what closes it.
type AdminConnections = VecDeque<(u64, watch::Sender<bool>)>;

/// Admin connections open at once; a new one beyond this closes the oldest.
const ADMIN_CONNECTIONS: usize = 32;
/// The admin listener's own timeouts (a probe's request is one small head):
/// idle connections there cannot hold it for the site's long ones.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(2);

/// The admin listener, until the process exits. A probe must always get through,
/// whoever else is connected: every connection is accepted at once, each has
/// [`ADMIN_TIMEOUT`] to send its request and to idle, and beyond
/// [`ADMIN_CONNECTIONS`] the oldest is closed (after its response in flight).
async fn serve_admin(listener: TcpListener, options: ServerOptions) {
    let options = ServerOptions {
        header_timeout: options.header_timeout.min(ADMIN_TIMEOUT),
        idle_timeout: options.idle_timeout.min(ADMIN_TIMEOUT),
        send_timeout: options.send_timeout.min(ADMIN_TIMEOUT),
        ..options
    };
    let open: Arc<std::sync::Mutex<AdminConnections>> = Arc::default();
    let mut next_id = 0u64;
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) if is_per_connection(&e) => continue,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let id = next_id;
        next_id += 1;
        let (close, stop) = watch::channel(false);
        {
            let mut open = open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if open.len() >= ADMIN_CONNECTIONS {
                if let Some((_, oldest)) = open.pop_front() {
                    let _ = oldest.send(true);
                }
            }
            open.push_back((id, close));
        }
        let open = open.clone();
        tokio::spawn(async move {
            connection(
                stream,
                TowerToHyperService::new(Admin),
                options,
                stop,
                Unread::Close,
            )
            .await;
            let mut open = open.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            open.retain(|(other, _)| *other != id);
        });
    }
}

/// What `stop` does to a connection that has read nothing yet.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unread {
    /// Answer it: the site's drain, where it was accepted with its request on
    /// the way (it gets Connection: close, within its header timeout).
    Answer,
    /// Close it now: the admin port closing its oldest connection for a new one.
    Close,
}

/// Serves one connection with its timeouts until it closes, or until `stop`
/// (then the response in flight finishes first). False when it ended in a
/// timeout (head, idle or send) or a request the HTTP parser refused (400, 431);
/// a client going away is no error of anyone's.
async fn connection<S, B>(
    stream: TcpStream,
    service: S,
    options: ServerOptions,
    mut stop: watch::Receiver<bool>,
    unread: Unread,
) -> bool
where
    S: hyper::service::Service<http::Request<hyper::body::Incoming>, Response = http::Response<B>>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: http_body::Body + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let _ = stream.set_nodelay(true);
    let reads = ReadCount::default();
    let reads_so_far = reads.clone();
    let io = TokioIo::new(ConnIo::new(stream, reads.clone(), options.send_timeout));
    let connection = http1::Builder::new()
        .timer(HeadTimer::new(
            options.header_timeout,
            options.idle_timeout,
            reads,
        ))
        .header_read_timeout(options.header_timeout)
        .max_buf_size(options.max_header_size)
        // A client that sends its request and then shuts down its side
        // (shutdown(SHUT_WR)) still gets the response.
        .half_close(true)
        .serve_connection(io, service);
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = async { stop.wait_for(|&stop| stop).await.map(|_| ()) } => {
            // Finish the response in flight, then close; an idle kept-alive
            // connection closes now. One that has read nothing yet is as `unread`
            // says (on the site, accepted with its request on the way: answered,
            // not closed unanswered).
            if unread == Unread::Close || reads_so_far.load(Ordering::Relaxed) > 0 {
                connection.as_mut().graceful_shutdown();
            }
            connection.await
        }
    };
    match result {
        Ok(()) => true,
        Err(e) => !(e.is_parse() || e.is_parse_too_large() || e.is_timeout() || timed_out(&e)),
    }
}

/// Whether an error's cause is a send timeout (an io TimedOut from ConnIo).
fn timed_out(e: &hyper::Error) -> bool {
    let mut cause = std::error::Error::source(e);
    while let Some(error) = cause {
        if let Some(io) = error.downcast_ref::<io::Error>() {
            return io.kind() == io::ErrorKind::TimedOut;
        }
        cause = error.source();
    }
    false
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

/// SIGTERM (docker stop, Kubernetes), SIGINT (Ctrl-C, docker run -it), SIGHUP
/// (a closed terminal, when not PID 1) and SIGQUIT (the STOPSIGNAL of the nginx
/// and static-web-server images, which a deployment may carry over): all drain
/// and exit 0.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
    quit: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
            quit: signal(SignalKind::quit())?,
        })
    }

    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
            _ = self.hup.recv() => "SIGHUP",
            _ = self.quit.recv() => "SIGQUIT",
        }
    }
}
