// sy-bwprobe: read bandwidth of this machine at 1 and 2 threads (GB/s), for the "% of the
// bandwidth limit" column of run.py. Usage: sy-bwprobe [MiB] [--json]
#include <stdio.h>

#include "benchmarks/vs_llamacpp/bwprobe.h"

int main(int argc, char **argv) {
    size_t mib = 512;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (atoi(argv[i]) > 0)
            mib = (size_t)atoi(argv[i]);
        else {
            fprintf(stderr, "usage: sy-bwprobe [MiB (default 512)] [--json]\n");
            return 2;
        }
    }
    double g1 = bw_probe(mib << 20, 1, 5), g2 = bw_probe(mib << 20, 2, 5);
    if (g1 <= 0 || g2 <= 0) {
        fprintf(stderr, "sy-bwprobe: cannot allocate %zu MiB\n", mib);
        return 1;
    }
    if (json)
        printf("{\"buffer_mib\": %zu, \"read_gbs_1t\": %.3f, \"read_gbs_2t\": %.3f}\n", mib, g1, g2);
    else
        printf("read bandwidth over %zu MiB: 1 thread %.2f GB/s, 2 threads %.2f GB/s\n", mib, g1, g2);
    return 0;
}
