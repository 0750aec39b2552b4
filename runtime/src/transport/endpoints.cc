// Listener and Connect: the transport's socket setup, in one translation
// unit so Asio's acceptor, resolver and connect machinery compile once.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <future>
#include <mutex>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/socket_base.hpp>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "transport/asio.h"
#include "transport/connector.h"
#include "transport/listener.h"
#include "transport/socket_connection.h"

namespace ferry::internal {
namespace {

using Acceptor = asio::basic_socket_acceptor<asio::generic::stream_protocol>;
using GenericEndpoint = asio::generic::stream_protocol::endpoint;

// "1.2.3.4:80", "[::1]:80" or "unix:/path" for a socket address.
std::string FormatSockaddr(const sockaddr* sa, socklen_t len) {
  char host[INET6_ADDRSTRLEN] = {};
  switch (sa->sa_family) {
    case AF_INET: {
      const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
      inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
      return absl::StrCat(host, ":", ntohs(in->sin_port));
    }
    case AF_INET6: {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
      inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
      return absl::StrCat("[", host, "]:", ntohs(in6->sin6_port));
    }
    case AF_UNIX: {
      const auto* un = reinterpret_cast<const sockaddr_un*>(sa);
      const size_t max = len > offsetof(sockaddr_un, sun_path)
                             ? len - offsetof(sockaddr_un, sun_path)
                             : 0;
      return absl::StrCat(
          "unix:", std::string(un->sun_path, strnlen(un->sun_path, max)));
    }
    default:
      return "unknown";
  }
}

std::string PeerName(int fd, const char* fallback) {
  sockaddr_storage storage{};
  socklen_t len = sizeof(storage);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &len) != 0) {
    return fallback;
  }
  std::string name = FormatSockaddr(reinterpret_cast<sockaddr*>(&storage), len);
  // Unix clients are usually unnamed; say so rather than print "unix:".
  return name == "unix:" ? std::string("unix:(client)") : name;
}

void TuneSocket(Socket& socket) {
  const int family = socket.local_endpoint().protocol().family();
  if (family == AF_INET || family == AF_INET6) {
    const int one = 1;
    setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one,
               sizeof(one));
  }
}

