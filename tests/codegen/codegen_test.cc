// The code generated for the corpus in tests/codegen/protos: every header
// and mock header compiles in one translation unit with strict warnings,
// escaped names are the documented ones, and services with awkward names
// answer calls over loopback through their generated stubs.

// First, so that package ferry.absl declares namespace ferry::absl before
// anything else is included; no Ferry header included later may be affected
// (see ferry_absl.proto).
// clang-format off
#include "ferry_absl.ferry_mock.h"
// clang-format on

#include <future>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio/use_future.hpp>

#include "absl.ferry_mock.h"
#include "absl/strings/str_cat.h"
#include "collision_types.ferry_mock.h"
#include "collisions.ferry_mock.h"
#include "comments.ferry_mock.h"
#include "ferry/ferry.h"
#include "ferry_impl.ferry_mock.h"
#include "ferry_pkg.ferry_mock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "imports/base.ferry_mock.h"
#include "imports/extra.ferry_mock.h"
#include "imports/user.ferry_mock.h"
#include "keywords.ferry_mock.h"
#include "lite.ferry_mock.h"
#include "many_services.ferry_mock.h"
#include "my-service.v2.ferry_mock.h"
#include "nested/pkg/v1/nested_types.ferry_mock.h"
#include "no_package.ferry_mock.h"
#include "proto2.ferry_mock.h"
#include "testing.ferry_mock.h"

