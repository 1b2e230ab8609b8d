// The settings the pgshift worker runs with. The role and database defaults it connects with are
// the application's (`ALTER ROLE app SET search_path = public_02_x` behind a pooler), and some of
// them would change what the worker computes: a search_path would resolve names elsewhere, a
// DateStyle or extra_float_digits would make a key's text cursor inexact, row_security would hide
// rows. So the worker sets its own, whatever those defaults are.
#pragma once

// For the worker's whole session (right after it has connected); `local`: for the current
// transaction (or GUC nest level) only, as pgshift._backfill_batch runs a batch in a client session.
void apply_worker_settings(bool local = false);

// For one backfill batch's transaction (they end with it).
void apply_batch_settings(void);
