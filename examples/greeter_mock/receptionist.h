// Receptionist: greets visitors through the helloworld.Greeter service, and
// still greets them when the service is down. It depends only on
// Greeter::StubInterface, so a test can hand it a mock instead of a stub on
// a channel.
#ifndef FERRY_EXAMPLES_GREETER_MOCK_RECEPTIONIST_H_
#define FERRY_EXAMPLES_GREETER_MOCK_RECEPTIONIST_H_

#include <functional>
#include <string>

#include "greeter.ferry.h"

class Receptionist {
 public:
  // `greeter` must outlive the receptionist.
  explicit Receptionist(helloworld::Greeter::StubInterface& greeter)
      : greeter_(greeter) {}

  // The service's greeting for `name`, or a plain one if the call fails.
  // Blocks for at most a second.
  std::string Greet(const std::string& name);

  // The same without blocking: `done` runs once, on a Ferry thread.
  void GreetAsync(const std::string& name,
                  std::function<void(std::string)> done);

 private:
  helloworld::Greeter::StubInterface& greeter_;
};

#endif  // FERRY_EXAMPLES_GREETER_MOCK_RECEPTIONIST_H_
