#include "generator.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/io/printer.h"
#include "google/protobuf/io/zero_copy_stream.h"
#include "names.h"

namespace ferry::compiler {
namespace {

using google::protobuf::FileDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;
using google::protobuf::io::Printer;
using Vars = std::map<std::string, std::string>;

// Carries a proto comment over as // lines. The text is printed as a
// variable's value, so nothing in it ($, */, templates) is interpreted.
template <typename DescriptorT>
void PrintComment(Printer& p, const DescriptorT* descriptor) {
  google::protobuf::SourceLocation location;
  if (!descriptor->GetSourceLocation(&location)) return;
  absl::string_view text = location.leading_comments;
  if (text.empty()) return;
  absl::ConsumeSuffix(&text, "\n");
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::string out(line);
    // A trailing backslash would splice the next line into the comment.
    if (!out.empty() && out.back() == '\\') out += "(backslash)";
    if (out.empty()) {
      p.Print("//\n");
    } else {
      p.Print("//$line$\n", "line", out);
    }
  }
}

Vars MethodVars(const MethodDescriptor* method, int index) {
  Vars vars;
  vars["Method"] = MethodName(method);
  vars["method_name"] = method->name();
  vars["Request"] = QualifiedClassName(method->input_type());
  vars["Response"] = QualifiedClassName(method->output_type());
  vars["index"] = absl::StrCat(index);
  return vars;
}

std::string KindName(const MethodDescriptor* method) {
  if (method->client_streaming() && method->server_streaming()) {
    return "kBidiStreaming";
  }
  if (method->client_streaming()) return "kClientStreaming";
  if (method->server_streaming()) return "kServerStreaming";
  return "kUnary";
}

bool IsUnary(const MethodDescriptor* method) {
  return !method->client_streaming() && !method->server_streaming();
}

void PrintDeprecation(Printer& p, const MethodDescriptor* method) {
  if (method->options().deprecated()) p.Print("[[deprecated]]\n");
}

// ---- header ----

void PrintHeaderService(Printer& p, const ServiceDescriptor* service) {
  Vars vars;
  vars["Service"] = ServiceClassName(service);
  vars["full_name"] = service->full_name();
  vars["count"] = absl::StrCat(service->method_count());

  PrintComment(p, service);
  p.Print(vars, "class $Service$ final {\n public:\n");
  p.Indent();
  p.Print(vars,
          "$Service$() = delete;\n\n"
          "static constexpr ::absl::string_view service_full_name =\n"
          "    \"$full_name$\";\n"
          "// One descriptor per method, in .proto order.\n"
          "static const ::std::array<::ferry::impl::MethodDescriptor, "
          "$count$>\n"
          "    method_descriptors;\n\n");

  // Client interface, for code that wants to substitute a mock.
  p.Print("class StubInterface {\n public:\n");
  p.Indent();
  p.Print("virtual ~StubInterface() = default;\n");
  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* method = service->method(i);
    Vars m = MethodVars(method, i);
    p.Print("\n");
    PrintComment(p, method);
    PrintDeprecation(p, method);
    p.Print(m,
            "virtual ::absl::StatusOr<$Response$> $Method$(\n"
            "    const $Request$& request,\n"
            "    const ::ferry::CallOptions& options = {}) = 0;\n");
  }
  p.Outdent();
  p.Print("};\n\n");

