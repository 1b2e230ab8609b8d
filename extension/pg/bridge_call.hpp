// Turns a BridgeResult into PostgreSQL values or an ERROR. The malloc'd result is freed when the
// current memory context goes away, so it is not leaked even if copying it raises an ERROR.
#pragma once
#include "core/bridge.hpp"

extern "C" {
#include "postgres.h"
}

// Raises the result's error if it has one; otherwise returns the text as a palloc'd string.
char *bridge_take_text(BridgeResult *result);

// Raises the result's error if it has one; otherwise returns the items as a text[] datum.
Datum bridge_take_text_array(BridgeResult *result);
