# ferry_generate(TARGET <target>
#                PROTOS <file.proto>...
#                [IMPORT_DIRS <dir>...]
#                [OUT_DIR <dir>]
#                [PROTOC <target-or-path>]
#                [PLUGIN <target-or-path>]
#                [MOCKS]
#                [PLUGIN_OPTIONS <key=value>...])
#
# Runs protoc once per .proto file, producing protobuf's C++ output
# (<name>.pb.h/.pb.cc) and Ferry's (<name>.ferry.h/.ferry.cc), adds the
# generated sources to <target> and the output directory to its include path.
#
# Each file is named relative to the first IMPORT_DIRS entry that contains it,
# so `IMPORT_DIRS protos` with `protos/acme/api.proto` generates
# `acme/api.pb.h`. Without IMPORT_DIRS, each file's own directory is its import
# root. protobuf's own include directory (for the well-known types) is always
# searched last.
#
# OUT_DIR defaults to ${CMAKE_CURRENT_BINARY_DIR}/<target>_ferry_gen.
# PROTOC and PLUGIN default to protobuf::protoc and Ferry::protoc-gen-ferry;
# pass another executable (a target or a path) for cross builds. The outputs
# are regenerated when the .proto, anything it imports, protoc or the plugin
# changes.
#
# MOCKS also generates <name>.ferry_mock.h with a GoogleMock class
# Mock<Service>Stub for each service's StubInterface (the plugin option
# mocks=true). The target, or whatever includes the mock headers, must then
# link GTest::gmock. PLUGIN_OPTIONS passes further key=value options to the
# plugin, which rejects any it does not know.
include_guard(GLOBAL)

function(_ferry_exe_location var dep_var tool)
  if(TARGET "${tool}")
    set(${var} "$<TARGET_FILE:${tool}>" PARENT_SCOPE)
    set(${dep_var} "${tool}" PARENT_SCOPE)
  else()
    get_filename_component(abs "${tool}" ABSOLUTE)
    set(${var} "${abs}" PARENT_SCOPE)
    set(${dep_var} "${abs}" PARENT_SCOPE)
  endif()
endfunction()

function(ferry_generate)
  cmake_parse_arguments(PARSE_ARGV 0 FG "MOCKS" "TARGET;OUT_DIR;PROTOC;PLUGIN"
                        "PROTOS;IMPORT_DIRS;PLUGIN_OPTIONS")
  if(FG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "ferry_generate: unknown arguments: ${FG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT FG_TARGET)
    message(FATAL_ERROR "ferry_generate: TARGET is required")
  endif()
  if(NOT TARGET "${FG_TARGET}")
    message(FATAL_ERROR "ferry_generate: '${FG_TARGET}' is not a target")
  endif()
  if(NOT FG_PROTOS)
    message(FATAL_ERROR "ferry_generate: PROTOS is required")
  endif()

  if(NOT FG_OUT_DIR)
    set(FG_OUT_DIR "${CMAKE_CURRENT_BINARY_DIR}/${FG_TARGET}_ferry_gen")
  endif()
  get_filename_component(out_dir "${FG_OUT_DIR}" ABSOLUTE
                         BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  file(MAKE_DIRECTORY "${out_dir}")

  if(NOT FG_PROTOC)
    if(TARGET protobuf::protoc)
      set(FG_PROTOC protobuf::protoc)
    elseif(Protobuf_PROTOC_EXECUTABLE)
      set(FG_PROTOC "${Protobuf_PROTOC_EXECUTABLE}")
    else()
      message(FATAL_ERROR "ferry_generate: no protoc found; pass PROTOC")
    endif()
  endif()
  if(NOT FG_PLUGIN)
    set(FG_PLUGIN Ferry::protoc-gen-ferry)
  endif()
  _ferry_exe_location(protoc protoc_dep "${FG_PROTOC}")
  _ferry_exe_location(plugin plugin_dep "${FG_PLUGIN}")

  set(options ${FG_PLUGIN_OPTIONS})
  if("mocks=true" IN_LIST options)
    set(FG_MOCKS ON)
  elseif(FG_MOCKS)
    list(APPEND options "mocks=true")
  endif()
  list(JOIN options "," option_string)
  if(option_string)
    set(ferry_out "--ferry_out=${option_string}:${out_dir}")
  else()
    set(ferry_out "--ferry_out=${out_dir}")
  endif()

  set(import_dirs)
  foreach(dir IN LISTS FG_IMPORT_DIRS)
    get_filename_component(abs "${dir}" ABSOLUTE)
    list(APPEND import_dirs "${abs}")
  endforeach()

  set(generated_sources)
  foreach(proto IN LISTS FG_PROTOS)
    get_filename_component(proto_abs "${proto}" ABSOLUTE)
    if(NOT EXISTS "${proto_abs}")
      message(FATAL_ERROR "ferry_generate: ${proto_abs} does not exist")
    endif()
    # The import root: the first import dir that contains the file.
    set(root "")
    foreach(dir IN LISTS import_dirs)
      cmake_path(IS_PREFIX dir "${proto_abs}" NORMALIZE contained)
      if(contained)
        set(root "${dir}")
        break()
      endif()
    endforeach()
    if(NOT root)
      get_filename_component(root "${proto_abs}" DIRECTORY)
    endif()
    file(RELATIVE_PATH rel "${root}" "${proto_abs}")
    string(REGEX REPLACE "\\.proto$" "" stem "${rel}")

    set(include_flags "-I${root}")
    foreach(dir IN LISTS import_dirs)
      list(APPEND include_flags "-I${dir}")
    endforeach()
    foreach(dir IN LISTS Protobuf_INCLUDE_DIRS)
      list(APPEND include_flags "-I${dir}")
    endforeach()
    list(REMOVE_DUPLICATES include_flags)

    set(outputs
      "${out_dir}/${stem}.pb.h" "${out_dir}/${stem}.pb.cc"
      "${out_dir}/${stem}.ferry.h" "${out_dir}/${stem}.ferry.cc")
    if(FG_MOCKS)
      list(APPEND outputs "${out_dir}/${stem}.ferry_mock.h")
    endif()
    string(MAKE_C_IDENTIFIER "${stem}" depname)
    set(depfile "${out_dir}/${depname}.proto.d")
    add_custom_command(
      OUTPUT ${outputs}
      COMMAND "${protoc}" ${include_flags}
              "--cpp_out=${out_dir}"
              "--plugin=protoc-gen-ferry=${plugin}"
              "${ferry_out}"
              "--dependency_out=${depfile}"
              "${proto_abs}"
      DEPENDS "${proto_abs}" ${protoc_dep} ${plugin_dep}
      DEPFILE "${depfile}"
      COMMENT "Generating C++ and Ferry code from ${rel}"
      COMMAND_EXPAND_LISTS
      VERBATIM)
    list(APPEND generated_sources ${outputs})
  endforeach()

  target_sources(${FG_TARGET} PRIVATE ${generated_sources})
  get_target_property(type ${FG_TARGET} TYPE)
  if(type STREQUAL "EXECUTABLE")
    target_include_directories(${FG_TARGET} PRIVATE "${out_dir}")
  else()
    target_include_directories(${FG_TARGET} PUBLIC "$<BUILD_INTERFACE:${out_dir}>")
  endif()
endfunction()