namespace {

namespace asio = boost::asio;
using ::ferry::impl::MethodKind;
using ::testing::_;
using ::testing::ElementsAre;

// ---- names ----

// The classes the corpus produces, under the escaped names docs/codegen.md
// promises: a name that came out differently would not compile.
template <typename Service>
constexpr bool kIsSkeleton = std::is_base_of_v<::ferry::Service, Service>;

// Keywords, names the generated code declares, runtime names.
static_assert(kIsSkeleton<corpus::keywords::namespace_::Service>);
static_assert(kIsSkeleton<corpus::keywords::struct_::Service>);
static_assert(kIsSkeleton<corpus::collision::Service_::Service>);
static_assert(kIsSkeleton<corpus::collision::StubInterface_::Service>);
static_assert(kIsSkeleton<corpus::collision::NewStub_::Service>);
static_assert(kIsSkeleton<ferry::Channel_::Service>);
static_assert(kIsSkeleton<ferry::Server_::Service>);
static_assert(kIsSkeleton<ferry::impl::MethodDescriptor_::Service>);
static_assert(kIsSkeleton<ferry::impl::UnaryHandler_::Service>);
// Stub escapes to Stub_, which a message of the package already uses.
static_assert(kIsSkeleton<corpus::collision::Stub__::Service>);
// Names protobuf declares in the same namespace: a nested message, a nested
// enum's value, and the classes of cc_generic_services.
static_assert(kIsSkeleton<corpus::nested::pkg::v1::Outer_Inner_::Service>);
static_assert(
    kIsSkeleton<corpus::nested::pkg::v1::Outer_Shade_SHADE_DARK_::Service>);
static_assert(kIsSkeleton<corpus::proto2::Counter_::Service>);
static_assert(
    std::is_base_of_v<google::protobuf::Service, corpus::proto2::Counter>);
// A service of an imported file of the same package has the mock name.
static_assert(kIsSkeleton<corpus::base::MockCatalogStub_::Service>);
static_assert(std::is_base_of_v<corpus::base::Catalog::StubInterface,
                                corpus::base::MockCatalogStub>);
// Mocks: named after the .proto name; one escaped because the service has
// a method of that name.
static_assert(std::is_base_of_v<corpus::collision::Service_::StubInterface,
                                corpus::collision::MockServiceStub>);
static_assert(std::is_base_of_v<corpus::collision::Collider::StubInterface,
                                corpus::collision::MockColliderStub_>);
static_assert(std::is_base_of_v<corpus::testing::Runner::StubInterface,
                                corpus::testing::MockRunnerStub>);
static_assert(std::is_base_of_v<corpus::many::Empty::StubInterface,
                                corpus::many::MockEmptyStub>);
// A file name with dashes and dots; no package; package absl.
static_assert(kIsSkeleton<corpus::dashed::v2::JobQueue::Service>);
static_assert(kIsSkeleton<::Echo::Service>);
static_assert(kIsSkeleton<absl::Gauge::Service>);
static_assert(kIsSkeleton<ferry::absl::Sampler::Service>);

// ---- method descriptors ----

template <typename T, size_t N>
std::vector<std::string> FullNames(const std::array<T, N>& descriptors) {
  std::vector<std::string> names;
  for (const auto& descriptor : descriptors) {
    names.emplace_back(descriptor.full_name);
  }
  return names;
}

TEST(MethodDescriptors, CarryTheProtoNamesNotTheEscapedOnes) {
  const auto& keywords = corpus::keywords::Keywords::method_descriptors;
  EXPECT_EQ(keywords[0].full_name, "/corpus.keywords.Keywords/delete");
  EXPECT_EQ(keywords[0].service_name, "corpus.keywords.Keywords");
  EXPECT_EQ(keywords[0].method_name, "delete");
  EXPECT_EQ(keywords[0].kind, MethodKind::kUnary);
  EXPECT_EQ(keywords[0].request_type, "corpus.keywords.Arg");
  EXPECT_EQ(keywords[0].response_type, "corpus.keywords.Arg");
  EXPECT_EQ(keywords[4].method_name, "template");
  EXPECT_EQ(keywords[4].response_type, "corpus.keywords.union");

  EXPECT_EQ(corpus::collision::Service_::service_full_name,
            "corpus.collision.Service");
  EXPECT_EQ(corpus::collision::Service_::method_descriptors[0].full_name,
            "/corpus.collision.Service/Service");
  EXPECT_EQ(corpus::collision::Service_::method_descriptors[0].request_type,
            "corpus.collision.types.Service");
  static_assert(ferry::Channel_::service_full_name == "ferry.Channel");
}

TEST(MethodDescriptors, NameEveryKind) {
  const auto& pinger = ferry::impl::Pinger::method_descriptors;
  EXPECT_THAT(
      FullNames(pinger),
      ElementsAre("/ferry.impl.Pinger/Ping", "/ferry.impl.Pinger/Flood",
                  "/ferry.impl.Pinger/Drain", "/ferry.impl.Pinger/Rally"));
  EXPECT_EQ(pinger[0].kind, MethodKind::kUnary);
  EXPECT_EQ(pinger[1].kind, MethodKind::kServerStreaming);
  EXPECT_EQ(pinger[2].kind, MethodKind::kClientStreaming);
  EXPECT_EQ(pinger[3].kind, MethodKind::kBidiStreaming);
}

TEST(MethodDescriptors, NameTypesFromOtherPackagesAndNestedTypes) {
  const auto& nesting = corpus::nested::pkg::v1::Nesting::method_descriptors;
  EXPECT_EQ(nesting[0].request_type, "corpus.nested.pkg.v1.Outer.Middle.Inner");
  EXPECT_EQ(nesting[0].response_type, "corpus.nested.pkg.v1.Outer.Inner");
  EXPECT_EQ(nesting[3].request_type, "corpus.nested.pkg.v1.class.new");

  const auto& library = corpus::user::Library::method_descriptors;
  EXPECT_EQ(library[0].request_type, "corpus.base.Item");
  EXPECT_EQ(library[0].response_type, "corpus.user.Item");
  EXPECT_EQ(library[1].request_type, "google.protobuf.Empty");
  EXPECT_EQ(library[4].response_type, "google.protobuf.Int64Value");

  EXPECT_EQ(::Echo::service_full_name, "Echo");
  EXPECT_EQ(::Echo::method_descriptors[0].full_name, "/Echo/Echo");
  EXPECT_TRUE(corpus::many::Empty::method_descriptors.empty());
}

// ---- calls over loopback ----

using corpus::keywords::Arg;

class KeywordsImpl final : public corpus::keywords::Keywords::Service {
 public:
  // rpc delete. rpc delete_ keeps its own name, so delete moves on.
  absl::Status delete__(ferry::ServerContext&, const Arg& request,
                        Arg& reply) override {
    reply.set_text("deleted " + request.text());
    return absl::OkStatus();
  }
  // rpc delete_.
  absl::Status delete_(ferry::ServerContext&, const Arg& request,
                       Arg& reply) override {
    reply.set_text("delete_ " + request.text());
    return absl::OkStatus();
  }
  absl::Status new_(ferry::ServerContext&, const Arg& request,
                    ferry::ServerWriter<Arg>& writer) override {
    for (int i = 0; i < 3; ++i) {
      Arg arg;
      arg.set_text(absl::StrCat(request.text(), i));
      if (!writer.Write(arg)) break;
    }
    return absl::OkStatus();
  }
  absl::Status operator_(ferry::ServerContext&,
                         ferry::ServerReader<Arg>& reader,
                         Arg& reply) override {
    Arg arg;
    while (reader.Read(&arg)) reply.mutable_text()->append(arg.text());
    return absl::OkStatus();
  }
  absl::Status template_(
      ferry::ServerContext&,
      ferry::ServerStream<corpus::keywords::union_, Arg>& stream) override {
    Arg arg;
    while (stream.Read(&arg)) {
      corpus::keywords::union_ reply;
      reply.set_text("<" + arg.text() + ">");
      if (!stream.Write(reply)) break;
    }
    return absl::OkStatus();
  }
  absl::Status override(ferry::ServerContext&, const Arg& request,
                        Arg& reply) override {
    reply.set_text("override " + request.text());
    return absl::OkStatus();
  }
};

using corpus::collision::Text;
namespace types = corpus::collision::types;

class ServiceImpl final : public corpus::collision::Service_::Service {
 public:
  // rpc Service.
  absl::Status Service__(ferry::ServerContext&, const types::Service& request,
                         Text& reply) override {
    reply.set_text("Service " + request.text());
    return absl::OkStatus();
  }
  absl::Status Stub_(ferry::ServerContext&, const types::Stub& request,
                     Text& reply) override {
    reply.set_text("Stub " + request.text());
    return absl::OkStatus();
  }
  absl::Status NewStub_(ferry::ServerContext&, const Text& request,
                        types::Stub& reply) override {
    reply.set_text("NewStub " + request.text());
    return absl::OkStatus();
  }
  absl::Status Status(ferry::ServerContext&, const Text& request,
                      types::Status& reply) override {
    reply.set_code(static_cast<int>(request.text().size()));
    return absl::OkStatus();
  }
  absl::Status Call(ferry::ServerContext& context,
                    const types::CallOptions& request, Text& reply) override {
    reply.set_text(absl::StrCat(context.method(), " ", request.text()));
    return absl::OkStatus();
  }
  absl::Status Channel(ferry::ServerContext&, const types::Channel& request,
                       ferry::ServerWriter<Text>& writer) override {
    Text text;
    text.set_text(request.text());
    writer.Write(text);
    writer.Write(text);
    return absl::OkStatus();
  }
};

class ColliderImpl final : public corpus::collision::Collider::Service {
 public:
  absl::Status Foo(ferry::ServerContext&, const Text&, Text& reply) override {
    reply.set_text("Foo");
    return absl::OkStatus();
  }
  absl::Status AsyncFoo(ferry::ServerContext&, const Text&,
                        Text& reply) override {
    reply.set_text("AsyncFoo");
    return absl::OkStatus();
  }
  absl::Status AsyncFooRaw(ferry::ServerContext&, const Text&,
                           Text& reply) override {
    reply.set_text("AsyncFooRaw");
    return absl::OkStatus();
  }
  absl::Status channel__(ferry::ServerContext&, const Text&,
                         Text& reply) override {
    reply.set_text("channel_");
    return absl::OkStatus();
  }
};

using ferry::impl::Probe;

class PingerImpl final : public ferry::impl::Pinger::Service {
 public:
  absl::Status Ping(ferry::ServerContext&, const Probe& request,
                    Probe& reply) override {
    reply.set_text("pong " + request.text());
    return absl::OkStatus();
  }
  absl::Status Rally(ferry::ServerContext&,
                     ferry::ServerStream<Probe, Probe>& stream) override {
    Probe probe;
    while (stream.Read(&probe)) {
      probe.set_count(probe.count() + 1);
      if (!stream.Write(probe)) break;
    }
    return absl::OkStatus();
  }
};

class EchoImpl final : public ::Echo::Service {
 public:
  absl::Status Echo(ferry::ServerContext&, const Ping& request,
                    Pong& reply) override {
    reply.set_text(request.text());
    return absl::OkStatus();
  }
  absl::Status Repeat(ferry::ServerContext&, const Ping& request,
                      ferry::ServerWriter<Pong>& writer) override {
    for (int i = 0; i < request.count(); ++i) {
      Pong pong;
      pong.set_text(request.text());
      pong.set_index(i);
      if (!writer.Write(pong)) break;
    }
    return absl::OkStatus();
  }
  absl::Status Join(ferry::ServerContext&, ferry::ServerReader<Ping>& reader,
                    Pong& reply) override {
    Ping ping;
    while (reader.Read(&ping)) reply.mutable_text()->append(ping.text());
    return absl::OkStatus();
  }
};

class GeneratedStubs : public ::testing::Test {
 protected:
  void SetUp() override {
    ferry::ServerOptions options;
    options.worker_threads = 2;
    auto server = ferry::ServerBuilder()
                      .AddListeningPort("127.0.0.1:0", &port_)
                      .RegisterService(&keywords_)
                      .RegisterService(&service_)
                      .RegisterService(&collider_)
                      .RegisterService(&pinger_)
                      .RegisterService(&echo_)
                      .SetOptions(options)
                      .BuildAndStart();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = ferry::CreateChannel(absl::StrCat("127.0.0.1:", port_));
  }

