#include "lock_retry.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <random>
#include <thread>

#include "errors.hpp"
#include "interrupt.hpp"

namespace pgshift::cli {

namespace {

constexpr const char *lock_not_available = "55P03";
constexpr int first_delay_ms = 100;
constexpr int longest_delay_ms = 2000;

// 100 ms, 200 ms, 400 ms ... up to 2 s, each scaled by a random factor in [0.5, 1.5) so that
// several waiting runs do not retry in step; between tries pgshift holds no lock, and the
// application's queries run.
int delay_ms(int attempt, std::mt19937 &random)
{
	int base = std::min(longest_delay_ms, first_delay_ms << std::min(attempt, 16));
	std::uniform_real_distribution<double> jitter(0.5, 1.5);
	return static_cast<int>(base * jitter(random));
}

}  // namespace

nlohmann::ordered_json with_lock_retries(const GlobalOptions &options,
                                         const std::function<nlohmann::ordered_json()> &call)
{
	std::mt19937 random(std::random_device{}());
	for (int attempt = 0;; attempt++) {
		try {
			return call();
		} catch (const DatabaseError &error) {
			if (error.sqlstate() != lock_not_available || attempt >= options.lock_retries)
				throw;
			int wait = delay_ms(attempt, random);
			std::cerr << "lock not available (" << error.what() << "); nothing changed, retrying in " << wait
			          << " ms (" << attempt + 1 << "/" << options.lock_retries << ")" << std::endl;
			for (int slept = 0; slept < wait && !interrupt::requested(); slept += 50)
				std::this_thread::sleep_for(std::chrono::milliseconds(std::min(50, wait - slept)));
			if (interrupt::requested())
				throw;
		}
	}
}

}  // namespace pgshift::cli
