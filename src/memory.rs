//! How kx's allocator (mimalloc, set in main.rs) is tuned. Called first thing in main (the
//! benchmarks call it too, so that their memory figures are the product's).

/// mimalloc's `purge_delay` option: its index among mimalloc's options (v2 and v3 alike), which
/// the sys crate names no constant for.
pub const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory kx frees goes back to the system at once, not after mimalloc's default of 1 s: a
/// delayed purge runs only when the thread that freed the memory allocates again, and the
/// threads that read a big list (the usage book's pod watch, a metrics reading) then sit idle,
/// so what they freed stayed with kx. At 100k pods with the CPU/MEM columns on, RSS was 26.7%
/// above the columns off; with this it is 16% (benches/health.sh). A delay set in the
/// environment (`MIMALLOC_PURGE_DELAY`, mimalloc's own setting) is left as it is.
pub fn give_freed_memory_back() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: setting an option is not thread safe in mimalloc; callers call this first
    // thing in main, before any thread starts.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) }
}
