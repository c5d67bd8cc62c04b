//! Files above the preload limit, mapped read-only at load instead of copied.
//!
//! A mapping pins the inode that was loaded: replacing the file afterwards (a new
//! file renamed over it, a link put in its place, its directory swapped for a
//! link) changes nothing that mote serves, and no request ever opens a path. The
//! pages come from the page cache, shared with every other reader of the file, so
//! they do not count as mote's own memory; a response is a slice of the mapping,
//! handed to the socket like any in-memory body (no read per request, no copy
//! into a buffer, no blocking pool).
//!
//! What a mapping cannot survive is the file being truncated in place (`: >
//! big.bin`, not a rename): the pages past the new end fault with SIGBUS. A baked
//! web root is never written in place; README "Hardening" says so.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

/// A read-only, private mapping of a whole file; unmapped on drop.
pub struct Mapping {
    ptr: *const u8,
    len: usize,
}

// The mapping is read-only and never changed by mote; sharing it is sharing `&[u8]`.
unsafe impl Send for Mapping {}
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps the first `len` bytes of `file` (its length at load; `len` > 0).
    pub fn new(file: &File, len: usize) -> io::Result<Mapping> {
        // SAFETY: a fresh mapping chosen by the kernel (no MAP_FIXED), of an open
        // file, checked for failure before use.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        // Best effort: start reading the file in now rather than on the first request.
        // SAFETY: the range is the mapping just made.
        unsafe { libc::madvise(ptr, len, libc::MADV_WILLNEED) };
        Ok(Mapping {
            ptr: ptr as *const u8,
            len,
        })
    }
}

impl AsRef<[u8]> for Mapping {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: `ptr..ptr+len` is mapped readable for as long as `self` lives.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, unmapped once.
        unsafe { libc::munmap(self.ptr as *mut libc::c_void, self.len) };
    }
}
