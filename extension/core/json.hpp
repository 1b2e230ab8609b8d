// nlohmann::json for the core, with key order kept as written (views and messages follow the file).
#pragma once
#include <nlohmann/json.hpp>

namespace pgshift {
using json = nlohmann::ordered_json;
}
