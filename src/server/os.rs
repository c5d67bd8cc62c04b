//! What the operating system allows, read and raised once at start: the
//! open-file limit (each connection is a descriptor) and the listen backlog; and
//! the limit on unsent bytes a connection sending large bodies gets; and how many
//! bytes a socket has not yet had acknowledged.

use std::io;
use std::os::fd::{AsRawFd, RawFd};

/// Descriptors mote keeps for itself: stdio, the listener, epoll, the signal
/// pipe, the runtime's and the log writer's threads, with room to spare.
const RESERVED_FDS: u64 = 64;

/// Raises the soft `RLIMIT_NOFILE` to the hard limit (a container's default soft
/// limit, 1024, is below the default connection cap) and returns how many
/// connections fit in it.
pub fn raise_open_file_limit() -> io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a valid out-pointer to a rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: a valid pointer to a rlimit; lowering nothing.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit.rlim_cur = limit.rlim_max;
        }
    }
    Ok(limit.rlim_cur.saturating_sub(RESERVED_FDS).max(1))
}

/// Clears IPV6_V6ONLY, so a socket bound to `[::]` takes IPv4 too.
pub fn set_dual_stack(socket: &tokio::net::TcpSocket) -> io::Result<()> {
    let off: libc::c_int = 0;
    // SAFETY: setsockopt with a pointer to an int and its size, on an open socket.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IPV6,
            libc::IPV6_V6ONLY,
            (&off as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    match rc {
        0 => Ok(()),
        _ => Err(io::Error::last_os_error()),
    }
}

/// The listen backlog: what the kernel allows (`net.core.somaxconn`, which also
/// caps any larger value passed to listen(2)), 4096 where it cannot be read.
pub fn listen_backlog() -> u32 {
    std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(4096)
        .clamp(128, 65_535)
}

/// Unsent bytes a connection's socket may queue before it stops taking more
/// (TCP_NOTSENT_LOWAT), once it sends large bodies. Linux's default is no limit:
/// a large response then sits in the send queue and most of it is transmitted
/// later, from the processing of the client's ACKs, on whichever CPU handles them
/// (on loopback, the client's). With 64 KiB queued at most, the data goes out as
/// it is written, on mote's own thread, and a connection holds less kernel memory.
/// Bytes in flight are not counted, so throughput over long paths is not limited.
/// 64 KiB gave the most req/s with a tail no worse than nginx's (bench/TUNING.md).
const UNSENT_LOWAT: libc::c_int = 64 * 1024;

/// The write size from which a connection is paced by [`UNSENT_LOWAT`]. Smaller
/// responses (a 100 KB asset) keep going out in one write; limited, each took two
/// writes and a wake-up (bench/TUNING.md). Body frames are up to 1 MiB, so any
/// file above this size sets it.
pub const PACE_FROM: usize = 256 * 1024;

/// Limits the unsent bytes queued on a connection's socket ([`UNSENT_LOWAT`]).
/// Best effort: a kernel without the option sends as before.
pub fn limit_unsent(socket: RawFd) {
    // SAFETY: setsockopt with a pointer to an int and its size, on an open socket.
    unsafe {
        libc::setsockopt(
            socket,
            libc::IPPROTO_TCP,
            libc::TCP_NOTSENT_LOWAT,
            (&UNSENT_LOWAT as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// Bytes written to a socket that the peer has not acknowledged (SIOCOUTQ); 0
/// where the kernel does not say, which makes a stall count as no progress.
pub fn unsent_bytes(fd: RawFd) -> u64 {
    let mut queued: libc::c_int = 0;
    // SAFETY: SIOCOUTQ writes one int through a valid pointer; `fd` is the open
    // socket of this connection.
    match unsafe { libc::ioctl(fd, libc::TIOCOUTQ, &mut queued) } {
        0 => queued.max(0) as u64,
        _ => 0,
    }
}

/// Makes a listening socket drop every packet from now on (a socket filter that
/// accepts nothing), so no new handshake completes: a client that connects now
/// retries its SYN and then finds the port closed, instead of being queued and
/// reset when the listener closes. What the kernel had already queued can still
/// be accepted.
pub fn refuse_new_connections(listener: &impl AsRawFd) -> io::Result<()> {
    // BPF_RET | BPF_K with k = 0: keep no bytes of any packet.
    let mut drop_all = [libc::sock_filter {
        code: 0x06,
        jt: 0,
        jf: 0,
        k: 0,
    }];
    let program = libc::sock_fprog {
        len: 1,
        filter: drop_all.as_mut_ptr(),
    };
    // SAFETY: setsockopt with a pointer to a sock_fprog and its size, on an open
    // socket; the kernel copies the one-instruction program.
    let rc = unsafe {
        libc::setsockopt(
            listener.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ATTACH_FILTER,
            (&program as *const libc::sock_fprog).cast(),
            std::mem::size_of::<libc::sock_fprog>() as libc::socklen_t,
        )
    };
    match rc {
        0 => Ok(()),
        _ => Err(io::Error::last_os_error()),
    }
}

/// One connection from a listener's queue, by the accept syscall now (non-
/// blocking, close-on-exec): `WouldBlock` once the queue is empty.
pub fn accept_now(
    listener: &impl AsRawFd,
) -> io::Result<(std::net::TcpStream, std::net::SocketAddr)> {
    use std::os::fd::FromRawFd;
    // SAFETY: accept4 with null address pointers on an open listening socket; a
    // returned descriptor is new and owned by the TcpStream made from it.
    let fd = unsafe {
        libc::accept4(
            listener.as_raw_fd(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a connected socket this function just received.
    let stream = unsafe { std::net::TcpStream::from_raw_fd(fd) };
    // A client that has already gone is that one connection's end, not the queue's.
    let peer = stream
        .peer_addr()
        .map_err(|_| io::Error::from(io::ErrorKind::ConnectionAborted))?;
    Ok((stream, peer))
}

/// Sends `bufs` on a socket with MSG_MORE (more follows at once: no packet of
/// their own) and MSG_NOSIGNAL; the bytes taken.
pub fn send_more(socket: RawFd, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: an all-zero msghdr is a valid empty one.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    // IoSlice is an iovec on Unix (std documents the ABI compatibility).
    message.msg_iov = bufs.as_ptr() as *mut libc::iovec;
    message.msg_iovlen = bufs.len() as _;
    // SAFETY: sendmsg reads `bufs.len()` iovecs that point to live slices.
    let sent = unsafe { libc::sendmsg(socket, &message, libc::MSG_MORE | libc::MSG_NOSIGNAL) };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(sent as usize)
}

/// Sends `len` bytes of the file `fd` from `offset` on a socket (`sendfile`:
/// the kernel hands the file's pages to the socket, no copy through user
/// memory); the bytes taken, 0 at the file's end.
pub fn send_file(socket: RawFd, fd: RawFd, offset: u64, len: usize) -> io::Result<usize> {
    let mut offset = offset as libc::off_t;
    // SAFETY: sendfile between two open descriptors with a valid offset pointer.
    let sent = unsafe { libc::sendfile(socket, fd, &mut offset, len) };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(sent as usize)
}
