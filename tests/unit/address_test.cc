#include "transport/address.h"

#include "gtest/gtest.h"

namespace ferry::internal {
namespace {

TEST(ParseAddress, HostAndPort) {
  auto a = ParseAddress("127.0.0.1:50051");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->kind, Address::Kind::kTcp);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 50051);
  EXPECT_EQ(a->ToString(), "127.0.0.1:50051");
}

TEST(ParseAddress, BracketedIpv6) {
  auto a = ParseAddress("[::1]:80");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->ToString(), "[::1]:80");
}

TEST(ParseAddress, EmptyHostMeansAnyOrLocal) {
  auto a = ParseAddress(":0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "");
  EXPECT_EQ(a->port, 0);
}

TEST(ParseAddress, UnixPath) {
  auto a = ParseAddress("unix:/tmp/x.sock");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->kind, Address::Kind::kUnix);
  EXPECT_EQ(a->path, "/tmp/x.sock");
}

TEST(ParseAddress, RejectsMalformedAddresses) {
  for (const char* bad : {"", "localhost", "host:", "host:70000", "host:x",
                          "::1:80", "[::1]80", "unix:"}) {
    EXPECT_EQ(ParseAddress(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace ferry::internal
