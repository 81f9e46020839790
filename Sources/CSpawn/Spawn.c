// Process creation for external plugins. Written in C because the children must call setrlimit()
// and prctl() between fork() and execve() (posix_spawn can do neither), and only async-signal-safe
// calls are allowed there: no Swift, no allocation. Every call below in a child is a plain system
// call (async-signal-safe).
//
// Each plugin runs under a supervisor of its own, a forked copy of reportd that never execs:
//
//   reportd ── supervisor (child subreaper, own process group) ── plugin ── whatever it starts
//
// A process whose parent exits is re-parented to its nearest subreaper ancestor, so everything
// the plugin starts, even with setsid() or a double fork, stays a descendant of the supervisor.
// When reportd closes the control pipe, or exits or dies in any way (the kernel closes the pipe
// then), the supervisor kills every descendant, reaps them, and exits: nothing the plugin started
// outlives its computation or reportd.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "CSpawn.h"

// Descriptors in the supervisor after set-up.
enum { FD_IN = 0, FD_OUT = 1, FD_ERR = 2, FD_EXEC_ERROR = 3, FD_CONTROL = 4, FD_STATUS = 5 };

static void fail(int pipe_fd) {
    int e = errno;
    (void)!write(pipe_fd, &e, sizeof e);
    _exit(127);
}

static void default_signals(void) {
    struct sigaction dfl;
    dfl.sa_handler = SIG_DFL;
    dfl.sa_flags = 0;
    sigemptyset(&dfl.sa_mask);
    for (int s = 1; s < NSIG; s++) {
        if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, NULL);
    }
}

/// Sends SIGKILL to every process whose parent is `self`; returns how many it found (zombies
/// included). Reads /proc with getdents64 and read(): no allocation, nothing but system calls.
static int kill_children(pid_t self) {
    int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return 0;
    int found = 0;
    char entries[4096];
    for (;;) {
        long n = syscall(SYS_getdents64, dir, entries, sizeof entries);
        if (n <= 0) break;
        for (long at = 0; at < n;) {
            // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, char name[].
            unsigned short reclen;
            __builtin_memcpy(&reclen, entries + at + 16, sizeof reclen);
            const char *name = entries + at + 19;
            at += reclen;
            pid_t pid = 0;
            int digits = 1;
            for (const char *c = name; *c; c++) {
                if (*c < '0' || *c > '9') {
                    digits = 0;
                    break;
                }
                pid = pid * 10 + (*c - '0');
            }
            if (!digits || pid <= 0 || pid == self) continue;
            // "/proc/PID/stat": "pid (comm) state ppid ...", comm may hold spaces and ')'.
            char path[32] = "/proc/";
            int len = 6;
            for (const char *c = name; *c && len < 24; c++) path[len++] = *c;
            __builtin_memcpy(path + len, "/stat", 6);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) continue;
            char stat[512];
            ssize_t got = read(fd, stat, sizeof stat - 1);
            close(fd);
            if (got <= 0) continue;
            ssize_t close_paren = -1;
            for (ssize_t i = 0; i < got; i++)
                if (stat[i] == ')') close_paren = i;
            if (close_paren < 0 || close_paren + 4 >= got) continue;
            // ") S 1234 "
            pid_t ppid = 0;
            for (ssize_t i = close_paren + 4; i < got && stat[i] >= '0' && stat[i] <= '9'; i++)
                ppid = ppid * 10 + (stat[i] - '0');
            if (ppid == self) {
                kill(pid, SIGKILL);
                found++;
            }
        }
    }
    close(dir);
    return found;
}

/// Tells reportd how the plugin ended (`reportd_plugin_exit` on the status pipe), once.
static void report_exit(int status, const struct rusage *usage, int *reported) {
    if (*reported) return;
    reportd_plugin_exit message = {status, 0, usage->ru_maxrss};
    (void)!write(FD_STATUS, &message, sizeof message);
    *reported = 1;
}

/// Reaps every child that has exited, reporting the plugin's end once.
static void reap(pid_t plugin, int *reported) {
    int status;
    struct rusage usage;
    pid_t w;
    while ((w = wait4(-1, &status, WNOHANG, &usage)) > 0) {
        if (w == plugin) report_exit(status, &usage, reported);
    }
}

static void supervise(pid_t plugin) {
    pid_t self = getpid();
    int reported = 0;
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    for (;;) {
        reap(plugin, &reported);
        struct pollfd fds[2] = {{FD_CONTROL, POLLIN, 0}, {sfd, POLLIN, 0}};
        // Without a signalfd (it cannot fail here, but be safe) look for exits every 20 ms.
        int n = poll(fds, sfd >= 0 ? 2 : 1, sfd >= 0 ? -1 : 20);
        if (n < 0 && errno != EINTR) break;
        if (n > 0 && fds[1].revents) {
            struct signalfd_siginfo info;
            while (read(sfd, &info, sizeof info) > 0) {
            }
        }
        if (n > 0 && fds[0].revents) {
            char byte;
            ssize_t r = read(FD_CONTROL, &byte, 1);
            if (r <= 0 && !(r < 0 && errno == EINTR)) break;  // closed: reportd wants the tree gone
        }
    }
    // End the tree: kill the children, wait for one to go (its own children then become ours),
    // again until none is left.
    for (;;) {
        int found = kill_children(self);
        reap(plugin, &reported);
        int status;
        struct rusage usage;
        pid_t w = wait4(-1, &status, found ? 0 : WNOHANG, &usage);
        if (w > 0) {
            if (w == plugin) report_exit(status, &usage, &reported);
            continue;
        }
        if (w < 0 && errno == ECHILD && !found) break;
        if (w == 0 && !found) {
            // A child that is not in /proc yet (just forked): look again shortly.
            struct timespec pause = {0, 1000000};
            nanosleep(&pause, NULL);
        }
    }
    _exit(0);
}

