// Naming rules of the generated code: how proto names become C++ names.
#ifndef FERRY_COMPILER_NAMES_H_
#define FERRY_COMPILER_NAMES_H_

#include <string>

#include "google/protobuf/descriptor.h"

namespace ferry::compiler {

// A proto identifier as a C++ identifier: C++ keywords and the names the
// generator itself emits inside a service class (Service, Stub, NewStub,
// ...) get a trailing underscore, consistently everywhere.
std::string EscapeIdentifier(const std::string& name);

// The C++ name of the class generated for `service`.
std::string ServiceClassName(
    const google::protobuf::ServiceDescriptor* service);
// The C++ name of the members generated for `method`.
std::string MethodName(const google::protobuf::MethodDescriptor* method);

// "::package::sub::Message" for a message type, as protobuf names it.
std::string QualifiedClassName(const google::protobuf::Descriptor* message);
// "package::sub" (empty for no package), escaped as protobuf does.
std::string NamespaceOf(const google::protobuf::FileDescriptor* file);

// "dir/name" for "dir/name.proto".
std::string StripProto(const std::string& filename);
// A macro-safe include guard for `filename` + `suffix`: letters and digits
// upper-cased, every other byte hex-escaped, so distinct files never share
// a guard.
std::string IncludeGuard(const std::string& filename,
                         const std::string& suffix);

}  // namespace ferry::compiler

#endif  // FERRY_COMPILER_NAMES_H_
