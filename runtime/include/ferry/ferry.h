// Ferry's public API in one include.
#ifndef FERRY_FERRY_H_
#define FERRY_FERRY_H_

#include "ferry/call_options.h"
#include "ferry/channel.h"
#include "ferry/client_context.h"
#include "ferry/client_stream.h"
#include "ferry/log.h"
#include "ferry/metadata.h"
#include "ferry/server.h"
#include "ferry/server_context.h"
#include "ferry/server_stream.h"
#include "ferry/service.h"
#include "ferry/status.h"

#endif  // FERRY_FERRY_H_
