#include "generator.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

enum class Kind { kUnary, kClientStreaming, kServerStreaming, kBidi };

Kind KindOf(const MethodDescriptor* method) {
  if (method->client_streaming() && method->server_streaming()) {
    return Kind::kBidi;
  }
  if (method->client_streaming()) return Kind::kClientStreaming;
  if (method->server_streaming()) return Kind::kServerStreaming;
  return Kind::kUnary;
}

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kUnary:
      return "kUnary";
    case Kind::kClientStreaming:
      return "kClientStreaming";
    case Kind::kServerStreaming:
      return "kServerStreaming";
    case Kind::kBidi:
      return "kBidiStreaming";
  }
  return "kUnary";
}

// A proto comment as the lines of a // comment. The text is only ever
// printed as a variable's value, so nothing in it ($, */, templates) is
// interpreted. Two things could still let it escape the comment, and are
// neutralized: a control character becomes a space (a lone CR ends a line
// for C++ compilers), and a line that ends in a backslash or the trigraph
// ??/ (after trailing whitespace is dropped) would splice the next line
// into the comment, so it gets a marker appended.
std::vector<std::string> CommentLines(absl::string_view text) {
  std::vector<std::string> lines;
  absl::ConsumeSuffix(&text, "\n");
  if (text.empty()) return lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::string out(line);
    for (char& c : out) {
      const auto byte = static_cast<unsigned char>(c);
      if ((byte < 0x20 && c != '\t') || byte == 0x7f) c = ' ';
    }
    while (!out.empty() &&
           absl::ascii_isspace(static_cast<unsigned char>(out.back()))) {
      out.pop_back();
    }
    if (absl::EndsWith(out, "\\") || absl::EndsWith(out, "?\?/")) {
      out += "(backslash)";
    }
    lines.push_back(std::move(out));
  }
  return lines;
}

// Carries the leading and trailing comments of a service or method over.
template <typename DescriptorT>
void PrintComment(Printer& p, const DescriptorT* descriptor) {
  google::protobuf::SourceLocation location;
  if (!descriptor->GetSourceLocation(&location)) return;
  for (const std::string* text :
       {&location.leading_comments, &location.trailing_comments}) {
    for (const std::string& line : CommentLines(*text)) {
      if (line.empty()) {
        p.Print("//\n");
      } else {
        p.Print("//$line$\n", "line", line);
      }
    }
  }
}

Vars MethodVars(const ServiceDescriptor* service, const ServiceNames& names,
                int index) {
  const MethodDescriptor* method = service->method(index);
  const MethodNames& method_names = names.methods[static_cast<size_t>(index)];
  Vars vars;
  vars["Service"] = names.class_name;
  vars["full_name"] = service->full_name();
  vars["Method"] = method_names.method;
  vars["AsyncMethod"] = method_names.async;
  vars["AsyncMethodRaw"] = method_names.async_raw;
  vars["method_name"] = method->name();
  vars["Request"] = QualifiedClassName(method->input_type());
  vars["Response"] = QualifiedClassName(method->output_type());
  vars["index"] = absl::StrCat(index);
  vars["deprecated"] = method->options().deprecated() ? "[[deprecated]] " : "";
  return vars;
}

// ---- header ----

// The client-side declarations of one method. `in_interface`: pure virtual
// declarations; otherwise the Stub's overrides.
void PrintClientMethod(Printer& p, const Vars& m, Kind kind,
                       bool in_interface) {
  const std::string tail = in_interface ? " = 0;" : " override;";
  const std::string virt = in_interface ? "virtual " : "";
  Vars v = m;
  v["virtual"] = virt;
  v["tail"] = tail;
  switch (kind) {
    case Kind::kUnary:
      p.Print(v,
              "$deprecated$$virtual$::absl::StatusOr<$Response$> $Method$(\n"
              "    const $Request$& request,\n"
              "    const ::ferry::CallOptions& options = {})$tail$\n");
      break;
    case Kind::kServerStreaming:
      p.Print(v,
              "$deprecated$$virtual$::std::unique_ptr<"
              "::ferry::ClientReaderInterface<$Response$>>\n"
              "$Method$(const $Request$& request,\n"
              "    const ::ferry::CallOptions& options = {})$tail$\n");
      break;
    case Kind::kClientStreaming:
      p.Print(v,
              "$deprecated$$virtual$::std::unique_ptr<"
              "::ferry::ClientWriterInterface<$Request$, $Response$>>\n"
              "$Method$(const ::ferry::CallOptions& options = {})$tail$\n");
      break;
    case Kind::kBidi:
      p.Print(v,
              "$deprecated$$virtual$::std::unique_ptr<"
              "::ferry::ClientReaderWriterInterface<$Request$, $Response$>>\n"
              "$Method$(const ::ferry::CallOptions& options = {})$tail$\n");
      break;
  }
}

