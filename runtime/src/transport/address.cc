#include "transport/address.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ferry::internal {

std::string Address::ToString() const {
  if (kind == Kind::kUnix) return absl::StrCat("unix:", path);
  if (absl::StrContains(host, ':')) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<Address> ParseAddress(absl::string_view text) {
  Address address;
  if (absl::ConsumePrefix(&text, "unix:")) {
    if (text.empty()) {
      return absl::InvalidArgumentError("unix: address without a path");
    }
    address.kind = Address::Kind::kUnix;
    address.path = std::string(text);
    return address;
  }
  absl::string_view host;
  absl::string_view port;
  if (absl::StartsWith(text, "[")) {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos || close + 1 >= text.size() ||
        text[close + 1] != ':') {
      return absl::InvalidArgumentError(
          absl::StrCat("bad address \"", text, "\": expected [host]:port"));
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad address \"", text, "\": expected host:port or unix:path"));
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (absl::StrContains(host, ':')) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad address \"", text, "\": put IPv6 hosts in brackets"));
    }
  }
  uint32_t port_number = 0;
  if (!absl::SimpleAtoi(port, &port_number) || port_number > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad port \"", port, "\" in address \"", text, "\""));
  }
  address.host = std::string(host);
  address.port = static_cast<uint16_t>(port_number);
  return address;
}

absl::StatusOr<std::vector<Address>> ParseAddressList(absl::string_view text) {
  std::vector<Address> addresses;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    absl::StatusOr<Address> address =
        ParseAddress(absl::StripAsciiWhitespace(part));
    if (!address.ok()) return address.status();
    addresses.push_back(*std::move(address));
  }
  return addresses;
}

}  // namespace ferry::internal