class SocketListener final
    : public Listener,
      public std::enable_shared_from_this<SocketListener> {
 public:
  SocketListener(EventLoopGroup& loops, Address address,
                 const Connection::Options& options, AcceptFn on_accept)
      : loops_(loops),
        address_(std::move(address)),
        options_(options),
        on_accept_(std::move(on_accept)),
        acceptor_(loops.at(0).io()),
        retry_timer_(loops.at(0).io()) {}

  absl::Status Open() {
    boost::system::error_code ec;
    GenericEndpoint endpoint;
    if (address_.kind == Address::Kind::kUnix) {
      struct stat st {};
      if (lstat(address_.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
        unlink(address_.path.c_str());  // a stale socket from an earlier run
      }
      endpoint = asio::local::stream_protocol::endpoint(address_.path);
    } else {
      asio::ip::tcp::endpoint tcp_endpoint;
      if (address_.host.empty()) {
        tcp_endpoint =
            asio::ip::tcp::endpoint(asio::ip::tcp::v6(), address_.port);
      } else {
        asio::ip::tcp::resolver resolver(loops_.at(0).io());
        auto results =
            resolver.resolve(address_.host, std::to_string(address_.port),
                             asio::ip::tcp::resolver::passive |
                                 asio::ip::tcp::resolver::numeric_service,
                             ec);
        if (ec || results.empty()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "cannot resolve listening address ", address_.ToString(), ": ",
              ec ? ec.message() : "no addresses"));
        }
        tcp_endpoint = results.begin()->endpoint();
      }
      endpoint = GenericEndpoint(tcp_endpoint);
    }
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec && address_.kind == Address::Kind::kTcp) {
      acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec && address_.host.empty()) {
        // Dual stack: also accept IPv4 on the IPv6 wildcard.
        const int off = 0;
        setsockopt(acceptor_.native_handle(), IPPROTO_IPV6, IPV6_V6ONLY, &off,
                   sizeof(off));
      }
    }
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat(
          "cannot listen on ", address_.ToString(), ": ", ec.message()));
    }
    if (address_.kind == Address::Kind::kTcp) {
      sockaddr_storage storage{};
      socklen_t len = sizeof(storage);
      getsockname(acceptor_.native_handle(),
                  reinterpret_cast<sockaddr*>(&storage), &len);
      const auto* sa = reinterpret_cast<sockaddr*>(&storage);
      address_.port =
          ntohs(sa->sa_family == AF_INET6
                    ? reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port
                    : reinterpret_cast<const sockaddr_in*>(sa)->sin_port);
    }
    return absl::OkStatus();
  }

  void StartAccepting() {
    loops_.at(0).Post([self = shared_from_this()] { self->AcceptNext(); });
  }

  const Address& address() const override { return address_; }

  void Close() override {
    std::call_once(closed_, [this] {
      auto stop = [self = shared_from_this()] {
        self->stopping_ = true;
        boost::system::error_code ignored;
        self->retry_timer_.cancel();
        self->acceptor_.close(ignored);
      };
      if (loops_.at(0).InLoopThread()) {
        stop();
      } else {
        std::promise<void> done;
        loops_.at(0).Post([&] {
          stop();
          done.set_value();
        });
        done.get_future().wait();
      }
      if (address_.kind == Address::Kind::kUnix) unlink(address_.path.c_str());
    });
  }

 private:
  void AcceptNext() {
    if (stopping_) return;
    EventLoop& target = loops_.Next();
    acceptor_.async_accept(
        target.io(),
        [self = shared_from_this(), &target](
            const boost::system::error_code& ec,
            asio::basic_stream_socket<asio::generic::stream_protocol,
                                      asio::io_context::executor_type>
                peer) { self->OnAccept(ec, target, Socket(std::move(peer))); });
  }

  void OnAccept(const boost::system::error_code& ec, EventLoop& target,
                Socket socket) {
    if (stopping_ || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors or similar: say so, back off, keep serving.
      FERRY_LOG(kWarning) << "accept on " << address_.ToString()
                          << " failed: " << ec.message()
                          << "; retrying in 100ms";
      retry_timer_.expires_after(std::chrono::milliseconds(100));
      retry_timer_.async_wait(
          [self = shared_from_this()](const boost::system::error_code& e) {
            if (!e) self->AcceptNext();
          });
      return;
    }
    TuneSocket(socket);
    std::string peer = PeerName(socket.native_handle(), "unknown");
    on_accept_(NewSocketConnection(target, std::move(socket), options_,
                                   std::move(peer)));
    AcceptNext();
  }

  EventLoopGroup& loops_;
  Address address_;
  const Connection::Options options_;
  const AcceptFn on_accept_;
  Acceptor acceptor_;
  asio::steady_timer retry_timer_;
  bool stopping_ = false;  // loop 0 only
  std::once_flag closed_;
};

// One connection attempt: resolve, then try each endpoint until one
// connects or the deadline passes.
class ConnectOp : public std::enable_shared_from_this<ConnectOp> {
 public:
  ConnectOp(EventLoop& loop, Address address,
            const Connection::Options& options, ConnectFn done)
      : loop_(loop),
        address_(std::move(address)),
        options_(options),
        done_(std::move(done)),
        resolver_(loop.io()),
        socket_(loop.io()),
        timer_(loop.io()) {}

  void Start(absl::Time deadline) {
    const absl::Duration left =
        std::max(deadline - absl::Now(), absl::ZeroDuration());
    if (deadline != absl::InfiniteFuture()) {
      timer_.expires_after(absl::ToChronoNanoseconds(left));
      timer_.async_wait(
          [self = shared_from_this()](const boost::system::error_code& ec) {
            if (ec) return;
            self->timed_out_ = true;
            self->resolver_.cancel();
            boost::system::error_code ignored;
            self->socket_.close(ignored);
          });
    }
    if (address_.kind == Address::Kind::kUnix) {
      endpoints_.push_back(GenericEndpoint(
          asio::local::stream_protocol::endpoint(address_.path)));
      TryNext();
      return;
    }
    const std::string host =
        address_.host.empty() ? std::string("localhost") : address_.host;
    resolver_.async_resolve(
        host, std::to_string(address_.port),
        asio::ip::tcp::resolver::numeric_service,
        [self = shared_from_this()](
            const boost::system::error_code& ec,
            asio::ip::tcp::resolver::results_type results) {
          if (ec || results.empty()) {
            self->Finish(self->timed_out_
                             ? absl::DeadlineExceededError(
                                   absl::StrCat("deadline passed resolving ",
                                                self->address_.ToString()))
                             : absl::UnavailableError(absl::StrCat(
                                   "cannot resolve ", self->address_.ToString(),
                                   ": ", ec ? ec.message() : "no addresses")));
            return;
          }
          for (const auto& entry : results) {
            self->endpoints_.push_back(GenericEndpoint(entry.endpoint()));
          }
          self->TryNext();
        });
  }

