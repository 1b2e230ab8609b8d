// The one way C++ code that owns objects (the core, reached through the bridge, calling back into
// PostgreSQL through an interface such as ExpressionParser) calls PostgreSQL: call_postgres runs
// the work in a subtransaction, behind a PG_TRY that sits deeper than every C++ frame, so that an
// ERROR never jumps over a destructor; the subtransaction is rolled back (the only safe way to go on
// after an error) and the error comes back as a pgshift::Error, which the bridge turns into an
// ERROR again once every C++ frame has unwound.
//
// The work itself runs in PostgreSQL's regime: it must own no object with a destructor.
#pragma once

#include <string>

#include "core/error.hpp"

// What an ERROR caught by the guard said (palloc'd in the caller's memory context).
struct PostgresFailure {
	char *message;
	const char *sqlstate;
};

// Runs work(argument) in a subtransaction; false, with *failure set, if it raised an ERROR.
bool run_in_subtransaction(void (*work)(void *), void *argument, PostgresFailure *failure);

// Runs `work()` (a callable over plain data) as run_in_subtransaction does, and throws a
// pgshift::Error "<context>: <PostgreSQL's message>" with its SQLSTATE if it raised an ERROR.
template <typename Work>
void call_postgres(const std::string &context, Work &work)
{
	PostgresFailure failure{};
	auto trampoline = [](void *argument) { (*static_cast<Work *>(argument))(); };
	if (!run_in_subtransaction(trampoline, &work, &failure))
		throw pgshift::Error(failure.sqlstate, context + ": " + failure.message);
}
