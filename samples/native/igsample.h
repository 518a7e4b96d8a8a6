/*
 * igsample: a small native library that makes InteropGuard's findings observable.
 *
 * Interop bugs usually show as silent corruption or a crash far from the cause. Every function here
 * instead records what went wrong in counters the managed side can read, so a sample or test can assert
 * on a deterministic outcome ("one block leaked", "one double release") rather than on a crash.
 *
 * Conventions: functions return 0 (IGS_OK) or a negative IGS_E_* code; counters are int32_t so the
 * managed declarations stay blittable and identical on every platform.
 */
#ifndef IGSAMPLE_H
#define IGSAMPLE_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define IGS_API __declspec(dllexport)
#else
#define IGS_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

enum igs_status {
    IGS_OK = 0,
    IGS_E_INVALID = -1,        /* an argument was rejected (see igs_validate) */
    IGS_E_NOMEM = -2,
};

/* What igs_check knows about a pointer. */
enum igs_block_state {
    IGS_BLOCK_LIVE = 0,
    IGS_BLOCK_RELEASED = 1,    /* released by igs_free: any further use is a use after release */
    IGS_BLOCK_UNKNOWN = 2,     /* never returned by igs_alloc (or forgotten by igs_reset) */
};

/* Counting allocator. Released blocks are quarantined, never handed back to the C heap, so a
 * double release or a use after release is detected reliably instead of corrupting the heap. */
IGS_API void* igs_alloc(size_t size);
IGS_API void igs_free(void* block);

/* Returns an igs_block_state; a check of a released block also counts as a use after release. */
IGS_API int32_t igs_check(const void* block);

IGS_API int32_t igs_live_blocks(void);
IGS_API int32_t igs_double_frees(void);
IGS_API int32_t igs_invalid_frees(void);
IGS_API int32_t igs_uses_after_free(void);

/* Stand-in for any native validation step: IGS_OK for value >= 0, IGS_E_INVALID otherwise.
 * Managed wrappers turn the error code into an exception, which is what makes leaks reachable. */
IGS_API int32_t igs_validate(int32_t value);

/* Writes a one-line report such as "live_blocks=1 double_frees=0 invalid_frees=0 uses_after_free=0"
 * (always NUL-terminated when capacity > 0). Returns the length of the full report, which may exceed
 * capacity - 1, like snprintf. */
IGS_API int32_t igs_report(char* buffer, int32_t capacity);

/* Releases every block (quarantined ones included) and zeroes all counters. */
IGS_API void igs_reset(void);

#ifdef __cplusplus
}
#endif

#endif
