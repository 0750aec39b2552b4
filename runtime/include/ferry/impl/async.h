// Asio completion tokens for Ferry's asynchronous calls: one generated
// method serves a callback, asio::use_future and asio::use_awaitable.
//
// Generated code and the stream classes only; see README.md here.
#ifndef FERRY_IMPL_ASYNC_H_
#define FERRY_IMPL_ASYNC_H_

// Boost 1.74's Asio uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>

#include "absl/functional/any_invocable.h"

namespace ferry::impl {

// Wraps an Asio completion handler as a callback Ferry may invoke from any
// of its threads. The handler runs through its associated executor: a
// coroutine resumes on its own executor, a plain callback runs inline on the
// Ferry thread that completed the operation. Until then the executor counts
// the operation as outstanding work, so an io_context awaiting a Ferry call
// does not run out of work and return.
template <typename... Args, typename Handler>
absl::AnyInvocable<void(Args...) &&> BindHandler(Handler&& handler) {
  auto executor =
      boost::asio::prefer(boost::asio::get_associated_executor(handler),
                          boost::asio::execution::outstanding_work.tracked);
  return [handler = std::forward<Handler>(handler),
          executor = std::move(executor)](Args... args) mutable {
    auto ex = executor;
    boost::asio::dispatch(
        ex, [handler = std::move(handler), executor = std::move(executor),
             ... args = std::move(args)]() mutable {
          std::move(handler)(std::move(args)...);
        });
  };
}

}  // namespace ferry::impl

#endif  // FERRY_IMPL_ASYNC_H_
