# `cmake --install build` puts the libraries, headers and a package config in place, so that another
# project can say find_package(gale) and link gale::gale.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

get_property(layers GLOBAL PROPERTY GALE_LAYERS)
install(TARGETS ${layers} gale EXPORT galeTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES include/gale/gale.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/gale)

get_property(roots GLOBAL PROPERTY GALE_HEADER_ROOTS)
foreach(root IN LISTS roots)
  string(REPLACE "=" ";" pair ${root})
  list(GET pair 0 name)
  list(GET pair 1 dir)
  # The public tree only: private headers stay in <dir>/ (cmake/GaleBuild.cmake).
  install(DIRECTORY ${dir}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()

get_property(deps GLOBAL PROPERTY GALE_CONFIG_DEPENDENCIES)
string(JOIN "\n" GALE_CONFIG_DEPENDENCIES ${deps})
set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/gale)
install(EXPORT galeTargets NAMESPACE gale:: DESTINATION ${config_dir})
configure_package_config_file(cmake/galeConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/galeConfig.cmake INSTALL_DESTINATION ${config_dir})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/galeConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
# Find modules of dependencies that ship no CMake config of their own, used by galeConfig.cmake.
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/galeConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/galeConfigVersion.cmake cmake/FindHttpParser.cmake
  DESTINATION ${config_dir})
