#include <gale/loop/loop.hpp>

#include <cstdio>

using namespace std::chrono_literals;

int main() {
  gale::IOLoop loop;
  int v = loop.run_sync([]() -> gale::Future<int> {
    co_await gale::sleep(1ms);
    co_return 40 + 2;
  });
  std::printf("consumer got %d\n", v);
  return v == 42 ? 0 : 1;
}
