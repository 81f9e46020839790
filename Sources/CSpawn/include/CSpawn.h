#ifndef REPORTD_CSPAWN_H
#define REPORTD_CSPAWN_H

#include <sys/types.h>

/// `memory_kind` of `reportd_spawn`: which resource limit `memory_bytes` sets.
enum { REPORTD_LIMIT_DATA = 0, REPORTD_LIMIT_ADDRESS_SPACE = 1 };

/// What the supervisor writes on the status pipe when the plugin has exited: its wait status and
/// its peak resident memory (ru_maxrss, KiB).
typedef struct {
    int status;
    int reserved;
    long long max_resident_kib;
} reportd_plugin_exit;

/// Starts `path` with `argv` and `envp` under a supervisor process of its own (a child subreaper
/// in a new process group), with its standard input, output and error on the given descriptors,
/// its working directory `cwd`, a memory limit of `memory_bytes` (0: none; RLIMIT_DATA or
/// RLIMIT_AS as `memory_kind` says), default signal dispositions and an empty signal mask, and
/// every other descriptor closed.
///
/// Returns the supervisor's pid, with `*control_out` the write end of its control pipe and
/// `*status_out` the read end of its status pipe (both close-on-exec). A `reportd_plugin_exit`
/// arrives on the status pipe once the plugin has exited. Closing the control pipe (or reportd's
/// exit) makes the supervisor kill the plugin and everything it started, reap them and exit; the
/// caller then reaps the supervisor.
///
/// Returns -1 with `*error_out` set to the errno of the step that failed (fork, or in the child:
/// chdir, setrlimit, execve); nothing is left running then.
pid_t reportd_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                    unsigned long long memory_bytes, int memory_kind, int stdin_fd, int stdout_fd,
                    int stderr_fd, int *control_out, int *status_out, int *error_out);

/// pipe2(fds, O_CLOEXEC): a pipe whose ends are not inherited by other children.
int reportd_pipe(int fds[2]);

#endif