void PrintHeaderService(Printer& p, const ServiceDescriptor* service,
                        const ServiceNames& names) {
  Vars vars;
  vars["Service"] = names.class_name;
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

  // The client interface: what code that calls the service depends on, so
  // that tests can substitute a mock.
  p.Print(
      "// The calls of this service. Stub implements them over a channel;\n"
      "// tests may substitute a mock.\n"
      "class StubInterface {\n public:\n");
  p.Indent();
  p.Print("virtual ~StubInterface() = default;\n");
  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* method = service->method(i);
    const Vars m = MethodVars(service, names, i);
    p.Print("\n");
    PrintComment(p, method);
    PrintClientMethod(p, m, KindOf(method), /*in_interface=*/true);
    if (KindOf(method) != Kind::kUnary) continue;
    p.Print(m,
            "// Asynchronous $method_name$: completion signature\n"
            "// void(::absl::StatusOr<$Response$>), for a callback,\n"
            "// asio::use_future or asio::use_awaitable.\n"
            "template <typename CompletionToken>\n"
            "$deprecated$auto $AsyncMethod$(const $Request$& request,\n"
            "    const ::ferry::CallOptions& options, CompletionToken&& token) "
            "{\n"
            "  return ::boost::asio::async_initiate<CompletionToken,\n"
            "      void(::absl::StatusOr<$Response$>)>(\n"
            "      [this, &request, &options](auto handler) {\n"
            "        this->$AsyncMethodRaw$(request, options,\n"
            "            ::ferry::impl::BindHandler<"
            "::absl::StatusOr<$Response$>>(\n"
            "                ::std::move(handler)));\n"
            "      },\n"
            "      token);\n"
            "}\n"
            "template <typename CompletionToken>\n"
            "$deprecated$auto $AsyncMethod$(const $Request$& request, "
            "CompletionToken&& token) {\n"
            "  return $AsyncMethod$(request, ::ferry::CallOptions(),\n"
            "      ::std::forward<CompletionToken>(token));\n"
            "}\n"
            "// What $AsyncMethod$ calls; `done` runs once, on a Ferry "
            "thread.\n"
            "virtual void $AsyncMethodRaw$(const $Request$& request,\n"
            "    const ::ferry::CallOptions& options,\n"
            "    ::absl::AnyInvocable<void(::absl::StatusOr<$Response$>) &&> "
            "done) = 0;\n");
  }
  p.Outdent();
  p.Print("};\n\n");

  // The client stub.
  p.Print(
      "// Calls the service over a channel. Thread-safe; share one per\n"
      "// channel.\n"
      "class Stub final : public StubInterface {\n public:\n");
  p.Indent();
  p.Print("explicit Stub(::std::shared_ptr<::ferry::Channel> channel);\n");
  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* method = service->method(i);
    const Vars m = MethodVars(service, names, i);
    p.Print("\n");
    PrintComment(p, method);
    PrintClientMethod(p, m, KindOf(method), /*in_interface=*/false);
    if (KindOf(method) != Kind::kUnary) continue;
    // On the concrete stub the response is parsed on the completion
    // handler's executor rather than on Ferry's I/O thread.
    p.Print(m,
            "template <typename CompletionToken>\n"
            "$deprecated$auto $AsyncMethod$(const $Request$& request,\n"
            "    const ::ferry::CallOptions& options, CompletionToken&& token) "
            "{\n"
            "  return ::ferry::impl::AsyncUnaryCall<$Response$>(\n"
            "      *channel_, method_descriptors[$index$], options, request,\n"
            "      ::std::forward<CompletionToken>(token));\n"
            "}\n"
            "template <typename CompletionToken>\n"
            "$deprecated$auto $AsyncMethod$(const $Request$& request, "
            "CompletionToken&& token) {\n"
            "  return $AsyncMethod$(request, ::ferry::CallOptions(),\n"
            "      ::std::forward<CompletionToken>(token));\n"
            "}\n"
            "void $AsyncMethodRaw$(const $Request$& request,\n"
            "    const ::ferry::CallOptions& options,\n"
            "    ::absl::AnyInvocable<void(::absl::StatusOr<$Response$>) &&> "
            "done) override;\n");
  }
  p.Outdent();
  p.Print(
      "\n private:\n"
      "  ::std::shared_ptr<::ferry::Channel> channel_;\n"
      "};\n\n");
  p.Print(
      "static ::std::unique_ptr<Stub> NewStub(\n"
      "    ::std::shared_ptr<::ferry::Channel> channel);\n\n");

  // The server skeleton.
  p.Print(vars,
          "// Derive from this class and override the methods you serve; the\n"
          "// others answer UNIMPLEMENTED. Handlers run on worker threads,\n"
          "// several at once.\n"
          "class Service : public ::ferry::Service {\n public:\n");
  p.Indent();
  p.Print("Service();\n~Service() override;\n");
  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* method = service->method(i);
    const Vars m = MethodVars(service, names, i);
    p.Print("\n");
    PrintComment(p, method);
    switch (KindOf(method)) {
      case Kind::kUnary:
        p.Print(m,
                "$deprecated$virtual ::absl::Status $Method$(\n"
                "    ::ferry::ServerContext& context, const $Request$& "
                "request,\n"
                "    $Response$& response);\n");
        break;
      case Kind::kClientStreaming:
        p.Print(m,
                "$deprecated$virtual ::absl::Status $Method$(\n"
                "    ::ferry::ServerContext& context,\n"
                "    ::ferry::ServerReader<$Request$>& reader, $Response$& "
                "response);\n");
        break;
      case Kind::kServerStreaming:
        p.Print(m,
                "$deprecated$virtual ::absl::Status $Method$(\n"
                "    ::ferry::ServerContext& context, const $Request$& "
                "request,\n"
                "    ::ferry::ServerWriter<$Response$>& writer);\n");
        break;
      case Kind::kBidi:
        p.Print(m,
                "$deprecated$virtual ::absl::Status $Method$(\n"
                "    ::ferry::ServerContext& context,\n"
                "    ::ferry::ServerStream<$Response$, $Request$>& stream);\n");
        break;
    }
  }
  p.Outdent();
  p.Print("};\n");
  p.Outdent();
  p.Print("};\n\n");
}

