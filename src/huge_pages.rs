//! The system allocator, asking Linux to back large blocks with transparent huge pages.
//!
//! A national run holds a few large arrays (1.7 million demand points, their results, the
//! grid of AEDs, the registry table), over 100 MB in all, and each 4 KiB page of a fresh
//! block costs a page fault on its first write. Where Linux leaves transparent huge pages to
//! the program's choice (`/sys/kernel/mm/transparent_hugepage/enabled` set to `madvise`, as
//! on the 2-core build machine), blocks of at least [`HUGE_MIN_BYTES`] are advised
//! `MADV_HUGEPAGE`, and their whole 2 MiB stretches then fault in at once. There the GB
//! `coverage` run took 19,600 page faults instead of 54,300, 0.13 s of system time instead
//! of 0.16, and 0.435 s instead of 0.450 (medians of 20 alternating runs). With `always`
//! such blocks get huge pages anyway (the advice may only let the kernel compact memory to
//! find them, as `/sys/kernel/mm/transparent_hugepage/defrag` says); with `never` the
//! kernel ignores it; elsewhere than Linux this is the system allocator as is.
//!
//! The binary and the benches use it (`#[global_allocator]`); the library never sets it.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks at least this large are advised.
pub const HUGE_MIN_BYTES: usize = 4 << 20;

/// [`System`], with large blocks advised to use transparent huge pages.
#[derive(Debug, Default, Clone, Copy)]
pub struct HugePageAlloc;

// SAFETY: every call is passed to `System` with the same arguments and its result returned
// unchanged; the advice only changes how the kernel backs memory the block already owns.
unsafe impl GlobalAlloc for HugePageAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is `System`'s.
        let p = unsafe { System.alloc(layout) };
        advise(p, layout.size());
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        advise(p, layout.size());
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as `alloc`; `ptr` came from `System` through this allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as `dealloc`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        advise(p, new_size);
        p
    }
}

/// The size of a transparent huge page on x86-64 Linux (and aarch64 with 4 KiB pages; with
/// another size, the advised range is still whole pages and the advice still harmless).
const HUGE_PAGE_BYTES: usize = 2 << 20;

/// Advises the block at `p` (`len` bytes) `MADV_HUGEPAGE` when it is large enough;
/// nothing for a null pointer.
fn advise(p: *mut u8, len: usize) {
    if p.is_null() || len < HUGE_MIN_BYTES {
        return;
    }
    if let Some((start, bytes)) = whole_huge_pages(p as usize, len) {
        advise_range(start, bytes);
    }
}

/// The whole aligned 2 MiB stretches of the block at address `p` (`len` bytes): their
/// start and length; `None` when it holds none.
fn whole_huge_pages(p: usize, len: usize) -> Option<(usize, usize)> {
    let start = p.checked_next_multiple_of(HUGE_PAGE_BYTES)?;
    let end = p.checked_add(len)? / HUGE_PAGE_BYTES * HUGE_PAGE_BYTES;
    (end > start).then_some((start, end - start))
}

#[cfg(target_os = "linux")]
fn advise_range(start: usize, len: usize) {
    // SAFETY: the range lies inside a block this process owns, and `MADV_HUGEPAGE` only
    // changes how the kernel backs it, never its contents. A failure (no THP support) is
    // harmless: the block stays on small pages; `errno` is put back as it was, so that an
    // allocation between a failed call and the reading of its error cannot change it.
    unsafe {
        let errno = libc::__errno_location();
        let saved = *errno;
        libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        *errno = saved;
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_range(_start: usize, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks small and large, grown and shrunk through `realloc`, keep their contents.
    #[test]
    fn blocks_keep_their_contents() {
        let a = HugePageAlloc;
        for (size, grown) in [
            (64, 4096),
            (HUGE_MIN_BYTES, 3 * HUGE_MIN_BYTES),
            (5 << 20, 1024),
        ] {
            let layout = Layout::from_size_align(size, 8).unwrap();
            // SAFETY: a non-zero layout; every byte written lies inside the block.
            unsafe {
                let p = a.alloc(layout);
                assert!(!p.is_null());
                for i in 0..size {
                    *p.add(i) = (i % 251) as u8;
                }
                let q = a.realloc(p, layout, grown);
                assert!(!q.is_null());
                for i in 0..size.min(grown) {
                    assert_eq!(*q.add(i), (i % 251) as u8, "byte {i} of {size} -> {grown}");
                }
                a.dealloc(q, Layout::from_size_align(grown, 8).unwrap());
                let z = a.alloc_zeroed(layout);
                assert!(!z.is_null());
                assert!((0..size).all(|i| *z.add(i) == 0));
                a.dealloc(z, layout);
            }
        }
    }

    /// The advice leaves `errno` as it found it, whether it succeeds or fails (an address
    /// that is not mapped).
    #[cfg(target_os = "linux")]
    #[test]
    fn errno_is_kept() {
        let layout = Layout::from_size_align(HUGE_MIN_BYTES * 2, 8).unwrap();
        // SAFETY: `__errno_location` is this thread's errno; the block is freed with its
        // own layout; advising an unmapped range only fails.
        unsafe {
            let p = System.alloc(layout);
            assert!(!p.is_null());
            for block in [p, (HUGE_PAGE_BYTES * 3) as *mut u8] {
                *libc::__errno_location() = libc::EINTR;
                advise(block, layout.size());
                assert_eq!(*libc::__errno_location(), libc::EINTR);
            }
            System.dealloc(p, layout);
        }
    }

    #[test]
    fn only_whole_huge_pages_inside_the_block_are_advised() {
        const H: usize = HUGE_PAGE_BYTES;
        // 4 MiB from just past a boundary holds one whole stretch; from a boundary, two.
        assert_eq!(whole_huge_pages(3 * H + 4096, 2 * H), Some((4 * H, H)));
        assert_eq!(whole_huge_pages(4 * H, 2 * H), Some((4 * H, 2 * H)));
        // Less than a whole stretch, and blocks at the end of the address space: none.
        assert_eq!(whole_huge_pages(3 * H + 4096, H), None);
        assert_eq!(whole_huge_pages(usize::MAX - H, 2 * H), None);
    }
}
