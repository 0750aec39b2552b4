// Method descriptors: what the generated code tells the runtime about each
// RPC method, so neither the runtime nor tools parse method names.
//
// Generated code only; see README.md in this directory.
#ifndef FERRY_IMPL_METHOD_H_
#define FERRY_IMPL_METHOD_H_

#include "absl/strings/string_view.h"

namespace ferry::impl {

enum class MethodKind {
  kUnary,
  kClientStreaming,
  kServerStreaming,
  kBidiStreaming,
};

struct MethodDescriptor {
  // "/package.Service/Method", the name on the wire.
  absl::string_view full_name;
  // "package.Service".
  absl::string_view service_name;
  // "Method", as written in the .proto file.
  absl::string_view method_name;
  MethodKind kind;
  // Fully qualified protobuf type names, "package.Request".
  absl::string_view request_type;
  absl::string_view response_type;
};

}  // namespace ferry::impl

#endif  // FERRY_IMPL_METHOD_H_