// ---- source ----

void PrintSourceService(Printer& p, const ServiceDescriptor* service,
                        const ServiceNames& names) {
  Vars vars;
  vars["Service"] = names.class_name;
  vars["full_name"] = service->full_name();
  vars["count"] = absl::StrCat(service->method_count());

  p.Print(vars,
          "const ::std::array<::ferry::impl::MethodDescriptor, $count$>\n"
          "    $Service$::method_descriptors = {{\n");
  p.Indent();
  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* method = service->method(i);
    Vars m = MethodVars(service, names, i);
    m["full_method"] =
        absl::StrCat("/", service->full_name(), "/", method->name());
    m["kind"] = KindName(KindOf(method));
    m["request_type"] = method->input_type()->full_name();
    m["response_type"] = method->output_type()->full_name();
    p.Print(m,
            "{\"$full_method$\", \"$full_name$\", \"$method_name$\",\n"
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
    const Vars m = MethodVars(service, names, i);
    switch (KindOf(method)) {
      case Kind::kUnary:
        p.Print(m,
                "::absl::StatusOr<$Response$> $Service$::Stub::$Method$(\n"
                "    const $Request$& request, const ::ferry::CallOptions& "
                "options) {\n"
                "  $Response$ response;\n"
                "  ::absl::Status status = ::ferry::impl::BlockingUnaryCall(\n"
                "      *channel_, method_descriptors[$index$], options, "
                "request, response);\n"
                "  if (!status.ok()) return status;\n"
                "  return response;\n"
                "}\n\n"
                "void $Service$::Stub::$AsyncMethodRaw$(const $Request$& "
                "request,\n"
                "    const ::ferry::CallOptions& options,\n"
                "    ::absl::AnyInvocable<void(::absl::StatusOr<$Response$>) "
                "&&> done) {\n"
                "  ::ferry::impl::StartUnaryCall(\n"
                "      *channel_, method_descriptors[$index$], options, "
                "request,\n"
                "      [done = ::std::move(done)](::absl::Status status,\n"
                "          ::ferry::impl::ResponseBytes bytes) mutable {\n"
                "        if (!status.ok()) {\n"
                "          ::std::move(done)(::std::move(status));\n"
                "          return;\n"
                "        }\n"
                "        $Response$ response;\n"
                "        status = ::std::move(bytes).ParseInto(response);\n"
                "        if (!status.ok()) {\n"
                "          ::std::move(done)(::std::move(status));\n"
                "        } else {\n"
                "          ::std::move(done)(::std::move(response));\n"
                "        }\n"
                "      });\n"
                "}\n\n");
        break;
      case Kind::kServerStreaming:
        p.Print(m,
                "::std::unique_ptr<::ferry::ClientReaderInterface<$Response$>>"
                "\n$Service$::Stub::$Method$(const $Request$& request,\n"
                "    const ::ferry::CallOptions& options) {\n"
                "  return ::std::make_unique<"
                "::ferry::impl::ClientReader<$Response$>>(\n"
                "      ::ferry::impl::StartStreamingCall(\n"
                "          *channel_, method_descriptors[$index$], options, "
                "&request));\n"
                "}\n\n");
        break;
      case Kind::kClientStreaming:
        p.Print(m,
                "::std::unique_ptr<::ferry::ClientWriterInterface<$Request$, "
                "$Response$>>\n"
                "$Service$::Stub::$Method$(const ::ferry::CallOptions& "
                "options) {\n"
                "  return ::std::make_unique<"
                "::ferry::impl::ClientWriter<$Request$, $Response$>>(\n"
                "      ::ferry::impl::StartStreamingCall(\n"
                "          *channel_, method_descriptors[$index$], options, "
                "nullptr));\n"
                "}\n\n");
        break;
      case Kind::kBidi:
        p.Print(m,
                "::std::unique_ptr<::ferry::ClientReaderWriterInterface<"
                "$Request$, $Response$>>\n"
                "$Service$::Stub::$Method$(const ::ferry::CallOptions& "
                "options) {\n"
                "  return ::std::make_unique<"
                "::ferry::impl::ClientReaderWriter<$Request$, $Response$>>(\n"
                "      ::ferry::impl::StartStreamingCall(\n"
                "          *channel_, method_descriptors[$index$], options, "
                "nullptr));\n"
                "}\n\n");
        break;
    }
  }

  // Registering a deprecated method takes its address, which is a use.
  bool any_deprecated = false;
  for (int i = 0; i < service->method_count(); ++i) {
    any_deprecated |= service->method(i)->options().deprecated();
  }
  if (any_deprecated) {
    p.Print(
        "#pragma GCC diagnostic push\n"
        "#pragma GCC diagnostic ignored \"-Wdeprecated-declarations\"\n");
  }
  p.Print(vars,
          "$Service$::Service::Service() : ::ferry::Service(service_full_name) "
          "{\n");
  p.Indent();
  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* method = service->method(i);
    Vars m = MethodVars(service, names, i);
    switch (KindOf(method)) {
      case Kind::kUnary:
        m["Handler"] = "UnaryHandler";
        break;
      case Kind::kClientStreaming:
        m["Handler"] = "ClientStreamingHandler";
        break;
      case Kind::kServerStreaming:
        m["Handler"] = "ServerStreamingHandler";
        break;
      case Kind::kBidi:
        m["Handler"] = "BidiStreamingHandler";
        break;
    }
    p.Print(m,
            "::ferry::Service::AddMethod(::std::make_unique<\n"
            "    ::ferry::impl::$Handler$<Service, $Request$, $Response$>>(\n"
            "    method_descriptors[$index$], this, &Service::$Method$));\n");
  }
  p.Outdent();
  p.Print("}\n");
  if (any_deprecated) p.Print("#pragma GCC diagnostic pop\n");
  p.Print(vars, "\n$Service$::Service::~Service() = default;\n\n");

  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* method = service->method(i);
    Vars m = MethodVars(service, names, i);
    switch (KindOf(method)) {
      case Kind::kUnary:
        m["params"] =
            absl::StrCat("const ", m["Request"], "&, ", m["Response"], "&");
        break;
      case Kind::kClientStreaming:
        m["params"] = absl::StrCat("::ferry::ServerReader<", m["Request"],
                                   ">&, ", m["Response"], "&");
        break;
      case Kind::kServerStreaming:
        m["params"] =
            absl::StrCat("const ", m["Request"], "&, ::ferry::ServerWriter<",
                         m["Response"], ">&");
        break;
      case Kind::kBidi:
        m["params"] = absl::StrCat("::ferry::ServerStream<", m["Response"],
                                   ", ", m["Request"], ">&");
        break;
    }
    p.Print(m,
            "::absl::Status $Service$::Service::$Method$(\n"
            "    ::ferry::ServerContext&, $params$) {\n"
            "  return ::absl::UnimplementedError(\n"
            "      \"method $method_name$ of service $full_name$ is not "
            "implemented\");\n"
            "}\n\n");
  }
}