  KeywordsImpl keywords_;
  ServiceImpl service_;
  ColliderImpl collider_;
  PingerImpl pinger_;
  EchoImpl echo_;
  int port_ = 0;
  std::unique_ptr<ferry::Server> server_;
  std::shared_ptr<ferry::Channel> channel_;
};

TEST_F(GeneratedStubs, KeywordMethodsAreCalledThroughTheirEscapedNames) {
  auto stub = corpus::keywords::Keywords::NewStub(channel_);
  Arg arg;
  arg.set_text("x");

  absl::StatusOr<Arg> reply = stub->delete__(arg);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->text(), "deleted x");
  reply = stub->delete_(arg);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->text(), "delete_ x");
  reply = stub->override(arg);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->text(), "override x");

  // rpc Asyncdelete exists, so the asynchronous form of delete moved on.
  std::future<absl::StatusOr<Arg>> future =
      stub->Asyncdelete_(arg, asio::use_future);
  reply = future.get();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->text(), "deleted x");
  EXPECT_EQ(stub->Asyncdelete(arg).status().code(),
            absl::StatusCode::kUnimplemented);

  // Methods the implementation does not override.
  EXPECT_EQ(stub->class_(arg).status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(stub->NULL_(arg).status().code(), absl::StatusCode::kUnimplemented);
}

