// The dual-write trigger's hooks into backend start-up (see dual_write_trigger.cpp).
#pragma once

// Registers what the trigger relies on: the invalidation of compiled triggers when their table
// changes, and the executor hooks that tell which version a write comes through.
void register_dual_write(void);
