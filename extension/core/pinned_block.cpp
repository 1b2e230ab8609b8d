#include "core/pinned_block.hpp"

namespace pgshift {

std::string pinned_do_block(const std::string &declarations, const std::string &statements)
{
	const std::string body = "DECLARE\n    pgshift_saved_path text := pg_catalog.current_setting('search_path');\n" +
	                         declarations + "\nBEGIN\n    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);\n"
	                         "    <<pgshift_body>>\n    BEGIN\n" + statements +
	                         "\n    END pgshift_body;\n    PERFORM pg_catalog.set_config('search_path', pgshift_saved_path, true);\nEND";
	std::string tag = "$pgshift$";
	for (int n = 1; body.find(tag) != std::string::npos; n++)
		tag = "$pgshift" + std::to_string(n) + "$";
	return "DO " + tag + "\n" + body + "\n" + tag;
}

}  // namespace pgshift