TEST_F(GeneratedStubs, KeywordStreamingMethods) {
  auto stub = corpus::keywords::Keywords::NewStub(channel_);
  Arg arg;
  arg.set_text("n");
  auto reader = stub->new_(arg);
  std::vector<std::string> got;
  while (reader->Read(&arg)) got.push_back(arg.text());
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_THAT(got, ElementsAre("n0", "n1", "n2"));

  auto writer = stub->operator_();
  for (const char* text : {"a", "b", "c"}) {
    arg.set_text(text);
    ASSERT_TRUE(writer->Write(arg));
  }
  absl::StatusOr<Arg> joined = writer->Finish();
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->text(), "abc");

  auto stream = stub->template_();
  arg.set_text("t");
  ASSERT_TRUE(stream->Write(arg));
  corpus::keywords::union_ reply;
  ASSERT_TRUE(stream->Read(&reply));
  EXPECT_EQ(reply.text(), "<t>");
  ASSERT_TRUE(stream->WritesDone());
  EXPECT_FALSE(stream->Read(&reply));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(GeneratedStubs, ServiceNamedServiceAndMethodsNamedLikeGeneratedCode) {
  auto stub = corpus::collision::Service_::NewStub(channel_);
  types::Service service;
  service.set_text("s");
  absl::StatusOr<Text> reply = stub->Service__(service);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->text(), "Service s");

  types::Stub stub_message;
  stub_message.set_text("t");
  reply = stub->Stub_(stub_message);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->text(), "Stub t");

  Text text;
  text.set_text("abcd");
  absl::StatusOr<types::Stub> new_stub = stub->NewStub_(text);
  ASSERT_TRUE(new_stub.ok()) << new_stub.status();
  EXPECT_EQ(new_stub->text(), "NewStub abcd");

  absl::StatusOr<types::Status> status =
      stub->AsyncStatus(text, asio::use_future).get();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->code(), 4);

  types::CallOptions call;
  call.set_text("c");
  reply = stub->Call(call, ferry::CallOptions().set_timeout(absl::Seconds(10)));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->text(), "/corpus.collision.Service/Call c");

  types::Channel channel;
  channel.set_text("ch");
  auto reader = stub->Channel(channel);
  int messages = 0;
  while (reader->Read(&text)) {
    EXPECT_EQ(text.text(), "ch");
    ++messages;
  }
  EXPECT_EQ(messages, 2);
  EXPECT_TRUE(reader->Finish().ok());
}

