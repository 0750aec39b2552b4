# Install rules and the CMake package (find_package(Ferry CONFIG)).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(FERRY_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/Ferry")

install(TARGETS ferry_runtime protoc-gen-ferry
  EXPORT FerryTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY runtime/include/ferry
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT FerryTargets
  NAMESPACE Ferry::
  DESTINATION ${FERRY_CMAKE_DIR})

configure_package_config_file(cmake/FerryConfig.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/FerryConfig.cmake"
  INSTALL_DESTINATION ${FERRY_CMAKE_DIR})
# Before 1.0, a minor version may break compatibility.
write_basic_package_version_file(
  "${CMAKE_CURRENT_BINARY_DIR}/FerryConfigVersion.cmake"
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${CMAKE_CURRENT_BINARY_DIR}/FerryConfig.cmake"
  "${CMAKE_CURRENT_BINARY_DIR}/FerryConfigVersion.cmake"
  cmake/FerryGenerate.cmake
  DESTINATION ${FERRY_CMAKE_DIR})
