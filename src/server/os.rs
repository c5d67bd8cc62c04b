//! What the operating system allows, read and raised once at start: the
//! open-file limit (each connection is a descriptor) and the listen backlog.

use std::io;
use std::os::fd::AsRawFd;

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
