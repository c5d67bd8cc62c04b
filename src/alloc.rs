//! A per-thread cache of small freed blocks in front of the system allocator,
//! for the `mote` binary (`#[global_allocator]` there; a library does not choose
//! its users' allocator).
//!
//! Why: a 1 KB request makes about twenty small allocations (hyper's, axum's,
//! the header map's), and musl's allocator, which the static binary links, takes
//! a lock and walks its metadata for each: about 3,700 instructions per request
//! for malloc and free, an eighth of the request (bench/instructions.py). And
//! with two or more workers it unmapped and remapped a page every four requests
//! or so (a request's header map freed the last block of a group). Here a freed
//! block of up to [`LARGEST`] bytes goes onto its size class's list on the
//! freeing thread, and the next allocation of that class on that thread takes it
//! back: a pointer pop, no lock, no system call.
//!
//! Bounds: at most [`kept`] blocks per class and thread (320 KiB per thread if
//! every class filled up); beyond that, and for larger or over-aligned blocks,
//! the system allocator as before. A thread that exits leaves its cached blocks behind; the
//! server's threads (runtime workers, log writers) live as long as the process.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr;

/// Size classes: 16, 32, 64 ... 16384 bytes.
const CLASSES: usize = 11;
/// The largest block the cache holds.
pub const LARGEST: usize = 16 << (CLASSES - 1);
/// Blocks kept per class and thread: 32 of the small ones, then as many as fit in
/// 64 KiB (16 of 4 KiB, 4 of 16 KiB).
pub const fn kept(class: usize) -> u32 {
    let fit = (64 * 1024 / (16 << class)) as u32;
    if fit < 32 {
        fit
    } else {
        32
    }
}
/// What musl's malloc aligns every block to; blocks needing more bypass the cache.
const ALIGN: usize = 16;

/// The allocator: `#[global_allocator] static A: mote::alloc::CachedAlloc = mote::alloc::CachedAlloc;`
pub struct CachedAlloc;

/// One thread's free lists: each block's first word points to the next.
struct Lists {
    heads: [*mut u8; CLASSES],
    counts: [u32; CLASSES],
}

thread_local! {
    // Const-initialised and without Drop: no lazy registration (which could
    // allocate) and no destructor; access is a plain thread-local load.
    static LISTS: UnsafeCell<Lists> = const {
        UnsafeCell::new(Lists {
            heads: [ptr::null_mut(); CLASSES],
            counts: [0; CLASSES],
        })
    };
}

/// The class of a layout, or `None` for blocks the cache does not hold.
fn class(layout: Layout) -> Option<usize> {
    if layout.size() > LARGEST || layout.align() > ALIGN {
        return None;
    }
    // 1..=16 -> 0, 17..=32 -> 1, ... 257..=512 -> 5.
    let rounded = layout.size().max(16).next_power_of_two();
    Some(rounded.trailing_zeros() as usize - 4)
}

/// The layout every block of a class is allocated with.
fn class_layout(class: usize) -> Layout {
    // SAFETY: 16 << class is a power of two multiple of the alignment, far below isize::MAX.
    unsafe { Layout::from_size_align_unchecked(16 << class, ALIGN) }
}

// SAFETY: every block on a list was allocated by `System` with its class's
// layout, and is handed out again only for a layout of the same class (no larger
// than the block, alignment at most 16); a block reaches `System::dealloc` with
// the layout it was allocated with.
// Not inlined: LTO would copy the fast path into every allocation site (8 KB of
// binary for about 140 instructions per request).
unsafe impl GlobalAlloc for CachedAlloc {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class(layout) else {
            return System.alloc(layout);
        };
        let reused = LISTS
            .try_with(|lists| {
                // SAFETY: only this thread touches its lists, and no allocation
                // happens while the reference lives.
                let lists = &mut *lists.get();
                let head = lists.heads[class];
                if head.is_null() {
                    return head;
                }
                lists.heads[class] = *(head as *mut *mut u8);
                lists.counts[class] -= 1;
                head
            })
            .unwrap_or(ptr::null_mut());
        if reused.is_null() {
            System.alloc(class_layout(class))
        } else {
            reused
        }
    }

    #[inline(never)]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let Some(class) = class(layout) else {
            return System.dealloc(block, layout);
        };
        let kept = LISTS
            .try_with(|lists| {
                // SAFETY: as in alloc.
                let lists = &mut *lists.get();
                if lists.counts[class] >= kept(class) {
                    return false;
                }
                *(block as *mut *mut u8) = lists.heads[class];
                lists.heads[class] = block;
                lists.counts[class] += 1;
                true
            })
            .unwrap_or(false);
        if !kept {
            System.dealloc(block, class_layout(class));
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        match (class(layout), class(new_layout)) {
            // Still fits the block it has.
            (Some(old), Some(new)) if old == new => block,
            // Neither is cached: the system allocator may grow in place.
            (None, None) => System.realloc(block, layout, new_size),
            _ => {
                let moved = self.alloc(new_layout);
                if !moved.is_null() {
                    ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                    self.dealloc(block, layout);
                }
                moved
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        let of = |size, align| class(Layout::from_size_align(size, align).unwrap());
        assert_eq!(of(1, 1), Some(0));
        assert_eq!(of(16, 8), Some(0));
        assert_eq!(of(17, 8), Some(1));
        assert_eq!(of(512, 16), Some(5));
        assert_eq!(of(513, 8), Some(6));
        assert_eq!(of(16384, 8), Some(10));
        assert_eq!(of(16385, 8), None);
        assert_eq!((kept(0), kept(11 - 1), kept(8)), (32, 4, 16));
        assert_eq!(of(64, 32), None);
        for class in 0..CLASSES {
            assert_eq!(class_layout(class).size(), 16 << class);
        }
    }

    #[test]
    fn blocks_come_back_and_keep_their_bytes() {
        let a = CachedAlloc;
        unsafe {
            let layout = Layout::from_size_align(24, 8).unwrap();
            let first = a.alloc(layout);
            first.write_bytes(0xab, 24);
            a.dealloc(first, layout);
            // The same class on the same thread gets the cached block back.
            let again = a.alloc(Layout::from_size_align(32, 16).unwrap());
            assert_eq!(again, first);
            // Growing within the class keeps the block; beyond it moves the bytes.
            again.write_bytes(0x5a, 32);
            let grown = a.realloc(again, Layout::from_size_align(32, 16).unwrap(), 600);
            assert!(std::slice::from_raw_parts(grown, 32)
                .iter()
                .all(|&b| b == 0x5a));
            let shrunk = a.realloc(grown, Layout::from_size_align(600, 16).unwrap(), 20);
            assert!(std::slice::from_raw_parts(shrunk, 20)
                .iter()
                .all(|&b| b == 0x5a));
            a.dealloc(shrunk, Layout::from_size_align(20, 16).unwrap());
            // Past kept(), blocks go back to the system allocator.
            let many: Vec<*mut u8> = (0..2 * kept(1)).map(|_| a.alloc(layout)).collect();
            for block in many {
                a.dealloc(block, layout);
            }
            LISTS.with(|lists| assert_eq!((*lists.get()).counts[1], kept(1)));
        }
    }
}