  // Client stub.
  p.Print(
      "// Calls the service over a channel. Thread-safe; share one per "
      "channel.\n"
      "class Stub final : public StubInterface {\n public:\n");
  p.Indent();
  p.Print("explicit Stub(::std::shared_ptr<::ferry::Channel> channel);\n");
  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* method = service->method(i);
    Vars m = MethodVars(method, i);
    p.Print("\n");
    PrintComment(p, method);
    PrintDeprecation(p, method);
    p.Print(m,
            "::absl::StatusOr<$Response$> $Method$(\n"
            "    const $Request$& request,\n"
            "    const ::ferry::CallOptions& options = {}) override;\n");
  }
  p.Outdent();
  p.Print(
      "\n private:\n"
      "  ::std::shared_ptr<::ferry::Channel> channel_;\n"
      "};\n\n");
  p.Print(
      "static ::std::unique_ptr<Stub> NewStub(\n"
      "    ::std::shared_ptr<::ferry::Channel> channel);\n\n");

  // Server skeleton.
  p.Print(vars,
          "// Derive from this class and override the methods you serve; the\n"
          "// others answer UNIMPLEMENTED. Handlers run on worker threads,\n"
          "// several at once.\n"
          "class Service : public ::ferry::Service {\n public:\n");
  p.Indent();
  p.Print("Service();\n~Service() override;\n");
  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* method = service->method(i);
    Vars m = MethodVars(method, i);
    p.Print("\n");
    PrintComment(p, method);
    PrintDeprecation(p, method);
    p.Print(m,
            "virtual ::absl::Status $Method$(::ferry::ServerContext& context,\n"
            "                                const $Request$& request,\n"
            "                                $Response$& response);\n");
  }
  p.Outdent();
  p.Print("};\n");
  p.Outdent();
  p.Print("};\n\n");
}

// ---- source ----

void PrintSourceService(Printer& p, const ServiceDescriptor* service) {
  Vars vars;
  vars["Service"] = ServiceClassName(service);
  vars["full_name"] = service->full_name();
  vars["count"] = absl::StrCat(service->method_count());

  p.Print(vars,
          "const ::std::array<::ferry::impl::MethodDescriptor, $count$>\n"
          "    $Service$::method_descriptors = {{\n");
  p.Indent();
  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* method = service->method(i);
    Vars m = MethodVars(method, i);
    m["full_method"] =
        absl::StrCat("/", service->full_name(), "/", method->name());
    m["service_full"] = service->full_name();
    m["kind"] = KindName(method);
    m["request_type"] = method->input_type()->full_name();
    m["response_type"] = method->output_type()->full_name();
    p.Print(m,
            "{\"$full_method$\", \"$service_full$\", \"$method_name$\",\n"
            " ::ferry::impl::MethodKind::$kind$, \"$request_type$\",\n"
            " \"$response_type$\"},\n");
  }
  p.Outdent();
  p.Print("}};\n\n");

  p.Print(vars,
          "$Service$::Stub::Stub(::std::shared_ptr<::ferry::Channel> "
          "channel)\n"
          "    : channel_(::std::move(channel)) {}\n\n"
          "::std::unique_ptr<$Service$::Stub> $Service$::NewStub(\n"
          "    ::std::shared_ptr<::ferry::Channel> channel) {\n"
          "  return ::std::make_unique<Stub>(::std::move(channel));\n"
          "}\n\n");

  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* method = service->method(i);
    Vars m = MethodVars(method, i);
    m["Service"] = vars["Service"];
    p.Print(m,
            "::absl::StatusOr<$Response$> $Service$::Stub::$Method$(\n"
            "    const $Request$& request, const ::ferry::CallOptions& "
            "options) {\n"
            "  $Response$ response;\n"
            "  ::absl::Status status = ::ferry::impl::BlockingUnaryCall(\n"
            "      *channel_, method_descriptors[$index$], options, request, "
            "response);\n"
            "  if (!status.ok()) return status;\n"
            "  return response;\n"
            "}\n\n");
  }

  p.Print(vars,
          "$Service$::Service::Service() : ::ferry::Service(service_full_name) "
          "{\n");
  p.Indent();
  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* method = service->method(i);
    Vars m = MethodVars(method, i);
    p.Print(
        m,
        "::ferry::Service::AddMethod(::std::make_unique<\n"
        "    ::ferry::impl::UnaryHandler<Service, $Request$, $Response$>>(\n"
        "    method_descriptors[$index$], this, &Service::$Method$));\n");
  }
  p.Outdent();
  p.Print(vars, "}\n\n$Service$::Service::~Service() = default;\n\n");

  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* method = service->method(i);
    Vars m = MethodVars(method, i);
    m["Service"] = vars["Service"];
    m["full_name"] = service->full_name();
    p.Print(
        m,
        "::absl::Status $Service$::Service::$Method$(::ferry::ServerContext&,\n"
        "                                          const $Request$&,\n"
        "                                          $Response$&) {\n"
        "  return ::absl::UnimplementedError(\n"
        "      \"method $method_name$ of service $full_name$ is not "
        "implemented\");\n"
        "}\n\n");
  }
}