// ---- mock header ----

void PrintMockService(Printer& p, const ServiceDescriptor* service,
                      const ServiceNames& names) {
  const std::string ns = NamespaceOf(service->file());
  Vars vars;
  vars["Mock"] = names.mock_name;
  vars["Service"] = names.class_name;
  vars["QualifiedService"] =
      ns.empty() ? absl::StrCat("::", names.class_name)
                 : absl::StrCat("::", ns, "::", names.class_name);
  p.Print(vars,
          "// A GoogleMock implementation of $Service$::StubInterface, for\n"
          "// testing code that calls the service without a server.\n"
          "class $Mock$ : public $QualifiedService$::StubInterface {\n"
          " public:\n");
  p.Indent();
  for (int i = 0; i < service->method_count(); ++i) {
    const MethodDescriptor* method = service->method(i);
    const Vars m = MethodVars(service, names, i);
    switch (KindOf(method)) {
      case Kind::kUnary:
        p.Print(m,
                "MOCK_METHOD((::absl::StatusOr<$Response$>), $Method$,\n"
                "    (const $Request$& request,\n"
                "     const ::ferry::CallOptions& options),\n"
                "    (override));\n"
                "MOCK_METHOD(void, $AsyncMethodRaw$,\n"
                "    (const $Request$& request,\n"
                "     const ::ferry::CallOptions& options,\n"
                "     (::absl::AnyInvocable<void(::absl::StatusOr<$Response$>) "
                "&&>) done),\n"
                "    (override));\n");
        break;
      case Kind::kServerStreaming:
        p.Print(m,
                "MOCK_METHOD((::std::unique_ptr<"
                "::ferry::ClientReaderInterface<$Response$>>),\n"
                "    $Method$,\n"
                "    (const $Request$& request,\n"
                "     const ::ferry::CallOptions& options),\n"
                "    (override));\n");
        break;
      case Kind::kClientStreaming:
        p.Print(m,
                "MOCK_METHOD((::std::unique_ptr<"
                "::ferry::ClientWriterInterface<$Request$, $Response$>>),\n"
                "    $Method$, (const ::ferry::CallOptions& options), "
                "(override));\n");
        break;
      case Kind::kBidi:
        p.Print(m,
                "MOCK_METHOD((::std::unique_ptr<"
                "::ferry::ClientReaderWriterInterface<$Request$, "
                "$Response$>>),\n"
                "    $Method$, (const ::ferry::CallOptions& options), "
                "(override));\n");
        break;
    }
  }
  p.Outdent();
  p.Print("};\n\n");
}

