//! Test builds only: the largest single allocation a piece of code makes on its own
//! thread. The bad-input bursts use it to show that a hostile length prefix does not make
//! a decoder reserve memory it was never sent (resident memory would not show that: the
//! kernel hands out pages only when they are touched).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static WATCHING: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    // `try_with`: allocations while a thread's locals are torn down are not watched.
    let _ = WATCHING.try_with(|w| {
        if w.get() {
            let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
        }
    });
}

/// The system allocator, noting sizes on watched threads.
struct Probe;

// SAFETY: every call goes straight to `System` with the caller's arguments; `note` only
// reads and writes const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for Probe {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: the caller's contract for `alloc` is `System.alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: `ptr` and `layout` come from this allocator, which is `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `realloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static PROBE: Probe = Probe;

/// Run `f`, and return its result with the largest single allocation it asked for on
/// this thread, in bytes.
pub fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.with(|l| l.set(0));
    WATCHING.with(|w| w.set(true));
    let out = f();
    WATCHING.with(|w| w.set(false));
    (out, LARGEST.with(Cell::get))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_probe_sees_a_large_reservation() {
        let ((), largest) = super::largest_allocation(|| {
            let v: Vec<u8> = Vec::with_capacity(3 << 20);
            drop(v);
        });
        assert!(largest >= 3 << 20, "{largest}");
        let ((), small) = super::largest_allocation(|| drop(vec![0u8; 16]));
        assert!(small < 1024, "{small}");
    }
}
