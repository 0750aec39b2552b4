// Server-side streams: what a streaming handler reads from and writes to.
//
//   absl::Status ListFeatures(ferry::ServerContext& context,
//                             const Rectangle& area,
//                             ferry::ServerWriter<Feature>& writer) override {
//     for (const Feature& f : FeaturesIn(area)) {
//       if (!writer.Write(f)) break;  // the call ended (e.g. cancelled)
//     }
//     return absl::OkStatus();
//   }
//
//   absl::Status RecordRoute(ferry::ServerContext& context,
//                            ferry::ServerReader<Point>& reader,
//                            RouteSummary& summary) override {
//     Point point;
//     while (reader.Read(&point)) ...
//     return absl::OkStatus();
//   }
//
//   absl::Status RouteChat(ferry::ServerContext& context,
//                          ferry::ServerStream<RouteNote, RouteNote>& stream)
//       override { ... stream.Read(&in) ... stream.Write(out) ... }
//
// The handler runs on one worker thread for the whole call; messages are
// read in the order the client sent them. Read() blocks until a message
// arrives and returns false at the end of the client's stream or once the
// call has ended (cancelled, deadline, connection lost, a malformed
// message). Write() blocks while the client's flow-control window is full
// and returns false once the call has ended. The handler's returned status
// ends the call. Stream objects are only valid during the handler.
//
// Thread-safety: one thread may read while another writes; two concurrent
// reads, or two concurrent writes, are not allowed.
#ifndef FERRY_SERVER_STREAM_H_
#define FERRY_SERVER_STREAM_H_

#include "ferry/impl/server_call.h"

namespace ferry {

template <typename R>
class ServerReader {
 public:
  explicit ServerReader(impl::ServerCall& call) : call_(call) {}
  ServerReader(const ServerReader&) = delete;
  ServerReader& operator=(const ServerReader&) = delete;

  bool Read(R* message) { return call_.Read(*message); }

 private:
  impl::ServerCall& call_;
};

template <typename W>
class ServerWriter {
 public:
  explicit ServerWriter(impl::ServerCall& call) : call_(call) {}
  ServerWriter(const ServerWriter&) = delete;
  ServerWriter& operator=(const ServerWriter&) = delete;

  bool Write(const W& message) { return call_.Write(message); }
  // Sends the initial metadata (ServerContext::AddInitialMetadata) now,
  // rather than with the first message or the status.
  void SendInitialMetadata() { call_.SendInitialMetadata(); }

 private:
  impl::ServerCall& call_;
};

template <typename W, typename R>
class ServerStream {
 public:
  explicit ServerStream(impl::ServerCall& call) : call_(call) {}
  ServerStream(const ServerStream&) = delete;
  ServerStream& operator=(const ServerStream&) = delete;

  bool Read(R* message) { return call_.Read(*message); }
  bool Write(const W& message) { return call_.Write(message); }
  void SendInitialMetadata() { call_.SendInitialMetadata(); }

 private:
  impl::ServerCall& call_;
};

}  // namespace ferry

#endif  // FERRY_SERVER_STREAM_H_
