//! Files above the preload limit, mapped read-only at load instead of copied; and
//! the copies of the large files below it, kept in one memory file (a memfd)
//! mapped the same way, so that the bytes a response holds have a file behind
//! them, which the server's socket sends with `sendfile` ([`file_behind`]): one
//! copy fewer than writing them from memory (bench/TUNING.md). Files on disk keep
//! no descriptor open once mapped (a site may map thousands).
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
//! big.bin`, not a rename): the pages past the new end are gone, and the write
//! of a response that needs them fails (EFAULT: the connection closes). mote
//! reads a mapping itself only at load, to hash it. A baked web root is never written in place; README "Hardening" says so.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::sync::Mutex;

use bytes::Bytes;

/// Files from this size up are copied into the memory file rather than the heap
/// (when they are copied at all), and bodies from this size up are looked up in
/// [`file_behind`]: below it a `sendfile` saves less than the extra system call
/// for the head costs (the same threshold as ../shared/bench/limit.c).
pub const SEND_FROM_FILE: usize = 64 * 1024;

/// A memory file's mapping: its start and end address, the file's descriptor.
type Behind = (usize, usize, RawFd);

/// The memory files' mappings, one per loaded site; each is in it for exactly
/// as long as it is mapped.
static BEHIND: Mutex<Vec<Behind>> = Mutex::new(Vec::new());

fn behind() -> std::sync::MutexGuard<'static, Vec<Behind>> {
    BEHIND
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The memory file whose mapping holds `bytes`, and their offset in it. The
/// caller holds `bytes` (a slice of a live mapping) while it uses the
/// descriptor, so the mapping, and with it the descriptor, outlives the use.
pub fn file_behind(bytes: &[u8]) -> Option<(RawFd, u64)> {
    let start = bytes.as_ptr() as usize;
    let end = start.checked_add(bytes.len())?;
    behind()
        .iter()
        .find(|&&(mapped_at, mapped_end, _)| mapped_at <= start && end <= mapped_end)
        .map(|&(mapped_at, _, fd)| (fd, (start - mapped_at) as u64))
}

/// A read-only mapping of the first `len` bytes of a file; unmapped on drop.
pub struct Mapping {
    ptr: *const u8,
    len: usize,
    /// A memory file, kept open and in [`BEHIND`] while the mapping lives.
    memfd: Option<File>,
}

// The mapping is read-only and never changed by mote; sharing it is sharing `&[u8]`.
unsafe impl Send for Mapping {}
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps the first `len` bytes of a file on disk (its length at load; `len`
    /// > 0), privately; the file may be closed afterwards.
    pub fn new(file: &File, len: usize) -> io::Result<Mapping> {
        let ptr = map(file, len, libc::MAP_PRIVATE)?;
        // Best effort: start reading the file in now rather than on the first request.
        // SAFETY: the range is the mapping just made.
        unsafe { libc::madvise(ptr as *mut libc::c_void, len, libc::MADV_WILLNEED) };
        Ok(Mapping {
            ptr,
            len,
            memfd: None,
        })
    }

    /// Maps all `len` bytes of a memory file, shared (what is written to it
    /// later shows through), and enters it in [`BEHIND`].
    fn memory_file(memfd: File, len: usize) -> io::Result<Mapping> {
        let ptr = map(&memfd, len, libc::MAP_SHARED)?;
        behind().push((ptr as usize, ptr as usize + len, memfd.as_raw_fd()));
        Ok(Mapping {
            ptr,
            len,
            memfd: Some(memfd),
        })
    }
}

fn map(file: &File, len: usize, flags: libc::c_int) -> io::Result<*const u8> {
    // SAFETY: a fresh mapping chosen by the kernel (no MAP_FIXED), of an open
    // file, checked for failure before use.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            flags,
            file.as_raw_fd(),
            0,
        )
    };
    if ptr == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    Ok(ptr as *const u8)
}

impl AsRef<[u8]> for Mapping {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: `ptr..ptr+len` is mapped readable for as long as `self` lives.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        if self.memfd.is_some() {
            // Out of the list before the address can be mapped again.
            behind().retain(|&(start, _, _)| start != self.ptr as usize);
        }
        // SAFETY: the mapping made in `new`, unmapped once.
        unsafe { libc::munmap(self.ptr as *mut libc::c_void, self.len) };
    }
}

/// The copies of files from [`SEND_FROM_FILE`] bytes up: one memory file (memfd)
/// of the size they need in all, mapped once, filled file by file at load. Its
/// unwritten part takes no memory, so a file skipped at load costs nothing.
pub struct Arena {
    whole: Bytes,
    used: usize,
    /// The memory file's descriptor (open for as long as `whole` is).
    memfd: RawFd,
}

impl Arena {
    /// A memory file of `capacity` bytes (> 0), mapped; an error where the kernel
    /// has no memfd (the loader then copies to the heap).
    pub fn new(capacity: usize) -> io::Result<Arena> {
        // SAFETY: a NUL-terminated name and flags; the result is checked.
        let fd = unsafe { libc::memfd_create(c"mote-site".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is the descriptor memfd_create just returned, owned here.
        let file = unsafe { File::from_raw_fd(fd) };
        file.set_len(capacity as u64)?;
        Ok(Arena {
            whole: Bytes::from_owner(Mapping::memory_file(file, capacity)?),
            used: 0,
            memfd: fd,
        })
    }

    /// Copies `len` bytes of `from` (at its start) into the next free part; the
    /// bytes, or an error if `from` had fewer or there is no room.
    pub fn copy(&mut self, from: &File, len: usize) -> io::Result<Bytes> {
        let start = self.used;
        let end = start
            .checked_add(len)
            .filter(|&end| end <= self.whole.len())
            .ok_or_else(|| io::Error::other("the file grew while ROOT was being loaded"))?;
        // The kernel copies file to file (sendfile: it reads `from` at `read`
        // and writes at the memory file's position), no buffer of mote's.
        // SAFETY: lseek on an open descriptor.
        if unsafe { libc::lseek(self.memfd, start as libc::off_t, libc::SEEK_SET) } < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut read: libc::off_t = 0;
        while (read as usize) < len {
            // SAFETY: two open descriptors and a valid offset pointer.
            let sent = unsafe {
                libc::sendfile(self.memfd, from.as_raw_fd(), &mut read, len - read as usize)
            };
            match sent {
                n if n > 0 => {}
                0 => {
                    return Err(io::Error::other(
                        "the file changed while ROOT was being loaded",
                    ))
                }
                _ => return Err(io::Error::last_os_error()),
            }
        }
        self.used = end;
        Ok(self.whole.slice(start..end))
    }
}
