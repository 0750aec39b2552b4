// Checks that what Ferry writes matches docs/protocol.md byte for byte.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ferry/ferry.h"
#include "greeter.ferry.h"
#include "gtest/gtest.h"

namespace ferry::test {
namespace {

std::string Hex(absl::string_view spaced) {
  std::string compact;
  for (char c : spaced) {
    if (c != ' ' && c != '|' && c != '\n') compact.push_back(c);
  }
  return absl::HexStringToBytes(compact);
}

TEST(ProtocolDoc, AUnaryCallStartsWithTheBytesOfTheExample) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)),
            0);
  ASSERT_EQ(listen(listener, 1), 0);
  socklen_t len = sizeof(addr);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);

  // The example of docs/protocol.md section 7, as the client writes it.
  const std::string expected =
      Hex("46 45 52 52 59 00 01 00"
          "18 00 00 00|01|00|00 00|00 00 00 00|00 00 00 00"
          "01 00 00 00 01 00|04 00 00 00 00 04|02 00 00 00 10 00|03 00 00 00 "
          "00 01"
          "21 00 00 00|02|00|00 00|01 00 00 00|00 00 00 00"
          "01|1c 00 00 00") +
      "/helloworld.Greeter/SayHello" +
      Hex("07 00 00 00|03|07|00 00|01 00 00 00|07 00 00 00"
          "0a 05 77 6f 72 6c 64");

  std::thread client([port] {
    auto stub = helloworld::Greeter::NewStub(
        CreateChannel(absl::StrCat("127.0.0.1:", port)));
    helloworld::HelloRequest request;
    request.set_name("world");
    // The fake server hangs up after reading; the call then fails.
    EXPECT_FALSE(stub->SayHello(request).ok());
  });

  const int peer = accept(listener, nullptr, nullptr);
  ASSERT_GE(peer, 0);
  timeval tv{5, 0};
  setsockopt(peer, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string got;
  char buffer[512];
  while (got.size() < expected.size()) {
    const ssize_t n = recv(peer, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    got.append(buffer, static_cast<size_t>(n));
  }
  close(peer);
  close(listener);
  client.join();
  EXPECT_EQ(absl::BytesToHexString(got), absl::BytesToHexString(expected));
}

}  // namespace
}  // namespace ferry::test