TEST_F(GeneratedStubs, MethodsNamedLikeTheAsyncFormsOfOthers) {
  auto stub = corpus::collision::Collider::NewStub(channel_);
  Text text;
  EXPECT_EQ(stub->Foo(text)->text(), "Foo");
  EXPECT_EQ(stub->AsyncFoo(text)->text(), "AsyncFoo");
  EXPECT_EQ(stub->AsyncFooRaw(text)->text(), "AsyncFooRaw");
  EXPECT_EQ(stub->channel__(text)->text(), "channel_");
  // The asynchronous forms of Foo.
  EXPECT_EQ(stub->AsyncFoo__(text, asio::use_future).get()->text(), "Foo");
  std::promise<absl::StatusOr<Text>> done;
  stub->AsyncFooRaw_(text, {}, [&done](absl::StatusOr<Text> reply) {
    done.set_value(std::move(reply));
  });
  EXPECT_EQ(done.get_future().get()->text(), "Foo");
  // ... and of AsyncFoo.
  EXPECT_EQ(stub->AsyncAsyncFoo(text, asio::use_future).get()->text(),
            "AsyncFoo");
}

TEST_F(GeneratedStubs, ServiceInTheRuntimesOwnNamespace) {
  auto stub = ferry::impl::Pinger::NewStub(channel_);
  Probe probe;
  probe.set_text("p");
  absl::StatusOr<Probe> reply = stub->Ping(probe);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->text(), "pong p");
  reply = stub->AsyncPing(probe, asio::use_future).get();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->text(), "pong p");

  auto stream = stub->Rally();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(stream->Write(probe));
    ASSERT_TRUE(stream->Read(&probe));
    EXPECT_EQ(probe.count(), i + 1);
  }
  ASSERT_TRUE(stream->WritesDone());
  EXPECT_FALSE(stream->Read(&probe));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(GeneratedStubs, ServiceWithoutAPackageAndAMethodOfItsOwnName) {
  auto stub = ::Echo::NewStub(channel_);
  Ping ping;
  ping.set_text("hi");
  ping.set_count(3);
  absl::StatusOr<Pong> reply = stub->Echo(ping);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->text(), "hi");

  std::promise<absl::StatusOr<Pong>> done;
  stub->AsyncEcho(ping, [&done](absl::StatusOr<Pong> pong) {
    done.set_value(std::move(pong));
  });
  reply = done.get_future().get();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->text(), "hi");

  auto reader = stub->Repeat(ping);
  Pong pong;
  int index = 0;
  while (reader->Read(&pong)) EXPECT_EQ(pong.index(), index++);
  EXPECT_EQ(index, 3);
  EXPECT_TRUE(reader->Finish().ok());

  auto writer = stub->Join();
  ASSERT_TRUE(writer->Write(ping));
  ASSERT_TRUE(writer->Write(ping));
  reply = writer->Finish();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->text(), "hihi");

  // Mirror is not implemented: the stream ends with UNIMPLEMENTED.
  auto stream = stub->Mirror();
  EXPECT_FALSE(stream->Read(&pong));
  EXPECT_EQ(stream->Finish().code(), absl::StatusCode::kUnimplemented);
}

