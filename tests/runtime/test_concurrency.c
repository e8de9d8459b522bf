// Concurrency (issue 15, item 5): configs created from several threads at once, and two runtimes
// on one program executing at the same time in two threads. Run under ThreadSanitizer in CI
// (.ci/run, build-tsan); without TSan it still checks that every thread got the right answer.
// The harness's counters are not thread-safe, so threads record results and main checks them.

#include <pthread.h>
#include <stdlib.h>

#include "harness.h"
#include "core/status.h"
#include "importers/decoder.h"

enum { N_CONFIG_THREADS = 4, N_RUNS = 3, PROMPT = 5 };

static pthread_barrier_t start_line;

typedef struct config_result {
    char backends[256];
    sy_status status;
} config_result;

static void *create_config(void *arg) {
    config_result *r = arg;
    pthread_barrier_wait(&start_line); // all threads ask for the default list at the same moment
    sy_config *c = NULL;
    r->status = sy_config_create(&c);
    if (r->status == SY_OK) snprintf(r->backends, sizeof r->backends, "%s", sy_config_get_backends(c));
    sy_config_destroy(c);
    return NULL;
}

// Must run before anything else creates a config: the default list is built on first use.
static void test_config_creation_race(void) {
    pthread_t th[N_CONFIG_THREADS];
    config_result res[N_CONFIG_THREADS];
    memset(res, 0, sizeof res);
    CHECK(pthread_barrier_init(&start_line, NULL, N_CONFIG_THREADS) == 0);
    for (int i = 0; i < N_CONFIG_THREADS; i++) CHECK(pthread_create(&th[i], NULL, create_config, &res[i]) == 0);
    for (int i = 0; i < N_CONFIG_THREADS; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start_line);
    sy_config *c = NULL;
    CHECK_OK(sy_config_create(&c));
    for (int i = 0; i < N_CONFIG_THREADS; i++) {
        CHECK(res[i].status == SY_OK);
        CHECK_MSG(strcmp(res[i].backends, sy_config_get_backends(c)) == 0, "thread %d saw '%s', want '%s'", i,
                  res[i].backends, sy_config_get_backends(c));
    }
    const char *list = sy_config_get_backends(c);
    size_t n = strlen(list);
    CHECK(n >= 8 && strcmp(list + n - 8, "portable") == 0);
    sy_config_destroy(c);
}

typedef struct run_job {
    const sy_program *program;
    const sy_config *config; // shared by both threads, read-only
    const float *want; // (PROMPT * vocab) logits from a single-threaded run
    int64_t vocab;
    int64_t first_token; // the prompt is first_token, first_token + 1, ...
    sy_status status;
    char error[512];
    double max_diff;
} run_job;

/// One prefill of PROMPT tokens from position 0; *logits_out points into the runtime.
static sy_status prefill(sy_runtime *rt, int64_t first_token, const float **logits_out) {
    int64_t ids[PROMPT], pos[PROMPT];
    for (int i = 0; i < PROMPT; i++) {
        ids[i] = first_token + i;
        pos[i] = i;
    }
    sy_tensor t_ids = {.data = ids, .dtype = SY_DTYPE_I64, .rank = 2, .dims = {1, PROMPT}};
    sy_tensor t_pos = {.data = pos, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {PROMPT}};
    SY_TRY(sy_runtime_reset_state(rt));
    SY_TRY(sy_runtime_set_input(rt, "input_ids", &t_ids));
    SY_TRY(sy_runtime_set_input(rt, "cache_position", &t_pos));
    SY_TRY(sy_runtime_execute(rt));
    sy_tensor out;
    SY_TRY(sy_runtime_get_output(rt, "logits", &out));
    *logits_out = out.data;
    return SY_OK;
}

static void *run_thread(void *arg) {
    run_job *job = arg;
    sy_runtime *rt = NULL;
    pthread_barrier_wait(&start_line); // create and execute at the same time as the other thread
    job->status = sy_runtime_create(job->program, job->config, &rt);
    for (int r = 0; r < N_RUNS && job->status == SY_OK; r++) {
        const float *got = NULL;
        job->status = prefill(rt, job->first_token, &got);
        for (int64_t i = 0; job->status == SY_OK && i < PROMPT * job->vocab; i++) {
            double d = fabs((double)got[i] - (double)job->want[i]);
            if (!(d <= job->max_diff)) job->max_diff = isnan(d) ? INFINITY : d;
        }
    }
    if (job->status != SY_OK) snprintf(job->error, sizeof job->error, "%s", sy_last_error());
    sy_runtime_destroy(rt);
    return NULL;
}

static void test_two_runtimes_one_program(void) {
    sy_decoder_config mc = sy_decoder_tiny();
    sy_graph *g = NULL;
    sy_program *p = NULL;
    CHECK_OK(sy_decoder_build(&mc, &g));
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    if (!p) return;
    // The default backends. XNNPACK runs on the calling thread (threads=1): its worker pool
    // (pthreadpool) is not instrumented, so TSan cannot see the pool's own synchronisation and
    // would report every hand-over between the pool's workers; what is checked here is that two
    // runtimes share nothing mutable, not the pool.
    sy_config *cfg = NULL;
    CHECK_OK(sy_config_create(&cfg));
#ifdef SY_HAVE_XNNPACK
    CHECK_OK(sy_config_set_option(cfg, "xnnpack", "threads", "1"));
#endif
    // References first, single-threaded, on the same config.
    float *want[2];
    for (int k = 0; k < 2; k++) {
        want[k] = calloc((size_t)(PROMPT * mc.vocab), sizeof(float));
        sy_runtime *rt = NULL;
        const float *logits = NULL;
        CHECK_OK(sy_runtime_create(p, cfg, &rt));
        CHECK_OK(prefill(rt, 1 + 7 * k, &logits));
        if (logits) memcpy(want[k], logits, sizeof(float) * (size_t)(PROMPT * mc.vocab));
        sy_runtime_destroy(rt);
    }
    CHECK(memcmp(want[0], want[1], sizeof(float) * (size_t)mc.vocab) != 0); // the prompts differ
    run_job jobs[2];
    pthread_t th[2];
    CHECK(pthread_barrier_init(&start_line, NULL, 2) == 0);
    for (int k = 0; k < 2; k++) {
        jobs[k] = (run_job){.program = p, .config = cfg, .want = want[k], .vocab = mc.vocab, .first_token = 1 + 7 * k};
        CHECK(pthread_create(&th[k], NULL, run_thread, &jobs[k]) == 0);
    }
    for (int k = 0; k < 2; k++) pthread_join(th[k], NULL);
    pthread_barrier_destroy(&start_line);
    for (int k = 0; k < 2; k++) {
        CHECK_MSG(jobs[k].status == SY_OK, "thread %d: %s", k, jobs[k].error);
        // Each runtime computes alone what it computed single-threaded: no shared mutable state.
        CHECK_MSG(jobs[k].max_diff <= 1e-6, "thread %d: logits differ by %g", k, jobs[k].max_diff);
        free(want[k]);
    }
    sy_config_destroy(cfg);
    sy_program_destroy(p);
}

int main(void) {
    RUN(test_config_creation_race);
    RUN(test_two_runtimes_one_program);
    return TEST_SUMMARY();
}
