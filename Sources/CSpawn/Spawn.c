// Process creation for external plugins. Written in C because the child must call setrlimit()
// between fork() and execve() (posix_spawn cannot set resource limits), and only async-signal-safe
// calls are allowed there: no Swift, no allocation. Every call below in the child is async-signal-safe.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "CSpawn.h"

static void fail(int pipe_fd) {
    int e = errno;
    (void)!write(pipe_fd, &e, sizeof e);
    _exit(127);
}

pid_t reportd_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                    unsigned long long memory_bytes, int stdin_fd, int stdout_fd, int stderr_fd,
                    int *error_out) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        *error_out = errno;
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        *error_out = errno;
        close(report[0]);
        close(report[1]);
        return -1;
    }
    if (pid == 0) {
        // Child.
        setpgid(0, 0);
        struct sigaction dfl;
        dfl.sa_handler = SIG_DFL;
        dfl.sa_flags = 0;
        sigemptyset(&dfl.sa_mask);
        for (int s = 1; s < NSIG; s++) {
            if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, NULL);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (dup2(stdin_fd, 0) < 0 || dup2(stdout_fd, 1) < 0 || dup2(stderr_fd, 2) < 0) fail(report[1]);
        // Close everything else but the error-report pipe (close-on-exec): the plugin must not
        // inherit the daemon's files or sockets.
        int keep = report[1];
        if (keep != 3) {
            if (dup2(keep, 3) < 0) fail(keep);
            keep = 3;
            fcntl(keep, F_SETFD, FD_CLOEXEC);
        }
        if (close_range(4, ~0U, 0) != 0) {
            for (int fd = 4; fd < 65536; fd++) close(fd);
        }
        report[1] = keep;
        if (cwd != NULL && chdir(cwd) != 0) fail(report[1]);
        if (memory_bytes > 0) {
            struct rlimit limit = {memory_bytes, memory_bytes};
            if (setrlimit(RLIMIT_AS, &limit) != 0) fail(report[1]);
        }
        execve(path, argv, envp);
        fail(report[1]);
    }
    // Parent: an exec failure arrives as an errno on the pipe; a successful exec closes it.
    close(report[1]);
    int child_errno = 0;
    ssize_t n;
    do {
        n = read(report[0], &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == sizeof child_errno) {
        int status;
        waitpid(pid, &status, 0);
        *error_out = child_errno;
        return -1;
    }
    return pid;
}

int reportd_pipe(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
