// gofer/gofer.hpp — everything: go(), run(), the runtime, time, sync, context,
// and x/sync's errgroup and semaphore.
#pragma once

#include "gofer/chan.hpp"
#include "gofer/context.hpp"
#include "gofer/defer.hpp"
#include "gofer/errgroup.hpp"
#include "gofer/errors.hpp"
#include "gofer/go.hpp"
#include "gofer/panic.hpp"
#include "gofer/runtime.hpp"
#include "gofer/select.hpp"
#include "gofer/semaphore.hpp"
#include "gofer/sync.hpp"
#include "gofer/time.hpp"
#include "gofer/timer.hpp"
