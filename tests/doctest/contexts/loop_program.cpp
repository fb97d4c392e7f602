// doctest-kind: declarations
// A program on the loop layer, whole but for `blocking_hash()` (some blocking work, declared
// here). The block brings its own #include.
#pragma GCC diagnostic ignored "-Wmissing-declarations"
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"

int blocking_hash();

// @BLOCK@
