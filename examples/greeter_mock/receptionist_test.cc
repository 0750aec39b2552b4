// Tests Receptionist against the generated helloworld::MockGreeterStub: no
// server, no channel, no sockets.
#include "receptionist.h"

#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "greeter.ferry_mock.h"
#include "gtest/gtest.h"

namespace {

using helloworld::HelloReply;
using helloworld::HelloRequest;
using ::testing::_;
using ::testing::Property;
using ::testing::Return;

HelloReply Reply(const std::string& message) {
  HelloReply reply;
  reply.set_message(message);
  return reply;
}

TEST(Receptionist, PassesOnTheServicesGreeting) {
  helloworld::MockGreeterStub greeter;
  EXPECT_CALL(greeter, SayHello(Property(&HelloRequest::name, "Ada"), _))
      .WillOnce(Return(Reply("Hello, Ada!")));
  Receptionist receptionist(greeter);
  EXPECT_EQ(receptionist.Greet("Ada"), "Hello, Ada!");
}

TEST(Receptionist, GreetsPlainlyWhenTheServiceIsDown) {
  helloworld::MockGreeterStub greeter;
  EXPECT_CALL(greeter, SayHello(_, _))
      .WillOnce(Return(absl::UnavailableError("connection refused")));
  Receptionist receptionist(greeter);
  EXPECT_EQ(receptionist.Greet("Ada"), "Welcome, Ada.");
}

TEST(Receptionist, SetsADeadline) {
  helloworld::MockGreeterStub greeter;
  EXPECT_CALL(
      greeter,
      SayHello(_, Property(&ferry::CallOptions::deadline,
                           ::testing::Lt(absl::Now() + absl::Seconds(2)))))
      .WillOnce(Return(Reply("Hi")));
  Receptionist receptionist(greeter);
  EXPECT_EQ(receptionist.Greet("Ada"), "Hi");
}

// AsyncSayHello, whatever its completion token, calls the virtual
// AsyncSayHelloRaw; the mock completes the call by invoking `done`. A plain
// callback runs right there, so the greeting is in before GreetAsync
// returns.
TEST(Receptionist, GreetsAsynchronously) {
  helloworld::MockGreeterStub greeter;
  EXPECT_CALL(greeter,
              AsyncSayHelloRaw(Property(&HelloRequest::name, "Bo"), _, _))
      .WillOnce(
          [](const HelloRequest&, const ferry::CallOptions&,
             absl::AnyInvocable<void(absl::StatusOr<HelloReply>) &&> done) {
            std::move(done)(Reply("Hello, Bo!"));
          });
  Receptionist receptionist(greeter);
  std::string greeting;
  receptionist.GreetAsync("Bo", [&](std::string text) { greeting = text; });
  EXPECT_EQ(greeting, "Hello, Bo!");
}

}  // namespace
