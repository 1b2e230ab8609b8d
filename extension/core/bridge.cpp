#include "core/bridge.hpp"

#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/json.hpp"
#include "core/planner.hpp"
#include "core/version_views.hpp"

namespace {

char *copy_string(const std::string &value)
{
	char *copy = static_cast<char *>(std::malloc(value.size() + 1));
	if (copy != nullptr)
		std::memcpy(copy, value.c_str(), value.size() + 1);
	return copy;
}

void set_error(BridgeResult &result, const char *sqlstate, const std::string &message, const std::string &hint)
{
	std::strncpy(result.sqlstate, sqlstate, sizeof(result.sqlstate) - 1);
	result.error = copy_string(message);
	result.hint = hint.empty() ? nullptr : copy_string(hint);
}

// Runs `work`, turning every exception into an error in the result.
BridgeResult guarded(const std::function<void(BridgeResult &)> &work) noexcept
{
	BridgeResult result{};
	try {
		work(result);
	} catch (const pgshift::Error &error) {
		set_error(result, error.code(), error.what(), error.hint());
	} catch (const pgshift::json::exception &error) {
		set_error(result, pgshift::sqlstate::invalid_migration, std::string("invalid JSON: ") + error.what(), "");
	} catch (const std::exception &error) {
		set_error(result, pgshift::sqlstate::internal_error, std::string("pgshift internal error: ") + error.what(), "");
	} catch (...) {
		set_error(result, pgshift::sqlstate::internal_error, "pgshift internal error", "");
	}
	return result;
}

}  // namespace

BridgeResult bridge_plan_start(const char *schema, const char *migration_json, const char *catalog_json,
                               const char *context_json, const pgshift::ExpressionParser &parser) noexcept
{
	return guarded([&](BridgeResult &result) {
		auto plan = pgshift::plan_start(schema, pgshift::json::parse(migration_json), pgshift::json::parse(catalog_json),
		                                pgshift::json::parse(context_json), parser);
		result.text = copy_string(plan.dump());
	});
}

BridgeResult bridge_version_schema_sql(const char *schema, const char *version_schema, const char *catalog_json,
                                       const char *overlay_json, const char *options_json) noexcept
{
	return guarded([&](BridgeResult &result) {
		const pgshift::json options = pgshift::json::parse(options_json);
		pgshift::VersionViewOptions view_options;
		view_options.pending = options.value("pending", false);
		view_options.replace = options.value("replace", false);
		view_options.legacy = options.value("legacy", false);
		view_options.version_name = options.value("version_name", std::string(version_schema));
		auto statements = pgshift::version_schema_sql(schema, version_schema, pgshift::json::parse(catalog_json),
		                                              pgshift::json::parse(overlay_json), view_options);
		result.items = static_cast<char **>(std::calloc(statements.size() + 1, sizeof(char *)));
		result.item_count = static_cast<int>(statements.size());
		for (std::size_t i = 0; i < statements.size(); i++)
			result.items[i] = copy_string(statements[i]);
	});
}

void bridge_result_free(BridgeResult *result) noexcept
{
	std::free(result->text);
	for (int i = 0; result->items != nullptr && i < result->item_count; i++)
		std::free(result->items[i]);
	std::free(result->items);
	std::free(result->error);
	std::free(result->hint);
	*result = BridgeResult{};
}
