// The dual-write trigger's hook into backend start-up (see dual_write_trigger.cpp).
#pragma once

// Registers the relcache callback that makes compiled triggers follow their table's definition.
void register_dual_write_invalidation(void);
