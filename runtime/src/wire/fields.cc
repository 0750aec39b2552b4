#include "wire/fields.h"

#include "absl/strings/str_format.h"

namespace ferry::internal::wire {

void FieldWriter::AddHeader(FieldTag tag, size_t length) {
  bytes_.push_back(static_cast<char>(tag));
  const auto n = static_cast<uint32_t>(length);
  for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<char>(n >> (8 * i)));
}

void FieldWriter::AddBytes(FieldTag tag, absl::string_view value) {
  AddHeader(tag, value.size());
  bytes_.append(value.data(), value.size());
}

void FieldWriter::AddU64(FieldTag tag, uint64_t value) {
  AddHeader(tag, 8);
  for (int i = 0; i < 8; ++i) {
    bytes_.push_back(static_cast<char>(value >> (8 * i)));
  }
}

void FieldWriter::AddMetadata(absl::string_view key, absl::string_view value) {
  AddHeader(FieldTag::kMetadata, 2 + key.size() + value.size());
  bytes_.push_back(static_cast<char>(key.size()));
  bytes_.push_back(static_cast<char>(key.size() >> 8));
  bytes_.append(key.data(), key.size());
  bytes_.append(value.data(), value.size());
}

absl::Status ParseFields(
    absl::string_view payload,
    absl::FunctionRef<absl::Status(uint8_t tag, absl::string_view value)>
        visit) {
  while (!payload.empty()) {
    if (payload.size() < kFieldOverhead) {
      return absl::InternalError(absl::StrFormat(
          "truncated field header (%u bytes left)", payload.size()));
    }
    const auto* p = reinterpret_cast<const unsigned char*>(payload.data());
    const uint8_t tag = p[0];
    const uint32_t length =
        static_cast<uint32_t>(p[1]) | static_cast<uint32_t>(p[2]) << 8 |
        static_cast<uint32_t>(p[3]) << 16 | static_cast<uint32_t>(p[4]) << 24;
    payload.remove_prefix(kFieldOverhead);
    if (length > payload.size()) {
      return absl::InternalError(
          absl::StrFormat("field %u claims %u bytes but only %u remain", tag,
                          length, payload.size()));
    }
    absl::Status status = visit(tag, payload.substr(0, length));
    if (!status.ok()) return status;
    payload.remove_prefix(length);
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ParseU64Field(absl::string_view value) {
  if (value.size() != 8) {
    return absl::InternalError(
        absl::StrFormat("u64 field has %u bytes, expected 8", value.size()));
  }
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) {
    v = v << 8 | static_cast<unsigned char>(value[static_cast<size_t>(i)]);
  }
  return v;
}

absl::Status ParseMetadataField(absl::string_view value, absl::string_view* key,
                                absl::string_view* metadata_value) {
  if (value.size() < 2) return absl::InternalError("truncated metadata field");
  const size_t key_length =
      static_cast<unsigned char>(value[0]) |
      static_cast<size_t>(static_cast<unsigned char>(value[1])) << 8;
  if (key_length > value.size() - 2) {
    return absl::InternalError("metadata key runs past its field");
  }
  *key = value.substr(2, key_length);
  *metadata_value = value.substr(2 + key_length);
  return absl::OkStatus();
}

absl::string_view FlattenSmall(const Chain& chain, std::string* storage) {
  if (chain.slice_count() == 0) return {};
  if (chain.slice_count() == 1) return chain.slice(0).view();
  *storage = chain.CopyToString();
  return *storage;
}

}  // namespace ferry::internal::wire