 private:
  void TryNext() {
    if (next_ >= endpoints_.size()) {
      Finish(absl::UnavailableError(absl::StrCat(
          "cannot connect to ", address_.ToString(), ": ", last_error_)));
      return;
    }
    const GenericEndpoint endpoint = endpoints_[next_++];
    boost::system::error_code ec;
    if (socket_.is_open()) socket_.close(ec);
    socket_.open(endpoint.protocol(), ec);
    if (ec) {
      last_error_ = ec.message();
      TryNext();
      return;
    }
    socket_.async_connect(endpoint, [self = shared_from_this()](
                                        const boost::system::error_code& e) {
      if (self->timed_out_) {
        self->Finish(absl::DeadlineExceededError(absl::StrCat(
            "deadline passed connecting to ", self->address_.ToString())));
        return;
      }
      if (e) {
        self->last_error_ = e.message();
        self->TryNext();
        return;
      }
      self->timer_.cancel();
      TuneSocket(self->socket_);
      std::string peer = self->address_.kind == Address::Kind::kUnix
                             ? self->address_.ToString()
                             : PeerName(self->socket_.native_handle(),
                                        self->address_.ToString().c_str());
      self->Finish(NewSocketConnection(self->loop_, std::move(self->socket_),
                                       self->options_, std::move(peer)));
    });
  }

  void Finish(absl::StatusOr<std::shared_ptr<Connection>> result) {
    timer_.cancel();
    ConnectFn done = std::move(done_);
    if (done) done(std::move(result));
  }

  EventLoop& loop_;
  const Address address_;
  const Connection::Options options_;
  ConnectFn done_;
  asio::ip::tcp::resolver resolver_;
  Socket socket_;
  asio::steady_timer timer_;
  std::vector<GenericEndpoint> endpoints_;
  size_t next_ = 0;
  bool timed_out_ = false;
  std::string last_error_ = "no address to try";
};

}  // namespace

absl::StatusOr<std::unique_ptr<Listener>> Listener::Create(
    EventLoopGroup& loops, const Address& address,
    const Connection::Options& options, AcceptFn on_accept) {
  auto listener = std::make_shared<SocketListener>(loops, address, options,
                                                   std::move(on_accept));
  absl::Status status = listener->Open();
  if (!status.ok()) return status;
  listener->StartAccepting();
  // The handle owns the listener through a shared pointer that pending
  // accepts also hold; closing the handle stops them.
  struct Handle final : Listener {
    explicit Handle(std::shared_ptr<SocketListener> l) : impl(std::move(l)) {}
    ~Handle() override { impl->Close(); }
    const Address& address() const override { return impl->address(); }
    void Close() override { impl->Close(); }
    std::shared_ptr<SocketListener> impl;
  };
  return std::unique_ptr<Listener>(new Handle(std::move(listener)));
}

void Resolve(EventLoop& loop, const Address& address, ResolveFn done) {
  if (address.kind == Address::Kind::kUnix) {
    loop.Post([address, done = std::move(done)] {
      done(std::vector<Address>{address});
    });
    return;
  }
  auto resolver = std::make_shared<asio::ip::tcp::resolver>(loop.io());
  const std::string host =
      address.host.empty() ? std::string("localhost") : address.host;
  loop.Post([resolver, host, address, done = std::move(done)]() mutable {
    resolver->async_resolve(host, std::to_string(address.port),
                            asio::ip::tcp::resolver::numeric_service,
                            [resolver, address, done = std::move(done)](
                                const boost::system::error_code& ec,
                                asio::ip::tcp::resolver::results_type results) {
                              if (ec || results.empty()) {
                                done(absl::UnavailableError(absl::StrCat(
                                    "cannot resolve ", address.ToString(), ": ",
                                    ec ? ec.message() : "no addresses")));
                                return;
                              }
                              std::vector<Address> resolved;
                              for (const auto& entry : results) {
                                Address a;
                                a.kind = Address::Kind::kTcp;
                                a.host = entry.endpoint().address().to_string();
                                a.port = entry.endpoint().port();
                                bool seen = false;
                                for (const Address& r : resolved) {
                                  seen = seen ||
                                         (r.host == a.host && r.port == a.port);
                                }
                                if (!seen) resolved.push_back(std::move(a));
                              }
                              done(std::move(resolved));
                            });
  });
}

void Connect(EventLoop& loop, const Address& address,
             const Connection::Options& options, absl::Time deadline,
             ConnectFn done) {
  auto op =
      std::make_shared<ConnectOp>(loop, address, options, std::move(done));
  loop.Post([op, deadline] { op->Start(deadline); });
}

}  // namespace ferry::internal
