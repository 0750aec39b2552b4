#include "names.h"

#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/compiler/cpp/names.h"
#include "google/protobuf/descriptor.pb.h"

namespace ferry::compiler {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::ServiceDescriptor;
namespace cpp = google::protobuf::compiler::cpp;

// Names a service or method must not have in generated code.
const std::set<std::string>& ReservedNames() {
  static const auto* names = new std::set<std::string>{
      // C++20 keywords and alternative tokens.
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor",
      "bool", "break", "case", "catch", "char", "char8_t", "char16_t",
      "char32_t", "class", "compl", "concept", "const", "consteval",
      "constexpr", "constinit", "const_cast", "continue", "co_await",
      "co_return", "co_yield", "decltype", "default", "delete", "do", "double",
      "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false",
      "float", "for", "friend", "goto", "if", "inline", "int", "long",
      "mutable", "namespace", "new", "noexcept", "not", "not_eq", "nullptr",
      "operator", "or", "or_eq", "private", "protected", "public", "register",
      "reinterpret_cast", "requires", "return", "short", "signed", "sizeof",
      "static", "static_assert", "static_cast", "struct", "switch", "template",
      "this", "thread_local", "throw", "true", "try", "typedef", "typeid",
      "typename", "union", "unsigned", "using", "virtual", "void", "volatile",
      "wchar_t", "while", "xor", "xor_eq",
      // Macros of the C and POSIX headers that generated code includes
      // (object-like ones would be replaced, function-like ones expanded
      // before a parenthesis).
      "NULL", "EOF", "TRUE", "FALSE", "DEBUG", "assert", "errno", "linux",
      "unix", "major", "minor", "makedev", "offsetof", "setjmp", "va_arg",
      "va_copy", "va_end", "va_start",
      // Members of a generated service class. A member cannot share its
      // class's name, and a method named like one would hide it.
      "Service", "Stub", "StubInterface", "NewStub", "method_descriptors",
      "service_full_name",
      // Members of the generated Stub and of ::ferry::Service, which the
      // generated Service derives from.
      "channel_", "service_name", "SetInline", "SetMethodInline", "AddMethod",
      // The template parameter of Async<Method>.
      "CompletionToken",
      // GoogleTest's function-like macros (a test may include gtest.h before
      // generated headers; mock headers always do), besides those with the
      // prefixes in IsReserved().
      "TEST", "TEST_F", "TEST_P", "TYPED_TEST", "TYPED_TEST_P", "FRIEND_TEST",
      "FAIL", "SUCCEED", "ADD_FAILURE", "SCOPED_TRACE", "ON_CALL"};
  return *names;
}

// What the runtime declares in namespaces ferry, ferry::impl and
// ferry::internal, which a .proto's package may reopen. Keep in step with
// runtime/include/ferry/ (tests/codegen/runtime_names_check.sh compares).
const std::set<std::string>& RuntimeNames() {
  static const auto* names = new std::set<std::string>{
      "AsyncUnaryCall",
      "BidiStreamingHandler",
      "BindHandler",
      "BlockingUnaryCall",
      "CallCanceller",
      "CallControl",
      "CallOptions",
      "Channel",
      "ChannelAccess",
      "ChannelCore",
      "ChannelOptions",
      "ClientCallCore",
      "ClientCallInterface",
      "ClientContext",
      "ClientContextAccess",
      "ClientReadInterface",
      "ClientReader",
      "ClientReaderInterface",
      "ClientReaderWriter",
      "ClientReaderWriterInterface",
      "ClientStreamingHandler",
      "ClientWriteInterface",
      "ClientWriter",
      "ClientWriterInterface",
      "CreateChannel",
      "GetStatusDetails",
      "LogSeverity",
      "LogSink",
      "Metadata",
      "MethodDescriptor",
      "MethodHandler",
      "MethodKind",
      "OverloadPolicy",
      "ResponseBytes",
      "ResponseBytesAccess",
      "Server",
      "ServerBuilder",
      "ServerCall",
      "ServerContext",
      "ServerContextAccess",
      "ServerImpl",
      "ServerOptions",
      "ServerReader",
      "ServerStats",
      "ServerStream",
      "ServerStreamingHandler",
      "ServerWriter",
      "Service",
      "ServiceAccess",
      "SetLogSink",
      "SetMinLogSeverity",
      "SetStatusDetails",
      "StartStreamingCall",
      "StartUnaryCall",
      "UnaryHandler",
      "ValidateMetadata",
      "kStatusDetailsTypeUrl",
      "impl",
      "internal",
  };
  return *names;
}

bool IsRuntimePackage(const std::string& package) {
  return package == "ferry" || package == "ferry.impl" ||
         package == "ferry.internal";
}

// The names protobuf's C++ generator declares at namespace scope for an
// enum (see its enum.cc).
void AddProtobufNames(const EnumDescriptor* e, std::set<std::string>& taken) {
  const std::string name = cpp::ClassName(e);
  taken.insert(name);
  for (const char* suffix : {"_descriptor", "_IsValid", "_Name", "_Parse"}) {
    taken.insert(name + suffix);
  }
  const std::string limits = e->containing_type() == nullptr
                                 ? name
                                 : absl::StrCat(name, "_", e->name());
  for (const char* suffix : {"_MIN", "_MAX", "_ARRAYSIZE"}) {
    taken.insert(limits + suffix);
  }
  for (int i = 0; i < e->value_count(); ++i) {
    const std::string value = cpp::EnumValueName(e->value(i));
    taken.insert(e->containing_type() == nullptr
                     ? value
                     : absl::StrCat(name, "_", value));
  }
}

// ... for a message and everything nested in it (see its message.cc).
void AddProtobufNames(const Descriptor* message, std::set<std::string>& taken) {
  const std::string name = cpp::ClassName(message);
  taken.insert(name);
  taken.insert(name + "DefaultTypeInternal");
  taken.insert(absl::StrCat("_", name, "_default_instance_"));
  for (int i = 0; i < message->nested_type_count(); ++i) {
    AddProtobufNames(message->nested_type(i), taken);
  }
  for (int i = 0; i < message->enum_type_count(); ++i) {
    AddProtobufNames(message->enum_type(i), taken);
  }
}

// ... for a whole file.
void AddProtobufNames(const FileDescriptor* file,
                      std::set<std::string>& taken) {
  for (int i = 0; i < file->message_type_count(); ++i) {
    AddProtobufNames(file->message_type(i), taken);
  }
  for (int i = 0; i < file->enum_type_count(); ++i) {
    AddProtobufNames(file->enum_type(i), taken);
  }
  if (file->options().cc_generic_services()) {
    // protobuf's own service classes and their stubs.
    for (int i = 0; i < file->service_count(); ++i) {
      taken.insert(file->service(i)->name());
      taken.insert(file->service(i)->name() + "_Stub");
    }
  }
}

// `file` and every file it imports, directly or not.
void CollectFiles(const FileDescriptor* file,
                  std::set<const FileDescriptor*>& files) {
  if (!files.insert(file).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) {
    CollectFiles(file->dependency(i), files);
  }
}

bool IsReserved(const std::string& name) {
  if (ReservedNames().count(name) > 0) return true;
  // GoogleTest's and GoogleMock's function-like macros.
  for (const char* prefix :
       {"ASSERT_", "EXPECT_", "GTEST_", "GMOCK_", "MOCK_"}) {
    if (absl::StartsWith(name, prefix)) return true;
  }
  return false;
}

std::string Escape(const std::string& name) {
  return IsReserved(name) ? name + "_" : name;
}

// The names declared in one C++ scope. In a mock class, MOCK_METHOD for a
// method Foo also declares gmock_Foo, so a scope of methods takes that name
// along with each method's.
class Scope {
 public:
  explicit Scope(bool mock_methods, std::set<std::string> names = {})
      : mock_methods_(mock_methods), names_(std::move(names)) {}

