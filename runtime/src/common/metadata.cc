#include "ferry/metadata.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ferry {

std::optional<absl::string_view> Metadata::Get(absl::string_view key) const {
  for (const Entry& entry : entries_) {
    if (entry.first == key) return absl::string_view(entry.second);
  }
  return std::nullopt;
}

std::vector<absl::string_view> Metadata::GetAll(absl::string_view key) const {
  std::vector<absl::string_view> values;
  for (const Entry& entry : entries_) {
    if (entry.first == key) values.push_back(entry.second);
  }
  return values;
}

size_t Metadata::ByteSize() const {
  size_t size = 0;
  for (const Entry& entry : entries_) {
    size += entry.first.size() + entry.second.size();
  }
  return size;
}

absl::Status ValidateMetadata(const Metadata& metadata) {
  for (const auto& [key, value] : metadata) {
    if (key.empty()) {
      return absl::InvalidArgumentError("metadata key is empty");
    }
    if (key.size() > 0xffff) {
      return absl::InvalidArgumentError("metadata key is longer than 65535");
    }
    for (char c : key) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.';
      if (!ok) {
        return absl::InvalidArgumentError(absl::StrCat(
            "metadata key \"", key,
            "\" has a character outside [a-z0-9-_.] (keys are lowercase)"));
      }
    }
    if (absl::StartsWith(key, "ferry-")) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata key \"", key,
                       "\" uses the reserved prefix "
                       "\"ferry-\""));
    }
    if (absl::EndsWith(key, "-bin")) continue;
    for (char c : value) {
      if (c < 0x20 || c > 0x7e) {
        return absl::InvalidArgumentError(absl::StrCat(
            "metadata value for \"", key,
            "\" is not printable ASCII; binary values need a key ending in "
            "\"-bin\""));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace ferry
