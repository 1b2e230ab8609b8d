// The one exception type of the core: a message for the user plus the SQLSTATE the
// PostgreSQL side raises it with (see pg/bridge_call.cpp).
#pragma once
#include <stdexcept>
#include <string>

namespace pgshift {

namespace sqlstate {
inline constexpr const char *invalid_migration = "22023";   // invalid_parameter_value
inline constexpr const char *undefined_table = "42P01";
inline constexpr const char *undefined_column = "42703";
inline constexpr const char *undefined_object = "42704";
inline constexpr const char *duplicate_table = "42P07";
inline constexpr const char *duplicate_column = "42701";
inline constexpr const char *duplicate_object = "42710";
inline constexpr const char *name_too_long = "42622";
inline constexpr const char *feature_not_supported = "0A000";
inline constexpr const char *internal_error = "XX000";
}  // namespace sqlstate

class Error : public std::runtime_error {
public:
	Error(std::string code, const std::string &message, std::string hint = {})
		: std::runtime_error(message), code_(std::move(code)), hint_(std::move(hint)) {}
	const char *code() const { return code_.c_str(); }
	const std::string &hint() const { return hint_; }

private:
	std::string code_;
	std::string hint_;
};

}  // namespace pgshift
