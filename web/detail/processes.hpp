// Forking worker processes, as Tornado's tornado.process.fork_processes.
#pragma once

namespace gale::web::detail {

// Forks `n` workers and returns the worker's number (0..n-1) in each of them. The parent never
// returns: it restarts a worker that dies abnormally (up to max_restarts times), forwards SIGTERM
// and SIGINT to the workers, and exits once all of them have exited (0 if all exited cleanly). A
// worker that exits with a start-up code (2 or 64-78, gale/loop/fatal_error.hpp) is not restarted:
// the others are stopped and the parent exits with that code. With forward_sighup (an HTTPS
// server, whose workers reload their certificates on it) SIGHUP is forwarded too.
int fork_processes(int n, int max_restarts = 100, bool forward_sighup = false);

// The worker's number, -1 in a process that did not come from fork_processes.
int task_id() noexcept;

}  // namespace gale::web::detail