// ---- mocks ----

// Code under test that calls the service through its interface.
std::string CallEverything(corpus::collision::Service_::StubInterface& stub) {
  types::Stub request;
  request.set_text("r");
  absl::StatusOr<Text> reply = stub.Stub_(request);
  std::string result = reply.ok() ? reply->text() : reply.status().ToString();
  absl::StatusOr<types::Status> status =
      stub.AsyncStatus(Text(), asio::use_future).get();
  absl::StrAppend(&result, ",", status.ok() ? status->code() : -1);
  return result;
}

TEST(GeneratedMocks, StandInForTheStubOfAServiceNamedService) {
  corpus::collision::MockServiceStub mock;
  Text text;
  text.set_text("mocked");
  types::Status status;
  status.set_code(7);
  EXPECT_CALL(mock, Stub_(_, _)).WillOnce(::testing::Return(text));
  EXPECT_CALL(mock, AsyncStatusRaw(_, _, _))
      .WillOnce(
          [&status](
              const Text&, const ferry::CallOptions&,
              absl::AnyInvocable<void(absl::StatusOr<types::Status>) &&> done) {
            std::move(done)(status);
          });
  EXPECT_EQ(CallEverything(mock), "mocked,7");
}

// A mock of a server stream, as docs/codegen.md shows it: the stream
// interfaces are not generated, so tests write their own.
template <typename R>
class MockClientReader : public ferry::ClientReaderInterface<R> {
 public:
  MOCK_METHOD(bool, Read, (R * message), (override));
  MOCK_METHOD(absl::Status, Finish, (), (override));
  MOCK_METHOD(void, Cancel, (), (override));
  MOCK_METHOD(const ferry::Metadata&, initial_metadata, (), (const, override));
  MOCK_METHOD(const ferry::Metadata&, trailing_metadata, (), (const, override));

 protected:
  MOCK_METHOD(void, StartRead,
              (R * message, absl::AnyInvocable<void(bool) &&> done),
              (override));
  MOCK_METHOD(void, StartFinish,
              (absl::AnyInvocable<void(absl::Status) &&> done), (override));
};

TEST(GeneratedMocks, MockKeywordAndStreamingMethods) {
  corpus::keywords::MockKeywordsStub mock;
  EXPECT_CALL(mock, delete__(_, _))
      .WillOnce(::testing::Return(absl::NotFoundError("gone")));
  auto reader = std::make_unique<MockClientReader<Arg>>();
  EXPECT_CALL(*reader, Read(_))
      .WillOnce([](Arg* arg) {
        arg->set_text("only");
        return true;
      })
      .WillOnce(::testing::Return(false));
  EXPECT_CALL(*reader, Finish()).WillOnce(::testing::Return(absl::OkStatus()));
  EXPECT_CALL(mock, new_(::testing::Property(&Arg::text, "n"), _))
      .WillOnce([&reader](const Arg&, const ferry::CallOptions&)
                    -> std::unique_ptr<ferry::ClientReaderInterface<Arg>> {
        return std::move(reader);
      });

  corpus::keywords::Keywords::StubInterface& stub = mock;
  EXPECT_EQ(stub.delete__(Arg()).status().code(), absl::StatusCode::kNotFound);
  Arg request;
  request.set_text("n");
  auto stream = stub.new_(request);
  Arg arg;
  std::vector<std::string> got;
  while (stream->Read(&arg)) got.push_back(arg.text());
  EXPECT_THAT(got, ElementsAre("only"));
  EXPECT_TRUE(stream->Finish().ok());
}

}  // namespace
