// The pg layer's public async functions, each called with every defaulted argument left out.
#include <catch2/catch.hpp>
