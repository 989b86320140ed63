// gofer/sync.hpp — Go's sync package: Mutex, RWMutex, WaitGroup, Once, Cond.
#pragma once

#include "gofer/sync/cond.hpp"
#include "gofer/sync/mutex.hpp"
#include "gofer/sync/once.hpp"
#include "gofer/sync/rwmutex.hpp"
#include "gofer/sync/wait_group.hpp"