pid_t reportd_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                    unsigned long long memory_bytes, int memory_kind, int stdin_fd, int stdout_fd,
                    int stderr_fd, int *control_out, int *status_out, int *error_out) {
    int report[2], control[2], status[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        *error_out = errno;
        return -1;
    }
    if (pipe2(control, O_CLOEXEC) != 0) {
        *error_out = errno;
        close(report[0]), close(report[1]);
        return -1;
    }
    if (pipe2(status, O_CLOEXEC) != 0) {
        *error_out = errno;
        close(report[0]), close(report[1]), close(control[0]), close(control[1]);
        return -1;
    }
    pid_t supervisor = fork();
    if (supervisor < 0) {
        *error_out = errno;
        close(report[0]), close(report[1]), close(control[0]), close(control[1]);
        close(status[0]), close(status[1]);
        return -1;
    }
    if (supervisor == 0) {
        // The supervisor. Its own process group: a Ctrl-C in reportd's terminal reaches reportd,
        // which then goes, and the supervisor ends the plugin's tree; it is not signalled itself.
        setpgid(0, 0);
        default_signals();
        // Writing the plugin's status to a reportd that is gone must not end the supervisor
        // before it has ended the tree.
        signal(SIGPIPE, SIG_IGN);
        // Move what it keeps to 0..5: first above every target, then into place.
        int keep[6] = {stdin_fd, stdout_fd, stderr_fd, report[1], control[0], status[1]};
        for (int i = 0; i < 6; i++) {
            keep[i] = fcntl(keep[i], F_DUPFD, 16);
            if (keep[i] < 0) fail(report[1]);
        }
        for (int i = 0; i < 6; i++) {
            if (dup2(keep[i], i) < 0) fail(report[1]);
        }
        // Nothing else of reportd's: its files, sockets, and the pipes of other plugins (whose
        // supervisors must see them close when reportd goes).
        if (close_range(6, ~0U, 0) != 0) {
            for (int fd = 6; fd < 65536; fd++) close(fd);
        }
        fcntl(FD_EXEC_ERROR, F_SETFD, FD_CLOEXEC);
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        sigset_t chld;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sigprocmask(SIG_SETMASK, &chld, NULL);
        pid_t plugin = fork();
        if (plugin < 0) fail(FD_EXEC_ERROR);
        if (plugin == 0) {
            // The plugin: the supervisor's pipes are not its business.
            close(FD_CONTROL);
            close(FD_STATUS);
            prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
            signal(SIGPIPE, SIG_DFL);
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            if (cwd != NULL && chdir(cwd) != 0) fail(FD_EXEC_ERROR);
            if (memory_bytes > 0) {
                int resource = memory_kind == REPORTD_LIMIT_ADDRESS_SPACE ? RLIMIT_AS : RLIMIT_DATA;
                struct rlimit limit = {memory_bytes, memory_bytes};
                // Never above what reportd itself may have (`ulimit -d`, LimitDATA= in the unit):
                // raising a hard limit fails with EPERM, and the plugin could not start at all
                // ("could not be started: Operation not permitted"; issue 13). The lower limit
                // applies instead.
                struct rlimit current;
                if (getrlimit(resource, &current) == 0 && current.rlim_max != RLIM_INFINITY
                    && current.rlim_max < limit.rlim_max) {
                    limit.rlim_cur = current.rlim_max;
                    limit.rlim_max = current.rlim_max;
                }
                if (setrlimit(resource, &limit) != 0) fail(FD_EXEC_ERROR);
            }
            execve(path, argv, envp);
            fail(FD_EXEC_ERROR);
        }
        // The supervisor keeps none of the plugin's standard streams: reportd must see them close.
        close(FD_IN);
        close(FD_OUT);
        close(FD_ERR);
        close(FD_EXEC_ERROR);
        supervise(plugin);
    }
    // Parent: an exec failure arrives as an errno on the pipe; a successful exec closes it.
    close(report[1]);
    close(control[0]);
    close(status[1]);
    int child_errno = 0;
    ssize_t n;
    do {
        n = read(report[0], &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == sizeof child_errno) {
        close(control[1]);  // the supervisor ends what is left and exits
        close(status[0]);
        int ignored;
        while (waitpid(supervisor, &ignored, 0) < 0 && errno == EINTR) {
        }
        *error_out = child_errno;
        return -1;
    }
    *control_out = control[1];
    *status_out = status[0];
    return supervisor;
}

int reportd_pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
