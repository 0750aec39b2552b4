# The dependencies of Ferry's runtime and plugin. FerryConfig.cmake repeats
# these find calls with find_dependency() for consumers of the installed
# package; keep the two in step.
find_package(Threads REQUIRED)
# Debian's libprotobuf-dev ships no CMake package: use CMake's FindProtobuf,
# which provides protobuf::libprotobuf, protobuf::libprotoc, protobuf::protoc.
find_package(Protobuf 3.21 REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(Boost 1.74 REQUIRED)
