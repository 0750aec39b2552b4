#include "names.h"

#include <cctype>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace ferry::compiler {
namespace {

const std::set<std::string>& CppKeywords() {
  static const auto* names = new std::set<std::string>{
      // C++20 keywords and alternative tokens.
      "alignas",       "alignof",     "and",
      "and_eq",        "asm",         "auto",
      "bitand",        "bitor",       "bool",
      "break",         "case",        "catch",
      "char",          "char8_t",     "char16_t",
      "char32_t",      "class",       "compl",
      "concept",       "const",       "consteval",
      "constexpr",     "constinit",   "const_cast",
      "continue",      "co_await",    "co_return",
      "co_yield",      "decltype",    "default",
      "delete",        "do",          "double",
      "dynamic_cast",  "else",        "enum",
      "explicit",      "export",      "extern",
      "false",         "float",       "for",
      "friend",        "goto",        "if",
      "inline",        "int",         "long",
      "mutable",       "namespace",   "new",
      "noexcept",      "not",         "not_eq",
      "nullptr",       "operator",    "or",
      "or_eq",         "private",     "protected",
      "public",        "register",    "reinterpret_cast",
      "requires",      "return",      "short",
      "signed",        "sizeof",      "static",
      "static_assert", "static_cast", "struct",
      "switch",        "template",    "this",
      "thread_local",  "throw",       "true",
      "try",           "typedef",     "typeid",
      "typename",      "union",       "unsigned",
      "using",         "virtual",     "void",
      "volatile",      "wchar_t",     "while",
      "xor",           "xor_eq",      "NULL"};
  return *names;
}

bool IsCppKeyword(const std::string& name) {
  return CppKeywords().count(name) > 0;
}

const std::set<std::string>& GeneratorNames() {
  static const auto* names = new std::set<std::string>{
      // Names the generator emits inside service classes.
      "Service", "Stub", "StubInterface", "NewStub", "MockStub",
      "method_descriptors", "service_full_name", "channel_",
      // Macros that commonly collide with identifiers.
      "EOF", "TRUE", "FALSE", "DEBUG", "assert", "errno", "linux", "unix",
      "major", "minor"};
  return *names;
}

}  // namespace

std::string EscapeIdentifier(const std::string& name) {
  if (IsCppKeyword(name) || GeneratorNames().count(name) > 0) {
    return name + "_";
  }
  return name;
}

std::string ServiceClassName(
    const google::protobuf::ServiceDescriptor* service) {
  return EscapeIdentifier(service->name());
}

std::string MethodName(const google::protobuf::MethodDescriptor* method) {
  return EscapeIdentifier(method->name());
}

std::string NamespaceOf(const google::protobuf::FileDescriptor* file) {
  // As protobuf's C++ generator: package components verbatim.
  return absl::StrReplaceAll(file->package(), {{".", "::"}});
}

std::string QualifiedClassName(const google::protobuf::Descriptor* message) {
  // As protobuf's C++ generator: nested messages become Outer_Inner, and a
  // name that is a C++ keyword gets a trailing underscore.
  std::string name = message->name();
  for (const google::protobuf::Descriptor* outer = message->containing_type();
       outer != nullptr; outer = outer->containing_type()) {
    name = outer->name() + "_" + name;
  }
  if (IsCppKeyword(name)) name += "_";
  const std::string ns = NamespaceOf(message->file());
  return ns.empty() ? absl::StrCat("::", name)
                    : absl::StrCat("::", ns, "::", name);
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
    if (std::isalnum(c)) {
      guard += static_cast<char>(std::toupper(c));
    } else {
      guard += absl::StrFormat("_%02X", c);
    }
  }
  return guard + "_";
}

}  // namespace ferry::compiler
