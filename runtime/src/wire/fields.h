// The field list carried by HEADERS, TRAILERS, CANCEL and GOAWAY payloads:
//
//   field := tag:u8  length:u32le  value[length]
//
// Unknown tags are skipped, so later versions can add fields. Metadata
// entries are `key_length:u16le key value`. See docs/protocol.md.
#ifndef FERRY_SRC_WIRE_FIELDS_H_
#define FERRY_SRC_WIRE_FIELDS_H_

#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "buffer/chain.h"

namespace ferry::internal::wire {

enum class FieldTag : uint8_t {
  kMethod = 1,         // HEADERS (client): "/package.Service/Method"
  kTimeoutMicros = 2,  // HEADERS (client): u64le, remaining time
  kMetadata = 3,       // HEADERS, TRAILERS: one key/value pair
  kStatusMessage = 4,  // TRAILERS, CANCEL, GOAWAY: UTF-8 text
  kStatusDetails = 5,  // TRAILERS: opaque bytes
};

inline constexpr size_t kFieldOverhead = 5;

class FieldWriter {
 public:
  void AddBytes(FieldTag tag, absl::string_view value);
  void AddU64(FieldTag tag, uint64_t value);
  void AddMetadata(absl::string_view key, absl::string_view value);

  const std::string& bytes() const { return bytes_; }

 private:
  void AddHeader(FieldTag tag, size_t length);
  std::string bytes_;
};

// Calls `visit` for each field in `payload`, stopping at the first error.
// A truncated or overlong field is an INTERNAL error.
absl::Status ParseFields(
    absl::string_view payload,
    absl::FunctionRef<absl::Status(uint8_t tag, absl::string_view value)>
        visit);

absl::StatusOr<uint64_t> ParseU64Field(absl::string_view value);
absl::Status ParseMetadataField(absl::string_view value, absl::string_view* key,
                                absl::string_view* metadata_value);

// Returns a view of `chain`'s bytes: the chain's only slice when it has one,
// otherwise a copy in `storage`. For small control payloads only.
absl::string_view FlattenSmall(const Chain& chain, std::string* storage);

}  // namespace ferry::internal::wire

#endif  // FERRY_SRC_WIRE_FIELDS_H_