// ---- files ----

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

struct Options {
  bool mocks = false;
};

// Plugin options: comma-separated key=value pairs. Anything not understood
// is an error rather than ignored, so a misspelt option is noticed.
bool ParseOptions(const std::string& parameter, Options& options,
                  std::string& error) {
  std::set<std::string> seen;
  for (absl::string_view option :
       absl::StrSplit(parameter, ',', absl::SkipEmpty())) {
    const std::pair<absl::string_view, absl::string_view> key_value =
        absl::StrSplit(option, absl::MaxSplits('=', 1));
    const std::string key(key_value.first);
    if (key == "mocks" &&
        (key_value.second == "true" || key_value.second == "false")) {
      if (!seen.insert(key).second) {
        error = absl::StrCat("protoc-gen-ferry: option \"", key,
                             "\" given more than once");
        return false;
      }
      options.mocks = key_value.second == "true";
      continue;
    }
    error = absl::StrCat("protoc-gen-ferry: unknown option \"", option,
                         "\" (known options: mocks=true, mocks=false)");
    return false;
  }
  return true;
}

using google::protobuf::compiler::GeneratorContext;

bool GenerateHeader(const FileDescriptor* file,
                    const std::vector<ServiceNames>& names,
                    GeneratorContext* context, std::string& error) {
  const std::string stem = StripProto(file->name());
  std::unique_ptr<google::protobuf::io::ZeroCopyOutputStream> out(
      context->Open(stem + ".ferry.h"));
  Printer p(out.get(), '$');
  const std::string guard = IncludeGuard(file->name(), ".ferry.h");
  PrintBanner(p, file);
  p.Print("#ifndef $guard$\n#define $guard$\n\n", "guard", guard);
  // All of Ferry's public headers, even those the generated code does not
  // need: the runtime writes absl::, std:: and boost:: unqualified inside
  // namespace ferry, so none of its headers may be read after a package
  // like ferry.absl has declared namespace ferry::absl.
  p.Print(
      "#include <array>\n"
      "#include <memory>\n"
      "#include <utility>\n\n"
      "#include \"absl/functional/any_invocable.h\"\n"
      "#include \"absl/status/status.h\"\n"
      "#include \"absl/status/statusor.h\"\n"
      "#include \"absl/strings/string_view.h\"\n"
      "#include \"ferry/ferry.h\"\n"
      "#include \"ferry/impl/async.h\"\n"
      "#include \"ferry/impl/client_call.h\"\n"
      "#include \"ferry/impl/method.h\"\n"
      "#include \"ferry/impl/service.h\"\n"
      "#include \"$pb_h$\"\n\n",
      "pb_h", stem + ".pb.h");
  OpenNamespace(p, file);
  for (int s = 0; s < file->service_count(); ++s) {
    PrintHeaderService(p, file->service(s), names[static_cast<size_t>(s)]);
  }
  CloseNamespace(p, file);
  p.Print("\n#endif  // $guard$\n", "guard", guard);
  if (p.failed()) {
    error = "protoc-gen-ferry: failed writing " + stem + ".ferry.h";
    return false;
  }
  return true;
}

