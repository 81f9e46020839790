#ifndef REPORTD_CSPAWN_H
#define REPORTD_CSPAWN_H

#include <sys/types.h>

/// Starts `path` with `argv` and `envp` in a new process group, with its standard input, output
/// and error on the given descriptors, its working directory `cwd`, an address-space limit of
/// `memory_bytes` (0: none), default signal dispositions and an empty signal mask, and every other
/// descriptor closed. Returns the child's pid, or -1 with `*error_out` set to the errno of the
/// step that failed (fork, or in the child: chdir, setrlimit, execve).
pid_t reportd_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                    unsigned long long memory_bytes, int stdin_fd, int stdout_fd, int stderr_fd,
                    int *error_out);

/// pipe2(fds, O_CLOEXEC): a pipe whose ends are not inherited by other children.
int reportd_pipe(int fds[2]);

#endif
