// Naming rules of the generated code: how proto names become C++ names.
//
// Every C++ name the generator derives from a .proto name is computed here,
// once per file, so the header, the source and the mock header always agree.
// The rules, in docs/codegen.md:
//
//  - A service or method name that is a C++ keyword, a common macro or a
//    name the generated code itself declares (Service, Stub, NewStub, ...)
//    gets a trailing underscore: `rpc delete` becomes `delete_()`.
//  - If the result is still taken (by another method, by a class protobuf
//    generates into the same namespace, by a service of an imported file of
//    the same package, by the runtime when the package is `ferry`), more
//    underscores are appended until it is free. Names that need no escaping
//    are settled first, so they never change because of an escaped one.
//  - Async<Method>/Async<Method>Raw and Mock<Service>Stub are derived from
//    the .proto name and made unique the same way.
//
// The names depend only on the file and the files it imports, never on
// which other files are generated with it: the output is deterministic.
#ifndef FERRY_COMPILER_NAMES_H_
#define FERRY_COMPILER_NAMES_H_

#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"

namespace ferry::compiler {

// The C++ names generated for one method.
struct MethodNames {
  // The member of StubInterface, Stub and Service: "SayHello".
  std::string method;
  // For unary methods only: "AsyncSayHello" and "AsyncSayHelloRaw".
  std::string async;
  std::string async_raw;
};

// The C++ names generated for one service.
struct ServiceNames {
  // The class holding StubInterface, Stub and Service: "Greeter".
  std::string class_name;
  // The GoogleMock class of the .ferry_mock.h file: "MockGreeterStub".
  std::string mock_name;
  // One per method, in .proto order.
  std::vector<MethodNames> methods;
};

// The names of every service in `file`, in .proto order.
std::vector<ServiceNames> NameServices(
    const google::protobuf::FileDescriptor* file);

// "::package::sub::Message", exactly as protobuf's C++ generator names the
// class (nested messages become Outer_Inner, keywords get an underscore).
std::string QualifiedClassName(const google::protobuf::Descriptor* message);
// "package::sub" (empty for no package): the namespace protobuf uses.
std::string NamespaceOf(const google::protobuf::FileDescriptor* file);

// "dir/name" for "dir/name.proto".
std::string StripProto(const std::string& filename);
// An include guard for `filename` + `suffix`: "FERRY_GENERATED_" followed
// by the name with letters and digits kept and every other byte written as
// _XX in hex, so distinct file names never share a guard.
std::string IncludeGuard(const std::string& filename,
                         const std::string& suffix);

}  // namespace ferry::compiler

#endif  // FERRY_COMPILER_NAMES_H_