void OpenNamespace(Printer& p, const FileDescriptor* file) {
  const std::string ns = NamespaceOf(file);
  if (!ns.empty()) p.Print("namespace $ns$ {\n\n", "ns", ns);
}

void CloseNamespace(Printer& p, const FileDescriptor* file) {
  const std::string ns = NamespaceOf(file);
  if (!ns.empty()) p.Print("}  // namespace $ns$\n", "ns", ns);
}

void PrintBanner(Printer& p, const FileDescriptor* file) {
  p.Print(
      "// Generated by protoc-gen-ferry from the file below. DO NOT EDIT!\n"
      "// source: $file$\n\n",
      "file", file->name());
}

}  // namespace

bool FerryGenerator::Generate(
    const FileDescriptor* file, const std::string& parameter,
    google::protobuf::compiler::GeneratorContext* context,
    std::string* error) const {
  // Plugin options: comma-separated key=value pairs. None are known yet, so
  // any option is a mistake worth reporting rather than ignoring.
  for (absl::string_view option :
       absl::StrSplit(parameter, ',', absl::SkipEmpty())) {
    *error = absl::StrCat("protoc-gen-ferry: unknown option \"", option, "\"");
    return false;
  }
  for (int s = 0; s < file->service_count(); ++s) {
    const ServiceDescriptor* service = file->service(s);
    for (int m = 0; m < service->method_count(); ++m) {
      if (!IsUnary(service->method(m))) {
        *error = absl::StrCat(
            "protoc-gen-ferry: ", service->method(m)->full_name(),
            ": streaming methods are not supported by this version");
        return false;
      }
    }
  }

  const std::string stem = StripProto(file->name());
  {
    std::unique_ptr<google::protobuf::io::ZeroCopyOutputStream> out(
        context->Open(stem + ".ferry.h"));
    Printer p(out.get(), '$');
    const std::string guard = IncludeGuard(file->name(), ".ferry.h");
    PrintBanner(p, file);
    p.Print("#ifndef $guard$\n#define $guard$\n\n", "guard", guard);
    p.Print(
        "#include <array>\n"
        "#include <memory>\n\n"
        "#include \"absl/status/status.h\"\n"
        "#include \"absl/status/statusor.h\"\n"
        "#include \"absl/strings/string_view.h\"\n"
        "#include \"ferry/call_options.h\"\n"
        "#include \"ferry/channel.h\"\n"
        "#include \"ferry/impl/method.h\"\n"
        "#include \"ferry/server_context.h\"\n"
        "#include \"ferry/service.h\"\n"
        "#include \"$pb_h$\"\n\n",
        "pb_h", stem + ".pb.h");
    OpenNamespace(p, file);
    for (int s = 0; s < file->service_count(); ++s) {
      PrintHeaderService(p, file->service(s));
    }
    CloseNamespace(p, file);
    p.Print("\n#endif  // $guard$\n", "guard", guard);
    if (p.failed()) {
      *error = "protoc-gen-ferry: failed writing " + stem + ".ferry.h";
      return false;
    }
  }
  {
    std::unique_ptr<google::protobuf::io::ZeroCopyOutputStream> out(
        context->Open(stem + ".ferry.cc"));
    Printer p(out.get(), '$');
    PrintBanner(p, file);
    p.Print(
        "#include \"$ferry_h$\"\n\n"
        "#include <utility>\n\n"
        "#include \"ferry/impl/client_call.h\"\n"
        "#include \"ferry/impl/service.h\"\n\n",
        "ferry_h", stem + ".ferry.h");
    OpenNamespace(p, file);
    for (int s = 0; s < file->service_count(); ++s) {
      PrintSourceService(p, file->service(s));
    }
    CloseNamespace(p, file);
    if (p.failed()) {
      *error = "protoc-gen-ferry: failed writing " + stem + ".ferry.cc";
      return false;
    }
  }
  return true;
}

}  // namespace ferry::compiler
