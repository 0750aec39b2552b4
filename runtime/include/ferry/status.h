// Status details: binary data that travels with an error status.
//
// A handler may attach bytes to the status it returns, for example a
// serialized google.rpc.Status or a message of its own describing the
// error; the client finds them on the status its call ended with:
//
//   absl::Status status = absl::InvalidArgumentError("bad coordinates");
//   ferry::SetStatusDetails(status, violations.SerializeAsString());
//   return status;
//   ...
//   if (auto details = ferry::GetStatusDetails(reply.status())) ...
//
// The details are an absl::Status payload under kStatusDetailsTypeUrl, so
// they survive copies of the status. An OK status carries none.
#ifndef FERRY_STATUS_H_
#define FERRY_STATUS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"

namespace ferry {

inline constexpr absl::string_view kStatusDetailsTypeUrl =
    "type.ferry.dev/ferry.StatusDetails";

// Attaches `details` to `status` (ignored for an OK status).
inline void SetStatusDetails(absl::Status& status, absl::string_view details) {
  status.SetPayload(kStatusDetailsTypeUrl, absl::Cord(details));
}

// The details attached to `status`, if any.
inline std::optional<std::string> GetStatusDetails(const absl::Status& status) {
  auto payload = status.GetPayload(kStatusDetailsTypeUrl);
  if (!payload.has_value()) return std::nullopt;
  return std::string(*payload);
}

}  // namespace ferry

#endif  // FERRY_STATUS_H_
