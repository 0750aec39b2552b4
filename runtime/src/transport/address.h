// Listening and connecting addresses.
//
//   "127.0.0.1:50051", "localhost:50051", "[::1]:50051", ":50051"  TCP
//   "unix:/run/app.sock", "unix:relative.sock"                     Unix
//
// A host may be a name; it is resolved when connecting (all its addresses
// are tried in order) or when listening (the first address is used). An
// empty host means all interfaces when listening and loopback when
// connecting. Port 0 when listening picks a free port.
#ifndef FERRY_SRC_TRANSPORT_ADDRESS_H_
#define FERRY_SRC_TRANSPORT_ADDRESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ferry::internal {

struct Address {
  enum class Kind { kTcp, kUnix };
  Kind kind = Kind::kTcp;
  std::string host;  // kTcp: name or literal, without brackets
  uint16_t port = 0;
  std::string path;  // kUnix

  std::string ToString() const;
};

// Parses an address as described above; INVALID_ARGUMENT says what is wrong.
absl::StatusOr<Address> ParseAddress(absl::string_view text);
// Parses a comma-separated list of addresses (a channel target).
absl::StatusOr<std::vector<Address>> ParseAddressList(absl::string_view text);

}  // namespace ferry::internal

#endif  // FERRY_SRC_TRANSPORT_ADDRESS_H_
