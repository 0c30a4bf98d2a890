// The baseline for bench/allocate: LEMON's NetworkSimplex (block search, the
// default pivot rule) on a DIMACS min-cost flow file. Prints the optimal cost
// and the seconds the solve took (reading the file not counted).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <lemon/dimacs.h>
#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

int
main(int argc, char **argv)
{
	if (argc != 2) {
		std::fprintf(stderr, "usage: mcf-lemon FILE\n");
		return 2;
	}
	std::ifstream in(argv[1]);
	lemon::SmartDigraph g;
	lemon::SmartDigraph::ArcMap<long long> lower(g), cap(g), cost(g);
	lemon::SmartDigraph::NodeMap<long long> supply(g);
	lemon::readDimacsMin(in, g, lower, cap, cost, supply);
	auto t0 = std::chrono::steady_clock::now();
	lemon::NetworkSimplex<lemon::SmartDigraph, long long, long long> ns(g);
	ns.upperMap(cap).costMap(cost).supplyMap(supply);
	auto rc = ns.run();
	auto t1 = std::chrono::steady_clock::now();
	if (rc != ns.OPTIMAL) {
		std::fprintf(stderr, "mcf-lemon: not optimal (%d)\n", int(rc));
		return 1;
	}
	std::printf("%lld %.3f\n", ns.totalCost(), std::chrono::duration<double>(t1 - t0).count());
	return 0;
}