bool GenerateSource(const FileDescriptor* file,
                    const std::vector<ServiceNames>& names,
                    GeneratorContext* context, std::string& error) {
  const std::string stem = StripProto(file->name());
  std::unique_ptr<google::protobuf::io::ZeroCopyOutputStream> out(
      context->Open(stem + ".ferry.cc"));
  Printer p(out.get(), '$');
  PrintBanner(p, file);
  p.Print(
      "#include \"$ferry_h$\"\n\n"
      "#include \"ferry/impl/service.h\"\n\n",
      "ferry_h", stem + ".ferry.h");
  OpenNamespace(p, file);
  for (int s = 0; s < file->service_count(); ++s) {
    PrintSourceService(p, file->service(s), names[static_cast<size_t>(s)]);
  }
  CloseNamespace(p, file);
  if (p.failed()) {
    error = "protoc-gen-ferry: failed writing " + stem + ".ferry.cc";
    return false;
  }
  return true;
}

bool GenerateMockHeader(const FileDescriptor* file,
                        const std::vector<ServiceNames>& names,
                        GeneratorContext* context, std::string& error) {
  const std::string stem = StripProto(file->name());
  std::unique_ptr<google::protobuf::io::ZeroCopyOutputStream> out(
      context->Open(stem + ".ferry_mock.h"));
  Printer p(out.get(), '$');
  const std::string guard = IncludeGuard(file->name(), ".ferry_mock.h");
  PrintBanner(p, file);
  p.Print("#ifndef $guard$\n#define $guard$\n\n", "guard", guard);
  p.Print(
      "#include <memory>\n\n"
      "#include \"absl/functional/any_invocable.h\"\n"
      "#include \"absl/status/statusor.h\"\n"
      "#include \"ferry/call_options.h\"\n"
      "#include \"ferry/client_stream.h\"\n"
      "#include \"gmock/gmock.h\"\n"
      "#include \"$ferry_h$\"\n\n",
      "ferry_h", stem + ".ferry.h");
  OpenNamespace(p, file);
  for (int s = 0; s < file->service_count(); ++s) {
    PrintMockService(p, file->service(s), names[static_cast<size_t>(s)]);
  }
  CloseNamespace(p, file);
  p.Print("\n#endif  // $guard$\n", "guard", guard);
  if (p.failed()) {
    error = "protoc-gen-ferry: failed writing " + stem + ".ferry_mock.h";
    return false;
  }
  return true;
}

}  // namespace

bool FerryGenerator::Generate(const FileDescriptor* file,
                              const std::string& parameter,
                              GeneratorContext* context,
                              std::string* error) const {
  Options options;
  if (!ParseOptions(parameter, options, *error)) return false;
  const std::vector<ServiceNames> names = NameServices(file);
  if (!GenerateHeader(file, names, context, *error)) return false;
  if (!GenerateSource(file, names, context, *error)) return false;
  if (options.mocks && !GenerateMockHeader(file, names, context, *error)) {
    return false;
  }
  return true;
}

}  // namespace ferry::compiler
