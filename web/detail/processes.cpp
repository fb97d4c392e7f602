#include "gale/web/detail/processes.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <map>

#include "gale/loop/error.hpp"
#include "gale/loop/fatal_error.hpp"
#include "gale/loop/log.hpp"

namespace gale::web::detail {
namespace {

int g_task_id = -1;

// In the parent: fork worker `id`; returns true in the child.
bool spawn(int id, std::map<pid_t, int>& children, const sigset_t& old_mask) {
  pid_t pid = fork();
  if (pid < 0) throw Error(ErrorKind::internal, "fork() failed");
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    g_task_id = id;
    return true;
  }
  children[pid] = id;
  return false;
}

// A worker that exits with a code of its own (gale/loop/fatal_error.hpp, sysexits.h's 64-78) said
// that it cannot run: a bad option or URI, credentials refused, a database down at start-up. A new
// worker would fail the same way, so the service stops with that code instead of restarting it.
bool cannot_run(int status) {
  if (!WIFEXITED(status)) return false;
  int code = WEXITSTATUS(status);
  return code == kExitUsage || (code >= 64 && code <= 78);
}

void signal_all(const std::map<pid_t, int>& children, int signal) {
  for (const auto& [pid, id] : children) kill(pid, signal);
}

[[noreturn]] void exit_when_done(int status) {
  log::info("gale.process", "all workers exited; the supervisor exits ({})", status);
  std::exit(status);
}

}  // namespace

int task_id() noexcept {
  return g_task_id;
}

int fork_processes(int n, int max_restarts, bool forward_sighup) {
  if (g_task_id >= 0) throw Error(ErrorKind::internal, "fork_processes: already a worker");
  // The supervisor takes its signals synchronously; the workers get the old mask back.
  sigset_t wanted;
  sigset_t old_mask;
  sigemptyset(&wanted);
  sigaddset(&wanted, SIGCHLD);
  sigaddset(&wanted, SIGTERM);
  sigaddset(&wanted, SIGINT);
  if (forward_sighup) sigaddset(&wanted, SIGHUP);
  sigprocmask(SIG_BLOCK, &wanted, &old_mask);
  std::map<pid_t, int> children;
  log::info("gale.process", "starting {} worker processes", n);
  for (int id = 0; id < n; ++id) {
    if (spawn(id, children, old_mask)) return id;
  }
  bool stopping = false;
  int restarts = 0;
  int status_out = 0;
  while (!children.empty()) {
    siginfo_t info{};
    if (sigwaitinfo(&wanted, &info) < 0) continue;
    if (info.si_signo == SIGHUP) {
      signal_all(children, SIGHUP);  // not a stop: each worker reloads its certificates
      continue;
    }
    if (info.si_signo == SIGTERM || info.si_signo == SIGINT) {
      stopping = true;
      signal_all(children, info.si_signo);
      continue;
    }
    int status = 0;
    pid_t pid = 0;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      auto it = children.find(pid);
      if (it == children.end()) continue;
      int id = it->second;
      children.erase(it);
      bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      if (clean || stopping) {
        if (!clean && status_out == 0) status_out = 1;
        continue;
      }
      if (cannot_run(status)) {
        log::error("gale.process",
                   "worker {} (pid {}) cannot run (exit status {}); stopping the "
                   "other workers",
                   id, pid, WEXITSTATUS(status));
        stopping = true;
        status_out = WEXITSTATUS(status);
        signal_all(children, SIGTERM);
        continue;
      }
      log::warning("gale.process", "worker {} (pid {}) {} {}", id, pid,
                   WIFSIGNALED(status) ? "killed by signal" : "exited with status",
                   WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
      if (++restarts > max_restarts) {
        log::error("gale.process", "too many worker restarts; giving up");
        status_out = 1;
        continue;
      }
      if (spawn(id, children, old_mask)) return id;
    }
  }
  exit_when_done(status_out);
}

}  // namespace gale::web::detail
