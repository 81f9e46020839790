// Ignores SIGHUP from the moment the `reportd serve` image is loaded, before the Swift runtime
// and main() start: a reload signal that arrives during start-up must not kill the daemon (the
// default action of SIGHUP is to exit). The scheduler traps SIGHUP properly once it runs.
//
// Written in C because only an ELF constructor runs this early; glibc passes it argc and argv,
// so other commands (`reportd run` in a terminal) keep the default behaviour of SIGHUP.
#include <signal.h>
#include <string.h>

#include "CSignalGuard.h"

static int guarded = 0;

__attribute__((constructor)) static void reportd_guard_sighup(int argc, char **argv, char **envp) {
    (void)envp;
    if (argc > 1 && argv != NULL && argv[1] != NULL && strcmp(argv[1], "serve") == 0) {
        signal(SIGHUP, SIG_IGN);
        guarded = 1;
    }
    // A parent may have started us with signals blocked (the mask survives exec: a program started
    // from a thread of a thread pool, which blocks them, passes them on blocked). Every command
    // must see SIGHUP, SIGTERM and SIGINT (Ctrl-C of `reportd run`), so unblock them here, on the
    // main thread, before any other thread exists.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int reportd_sighup_guarded(void) { return guarded; }
