//! How kx's allocator (mimalloc, set in main.rs) is tuned. Called first thing in main, and by
//! the `usage_frames` benchmark so that its memory figures are the product's.

/// mimalloc's `purge_delay` option: its index among mimalloc's options (v2 and v3 alike), which
/// the sys crate names no constant for.
pub const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory mimalloc gets back (a page or span that fell empty) goes back to the system at once,
/// not after mimalloc's default of 1 s. Overdue purges run only when some thread frees or
/// collects again, and after a big read (the usage book's pod watch, a metrics reading, at
/// 100k pods) kx can sit idle until the next one, keeping what it freed. With this and the
/// book's relist keeping only keys aside, RSS with the CPU/MEM columns on went from 26.7% to
/// 16.1% above the columns off (benches/health.sh; the purge delay alone measured 14.4%). A
/// delay set in the environment (`MIMALLOC_PURGE_DELAY`, read by mimalloc itself) stands.
///
/// # Safety
/// mimalloc's options are plain globals that every allocation may read: call this before any
/// thread is started.
pub unsafe fn give_freed_memory_back() {
    // SAFETY: the caller promises no other thread runs yet.
    unsafe { libmimalloc_sys::mi_option_set_default(PURGE_DELAY, 0) }
}
