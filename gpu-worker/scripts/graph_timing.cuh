// What the device harnesses (skinny_bench.cu, decode_attention_bench.cu) share: a runtime-API error check, and the
// timing of a sequence of launches as a replayed decode step runs them: recorded once into a CUDA graph, replayed
// warm-up + timed times, each replay between two events; the times in ms of the timed replays, sorted.
#pragma once
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#define CHECK(call)                                                                                      \
    do {                                                                                                 \
        cudaError_t e = (call);                                                                          \
        if (e != cudaSuccess) {                                                                          \
            fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e));           \
            exit(1);                                                                                     \
        }                                                                                                \
    } while (0)

// record(stream) issues the launches to time; returns the timed replays' ms, sorted (median: [size / 2]).
template <class Record>
std::vector<float> time_graph_replays(cudaStream_t stream, int warmup, int timed, Record&& record) {
    cudaEvent_t start, stop;
    CHECK(cudaEventCreate(&start));
    CHECK(cudaEventCreate(&stop));
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal));
    record(stream);
    CHECK(cudaStreamEndCapture(stream, &graph));
    CHECK(cudaGraphInstantiate(&exec, graph, 0));
    std::vector<float> times;
    for (int r = 0; r < warmup + timed; r++) {
        CHECK(cudaEventRecord(start, stream));
        CHECK(cudaGraphLaunch(exec, stream));
        CHECK(cudaEventRecord(stop, stream));
        CHECK(cudaEventSynchronize(stop));
        float ms;
        CHECK(cudaEventElapsedTime(&ms, start, stop));
        if (r >= warmup) times.push_back(ms);
    }
    CHECK(cudaGetLastError());
    CHECK(cudaGraphExecDestroy(exec));
    CHECK(cudaGraphDestroy(graph));
    CHECK(cudaEventDestroy(start));
    CHECK(cudaEventDestroy(stop));
    std::sort(times.begin(), times.end());
    return times;
}
