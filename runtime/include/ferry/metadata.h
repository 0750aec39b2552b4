// Metadata: the key/value pairs sent alongside a call, as in gRPC.
//
// Clients send metadata with a call (CallOptions::AddMetadata); servers read
// it from ServerContext::client_metadata() and send their own initial and
// trailing metadata back. Keys are lowercase ASCII letters, digits, '-', '_'
// and '.'; a key ending in "-bin" carries arbitrary bytes, any other key a
// printable ASCII value (0x20-0x7e). Keys starting with "ferry-" are reserved.
// Keys may repeat; order is kept.
//
// Thread-safety: a value type; one thread at a time, like std::vector.
#ifndef FERRY_METADATA_H_
#define FERRY_METADATA_H_

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ferry {

class Metadata {
 public:
  using Entry = std::pair<std::string, std::string>;
  using const_iterator = std::vector<Entry>::const_iterator;

  Metadata() = default;
  Metadata(std::initializer_list<Entry> entries) : entries_(entries) {}

  // Appends a pair. Keys are checked when the metadata is sent.
  void Add(std::string key, std::string value) {
    entries_.emplace_back(std::move(key), std::move(value));
  }
  // The first value for `key`, if any. The view is valid until the next
  // change to this object.
  std::optional<absl::string_view> Get(absl::string_view key) const;
  // Every value for `key`, in order.
  std::vector<absl::string_view> GetAll(absl::string_view key) const;
  bool Contains(absl::string_view key) const { return Get(key).has_value(); }

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  void Clear() { entries_.clear(); }
  // Sum of key and value sizes, the measure size limits apply to.
  size_t ByteSize() const;

  friend bool operator==(const Metadata& a, const Metadata& b) {
    return a.entries_ == b.entries_;
  }

 private:
  std::vector<Entry> entries_;
};

// OK when every key and value follows the rules above; INVALID_ARGUMENT
// naming the first offending key otherwise.
absl::Status ValidateMetadata(const Metadata& metadata);

}  // namespace ferry

#endif  // FERRY_METADATA_H_
