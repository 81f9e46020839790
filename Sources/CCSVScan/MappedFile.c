// A dataset file mapped into memory, read in place instead of copied (issue 20).
//
// Why: `read(2)` copies every byte of the file from the page cache into the reader's buffers; at
// 10M rows (1.8 GB) that copy was about 13 % of a run's CPU, all of it on the thread that feeds
// the typing workers. A mapping shows the page-cache pages themselves.
//
// The danger of a mapping is a file that shrinks while it is mapped (another program truncates or
// rewrites it in place) or a page the disk cannot read: touching such a page raises SIGBUS, which
// kills the process. The daemon must survive both. So every mapping is registered here, and a
// SIGBUS handler that finds the faulting address inside a registered mapping puts zero-filled
// anonymous pages over the rest of that mapping, marks it damaged and returns: the read goes on
// over zeros, and its owner, who asks `reportd_mapping_damaged` when it is done, discards what it
// read and reports the file as changed. A SIGBUS anywhere else goes to the handler that was there
// before (Swift's backtracer, or the default action, which ends the process as before).

#include "CCSVScan.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAPPING_SLOTS 64

struct mapping_slot {
    _Atomic uintptr_t start;  // 0: free
    _Atomic uintptr_t end;
    _Atomic int damaged;
};

static struct mapping_slot slots[MAPPING_SLOTS];
static struct sigaction previous_action;
static uintptr_t page_mask;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int installed;

static void on_sigbus(int sig, siginfo_t *info, void *context) {
    uintptr_t address = (uintptr_t)info->si_addr;
    for (int i = 0; i < MAPPING_SLOTS; i++) {
        uintptr_t start = atomic_load(&slots[i].start);
        uintptr_t end = atomic_load(&slots[i].end);
        // 0: a free slot; 1: one being set up or taken down, whose bounds may be half written.
        if (start <= 1 || address < start || address >= end) continue;
        uintptr_t page = address & ~page_mask;
        // The raw system call: async-signal-safe whatever the C library's wrapper does.
        long placed = syscall(SYS_mmap, (void *)page, (size_t)(end - page), PROT_READ,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (placed != -1) {
            atomic_store(&slots[i].damaged, 1);
            return;  // the faulting read is retried and finds zeros
        }
        break;
    }
    // Not a registered mapping's page: whatever handled SIGBUS before.
    if ((previous_action.sa_flags & SA_SIGINFO) && previous_action.sa_sigaction != NULL) {
        previous_action.sa_sigaction(sig, info, context);
        return;
    }
    if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN &&
        previous_action.sa_handler != NULL) {
        previous_action.sa_handler(sig);
        return;
    }
    // The default action: returning re-runs the faulting instruction, which faults again.
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGBUS, &dfl, NULL);
}

static void install(void) {
    long size = sysconf(_SC_PAGESIZE);
    page_mask = (uintptr_t)(size > 0 ? size : 4096) - 1;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&action.sa_mask);
    installed = sigaction(SIGBUS, &action, &previous_action) == 0;
}

int reportd_map_file(int fd, size_t size, const uint8_t **base) {
    *base = NULL;
    if (size == 0) {
        errno = EINVAL;
        return -1;
    }
    pthread_once(&install_once, install);
    if (!installed) {
        errno = ENOTSUP;
        return -1;
    }
    for (int i = 0; i < MAPPING_SLOTS; i++) {
        uintptr_t expected = 0;
        // Reserve the slot (1 is no address a mapping starts at), then map and publish.
        if (!atomic_compare_exchange_strong(&slots[i].start, &expected, (uintptr_t)1)) continue;
        void *p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            int code = errno;
            atomic_store(&slots[i].start, (uintptr_t)0);
            errno = code;
            return -1;
        }
        atomic_store(&slots[i].damaged, 0);
        atomic_store(&slots[i].end, (uintptr_t)p + size);
        atomic_store(&slots[i].start, (uintptr_t)p);
        *base = p;
        return i;
    }
    errno = EMFILE;
    return -1;
}

int reportd_mapping_damaged(int handle) {
    if (handle < 0 || handle >= MAPPING_SLOTS) return 0;
    return atomic_load(&slots[handle].damaged);
}

void reportd_mapping_release(int handle, size_t offset, size_t length) {
    if (handle < 0 || handle >= MAPPING_SLOTS) return;
    uintptr_t start = atomic_load(&slots[handle].start);
    uintptr_t end = atomic_load(&slots[handle].end);
    if (start <= 1) return;
    // From the page that holds the range's first byte: that page may hold the end of a range
    // another thread still reads, which is safe (a dropped page of a shared file mapping is mapped
    // again from the page cache when read). Sparing it kept up to a few hundred KiB per block
    // mapped (the page cache's large folios are mapped whole around a fault): RSS grew by 50 MB
    // over a 1.8 GB file. The page that holds the range's last byte is left to the next range.
    uintptr_t from = (start + offset) & ~page_mask;
    uintptr_t to = (start + offset + length) & ~page_mask;
    if (to > end) to = end & ~page_mask;
    if (to > from) madvise((void *)from, to - from, MADV_DONTNEED);
}

void reportd_unmap_file(int handle) {
    if (handle < 0 || handle >= MAPPING_SLOTS) return;
    uintptr_t start = atomic_load(&slots[handle].start);
    uintptr_t end = atomic_load(&slots[handle].end);
    if (start <= 1) return;
    // Out of the registry first: a fault after the unmap is not this mapping's.
    atomic_store(&slots[handle].start, (uintptr_t)1);
    munmap((void *)start, end - start);
    atomic_store(&slots[handle].end, (uintptr_t)0);
    atomic_store(&slots[handle].start, (uintptr_t)0);
}
