// protoc-gen-ferry's code generator: for each .proto file, writes
// <name>.ferry.h and <name>.ferry.cc next to protobuf's <name>.pb.h/.pb.cc,
// with a client Stub and a server Service skeleton per service; with the
// option mocks=true also <name>.ferry_mock.h, a GoogleMock class per
// service's StubInterface. Options are comma-separated key=value pairs;
// an unknown one is an error.
//
// The output is built from fixed templates with variables; names and
// comments from the .proto are only ever substituted as values, so they
// cannot change the shape of the generated code. Every name from the
// runtime is fully qualified (::ferry::..., ::absl::..., ::std::...), so a
// user package cannot shadow it. The output depends only on the input
// descriptors: the same .proto yields the same bytes.
#ifndef FERRY_COMPILER_GENERATOR_H_
#define FERRY_COMPILER_GENERATOR_H_

#include <string>

#include "google/protobuf/compiler/code_generator.h"

namespace ferry::compiler {

class FerryGenerator final : public google::protobuf::compiler::CodeGenerator {
 public:
  bool Generate(const google::protobuf::FileDescriptor* file,
                const std::string& parameter,
                google::protobuf::compiler::GeneratorContext* context,
                std::string* error) const override;

  uint64_t GetSupportedFeatures() const override {
    return FEATURE_PROTO3_OPTIONAL;
  }
};

}  // namespace ferry::compiler

#endif  // FERRY_COMPILER_GENERATOR_H_
