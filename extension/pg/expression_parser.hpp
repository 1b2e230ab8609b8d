// PostgreSQL's parser behind the core's ExpressionParser interface.
#pragma once
#include "core/expression_columns.hpp"

#include <type_traits>

class PostgresExpressionParser final : public pgshift::ExpressionParser {
public:
	std::vector<pgshift::ColumnReference> column_references(const std::string &expression) const override;
	DefaultKind default_kind(const std::string &expression, const std::string &type) const override;
};

// It sits in frames that PostgreSQL errors may longjmp out of: it must have no destructor to skip.
static_assert(std::is_trivially_destructible<PostgresExpressionParser>::value,
              "PostgresExpressionParser must be trivially destructible");
