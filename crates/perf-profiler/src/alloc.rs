//! A counting global allocator (feature `alloc`): bytes allocated while a timed span is the
//! innermost open one are attributed to its component, as estimated self bytes.
//!
//! This is the workspace's one `unsafe` (see `UNSAFE_ALLOWLIST` in `xtask/src/tidy.rs`):
//! `GlobalAlloc` is an unsafe trait. The implementation only forwards to [`System`] and adds
//! to a thread-local counter that never allocates.

use std::alloc::{GlobalAlloc, Layout, System};

/// Counts bytes per component; install it in the binary:
///
/// ```
/// #[global_allocator]
/// static ALLOC: steadfast_perf_profiler::CountingAlloc = steadfast_perf_profiler::CountingAlloc;
///
/// let p = steadfast_perf_profiler::Profiler::builder()
///     .sample_rate(steadfast_perf_profiler::SampleRate::Always)
///     .build();
/// {
///     let _s = p.span("build");
///     std::hint::black_box(vec![0u8; 4096]);
/// }
/// assert!(p.snapshot().component("build").unwrap().alloc_bytes >= 4096);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAlloc;

#[allow(
    unsafe_code,
    reason = "GlobalAlloc is an unsafe trait; every call forwards to System"
)]
// SAFETY: each method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counting touches only a const-initialised thread-local `Cell`
// (no allocation, no destructor), so it cannot re-enter the allocator.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        crate::local::count_alloc(layout.size());
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        crate::local::count_alloc(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        crate::local::count_alloc(new_size.saturating_sub(layout.size()));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}