  bool Has(const std::string& name) const {
    return names_.count(name) > 0 ||
           (mock_methods_ && names_.count("gmock_" + name) > 0);
  }
  // Declares `name`, with underscores appended until it is free.
  std::string Take(std::string name) {
    while (Has(name)) name += "_";
    names_.insert(name);
    if (mock_methods_) names_.insert("gmock_" + name);
    return name;
  }

 private:
  const bool mock_methods_;
  std::set<std::string> names_;
};

// Gives each of `wanted` (proto names, in order) a C++ name in `scope`.
// Names that need no escaping are placed first, so they never change
// because of an escaped one.
std::vector<std::string> Place(const std::vector<std::string>& wanted,
                               Scope& scope) {
  std::vector<std::string> placed(wanted.size());
  for (bool escaped : {false, true}) {
    for (size_t i = 0; i < wanted.size(); ++i) {
      std::string name = Escape(wanted[i]);
      if ((name != wanted[i]) != escaped) continue;
      placed[i] = scope.Take(std::move(name));
    }
  }
  return placed;
}

using NameCache = std::map<const FileDescriptor*, std::vector<ServiceNames>>;

const std::vector<ServiceNames>& NameServices(const FileDescriptor* file,
                                              NameCache& cache) {
  auto cached = cache.find(file);
  if (cached != cache.end()) return cached->second;

  // What is already declared in the file's namespace, as far as this file
  // can see: protobuf's classes, and Ferry's classes for imported files.
  std::set<std::string> taken;
  std::set<const FileDescriptor*> files;
  CollectFiles(file, files);
  for (const FileDescriptor* other : files) {
    if (other->package() != file->package()) continue;
    AddProtobufNames(other, taken);
    if (other == file) continue;
    for (const ServiceNames& service : NameServices(other, cache)) {
      taken.insert(service.class_name);
      taken.insert(service.mock_name);
    }
  }
  if (IsRuntimePackage(file->package())) {
    taken.insert(RuntimeNames().begin(), RuntimeNames().end());
  }

  Scope scope(/*mock_methods=*/false, std::move(taken));
  std::vector<ServiceNames> services(
      static_cast<size_t>(file->service_count()));
  std::vector<std::string> wanted;
  for (int i = 0; i < file->service_count(); ++i) {
    wanted.push_back(file->service(i)->name());
  }
  // Mock classes are named after all service classes, so that generating
  // mocks or not never changes a service's class name.
  const std::vector<std::string> classes = Place(wanted, scope);
  for (size_t i = 0; i < services.size(); ++i) {
    const ServiceDescriptor* service = file->service(static_cast<int>(i));
    services[i].class_name = classes[i];

    // Methods: the .proto names first, then the derived Async names. The
    // same rules hold with or without mocks, so that mocks=true never
    // renames a method.
    Scope members(/*mock_methods=*/true);
    std::vector<std::string> methods;
    for (int m = 0; m < service->method_count(); ++m) {
      methods.push_back(service->method(m)->name());
    }
    const std::vector<std::string> placed = Place(methods, members);
    services[i].methods.resize(placed.size());
    for (size_t m = 0; m < placed.size(); ++m) {
      services[i].methods[m].method = placed[m];
    }
    for (size_t m = 0; m < placed.size(); ++m) {
      const auto* method = service->method(static_cast<int>(m));
      if (method->client_streaming() || method->server_streaming()) continue;
      services[i].methods[m].async = members.Take("Async" + method->name());
      services[i].methods[m].async_raw =
          members.Take("Async" + method->name() + "Raw");
    }

    // The mock class has the methods as members, and a member cannot share
    // its class's name.
    std::string mock = absl::StrCat("Mock", service->name(), "Stub");
    while (scope.Has(mock) || members.Has(mock)) mock += "_";
    services[i].mock_name = scope.Take(std::move(mock));
  }
  return cache.emplace(file, std::move(services)).first->second;
}

}  // namespace

std::vector<ServiceNames> NameServices(const FileDescriptor* file) {
  NameCache cache;
  return NameServices(file, cache);
}

std::string NamespaceOf(const FileDescriptor* file) {
  // As protobuf's C++ generator: package components verbatim.
  return absl::StrReplaceAll(file->package(), {{".", "::"}});
}

std::string QualifiedClassName(const Descriptor* message) {
  return cpp::QualifiedClassName(message);
}

std::string StripProto(const std::string& filename) {
  if (filename.size() > 6 &&
      filename.compare(filename.size() - 6, 6, ".proto") == 0) {
    return filename.substr(0, filename.size() - 6);
  }
  return filename;
}

std::string IncludeGuard(const std::string& filename,
                         const std::string& suffix) {
  std::string guard = "FERRY_GENERATED_";
  for (unsigned char c : filename + suffix) {
    if (absl::ascii_isalnum(c)) {
      guard += static_cast<char>(c);
    } else {
      guard += absl::StrFormat("_%02X", c);
    }
  }
  return guard + "_";
}

}  // namespace ferry::compiler
