// Ignores SIGHUP from the moment the `reportd serve` image is loaded, before the Swift runtime
// and main() start: a reload signal that arrives during start-up must not kill the daemon (the
// default action of SIGHUP is to exit). The scheduler traps SIGHUP properly once it runs.
//
// Written in C because only an ELF constructor runs this early; glibc passes it argc and argv,
// so other commands (`reportd run` in a terminal) keep the default behaviour.
#include <signal.h>
#include <string.h>

#include "CSignalGuard.h"

static int guarded = 0;

__attribute__((constructor)) static void reportd_guard_sighup(int argc, char **argv, char **envp) {
    (void)envp;
    if (argc > 1 && argv != NULL && argv[1] != NULL && strcmp(argv[1], "serve") == 0) {
        signal(SIGHUP, SIG_IGN);
        // A parent may have started us with signals blocked (the mask survives exec); the daemon
        // must see SIGHUP, SIGTERM and SIGINT, so unblock them.
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        guarded = 1;
    }
}

int reportd_sighup_guarded(void) { return guarded; }
