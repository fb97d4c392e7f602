# Compiler settings shared by every target of the project.

# Warnings as errors, for project code only (system headers stay quiet).
add_library(gale_warnings INTERFACE)
target_compile_options(gale_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
  -Wcast-align -Wimplicit-fallthrough -Wmissing-declarations)

# GALE_FUZZ: libFuzzer's coverage instrumentation with ASan and UBSan on every target; the harnesses
# add -fsanitize=fuzzer at link time (fuzz/CMakeLists.txt).
if(GALE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "GALE_FUZZ needs clang: configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(GALE_SANITIZE)
    message(FATAL_ERROR "GALE_FUZZ brings its own sanitizers: leave GALE_SANITIZE off")
  endif()
  # UBSan's `function` check cannot be emitted for coroutines by clang 14 ("Cannot represent a
  # difference across sections", llvm-project#49689): every other check stays on.
  set(GALE_SANITIZER_FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=function
      -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
endif()

# GALE_SANITIZE: OFF, ON (= address: ASan+UBSan) or thread (TSan).
if(GALE_SANITIZE STREQUAL "thread")
  # Asio fences its handlers with atomic_thread_fence, which g++ warns TSan does not model.
  set(GALE_SANITIZER_FLAGS -fsanitize=thread -fno-omit-frame-pointer)
  add_compile_options(-Wno-tsan)
elseif(GALE_SANITIZE)
  set(GALE_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined
      -fno-omit-frame-pointer)
endif()
if(GALE_SANITIZER_FLAGS)
  add_compile_options(${GALE_SANITIZER_FLAGS})
  add_link_options(${GALE_SANITIZER_FLAGS})
  list(JOIN GALE_SANITIZER_FLAGS " " GALE_SANITIZER_FLAGS)  # one string, for tools that take flags
endif()

# The project's own programs export their symbols (-rdynamic), so that the blocking watchdog's stack
# traces name their functions. Not pushed on users: docs/install.md says how to opt in.
add_link_options(-rdynamic)

# Each layer keeps the headers users may include in <dir>/include/gale/<name>/ (the public tree,
# installed) and its private headers beside its sources in <dir>/ (never installed). Both are
# spelled <gale/<name>/...>: the public ones through each layer's <dir>/include, the private ones
# through build/private-include, a root of links to the layer folders that only the layers
# themselves and the gale_internals target (white-box tests, fuzzers) see.
set(GALE_PRIVATE_INCLUDE_ROOT ${CMAKE_BINARY_DIR}/private-include)
file(MAKE_DIRECTORY ${GALE_PRIVATE_INCLUDE_ROOT}/gale)
add_library(gale_internals INTERFACE)
target_include_directories(gale_internals INTERFACE $<BUILD_INTERFACE:${GALE_PRIVATE_INCLUDE_ROOT}>)

# gale_header_root(<name> <dir>): <dir>/include/gale/<name>/ holds the layer's public headers, and
# its private ones (<dir>/detail/..., <dir>/connection.hpp) become <gale/<name>/...> for the layer
# itself and gale_internals.
function(gale_header_root name dir)
  set(link ${GALE_PRIVATE_INCLUDE_ROOT}/gale/${name})
  if(NOT EXISTS ${link})
    file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR}/${dir} ${link} SYMBOLIC)
  endif()
  set_property(GLOBAL APPEND PROPERTY GALE_HEADER_ROOTS "${name}=${dir}")
endfunction()

# gale_layer(<target> SOURCES ...): one library per layer, exported as gale::<name>; static, or
# shared with BUILD_SHARED_LIBS=ON (libgale_<layer>.so.<major>.<minor>, soname bumped with the
# minor version while gale is 0.x, as its package version's SameMinorVersion promises).
function(gale_layer target)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  add_library(${target} ${ARG_SOURCES})
  string(REPLACE "gale_" "" short ${target})
  add_library(gale::${short} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${short} POSITION_INDEPENDENT_CODE ON
    VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}
    INSTALL_RPATH "\$ORIGIN")  # a shared layer finds the layers it needs beside it
  target_include_directories(${target}
    PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
           $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:include>
    PRIVATE ${GALE_PRIVATE_INCLUDE_ROOT})
  target_link_libraries(${target} PRIVATE $<BUILD_INTERFACE:gale_warnings>)
  set_property(GLOBAL APPEND PROPERTY GALE_LAYERS ${target})
endfunction()
