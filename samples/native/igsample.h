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

#include <stdbool.h>
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
    IGS_E_CLOSED = -3,         /* the handle was already closed (see igs_handle_close) */
    IGS_E_BADHANDLE = -4,      /* never returned by igs_handle_open (or forgotten by igs_reset) */
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

/* A second allocator family sharing the same bookkeeping, so that releasing a block with the other family's
 * function (igs_free_b on an igs_alloc block, or igs_free on an igs_alloc_b block) can be told apart from a
 * correct release. A mismatched release is counted and still quarantines the block: with a real allocator it
 * would corrupt the heap, here it only makes igs_mismatched_frees() non-zero. */
IGS_API void* igs_alloc_b(size_t size);
IGS_API void igs_free_b(void* block);

/* Returns an igs_block_state; a check of a released block also counts as a use after release. */
IGS_API int32_t igs_check(const void* block);

IGS_API int32_t igs_live_blocks(void);
IGS_API int32_t igs_double_frees(void);
IGS_API int32_t igs_invalid_frees(void);
IGS_API int32_t igs_uses_after_free(void);
IGS_API int32_t igs_mismatched_frees(void);

/* Stand-in for any native validation step: IGS_OK for value >= 0, IGS_E_INVALID otherwise.
 * Managed wrappers turn the error code into an exception, which is what makes leaks reachable. */
IGS_API int32_t igs_validate(int32_t value);

/* Writes a one-line report such as "live_blocks=1 double_frees=0 invalid_frees=0 uses_after_free=0"
 * (always NUL-terminated when capacity > 0). Returns the length of the full report, which may exceed
 * capacity - 1, like snprintf. */
IGS_API int32_t igs_report(char* buffer, int32_t capacity);

/* What igs_handle_read found. */
enum igs_handle_state {
    IGS_HANDLE_OPEN = 0,
    IGS_HANDLE_CLOSED = 1,     /* closed by igs_handle_close: the read was a use after close */
    IGS_HANDLE_INVALID = 2,    /* never returned by igs_handle_open (or forgotten by igs_reset) */
};

/* Handle table. Handles are small positive integers carried in a pointer-sized value (0 and -1 are never
 * handed out, as SafeHandleZeroOrMinusOneIsInvalid expects) and are never reused until igs_reset, so a closed
 * handle is always recognised as closed instead of aliasing a newer one. Returns 0 when the table is full. */
IGS_API intptr_t igs_handle_open(void);

/* IGS_OK, IGS_E_CLOSED for a second close (counted), IGS_E_BADHANDLE for a foreign value (counted as invalid). */
IGS_API int32_t igs_handle_close(intptr_t handle);

/* Reads through the handle and returns an igs_handle_state. The handle is checked on entry and used again
 * after the read hook (if any) has run, as a real driver would check a handle, block, then touch the object
 * behind it: a close that happens during the hook is seen as a use after close. A closed handle counts as a
 * use after close, a foreign one as an invalid use; neither crashes. */
IGS_API int32_t igs_handle_read(intptr_t handle);

/* Called from inside igs_handle_read, between its check and its use of the handle, with the handle being read.
 * It stands for whatever else runs meanwhile (another thread, a signal, a callback into managed code) and lets
 * a sample close the handle at exactly that moment. NULL removes the hook. */
typedef void (*igs_read_hook)(intptr_t handle);
IGS_API void igs_set_read_hook(igs_read_hook hook);

IGS_API int32_t igs_handles_open(void);
IGS_API int32_t igs_handle_double_closes(void);
IGS_API int32_t igs_handle_uses_after_close(void);
IGS_API int32_t igs_handle_invalid_uses(void);

/* Calls visit(i, user) for i = 0 .. count - 1 and returns the sum of what the calls returned. The sum is computed
 * after each call returns, so a native frame of this function is on the stack during every callback (no tail call):
 * an exception thrown by a managed callback has a C frame to cross. */
typedef int32_t (*igs_visitor)(int32_t index, void* user);
IGS_API int32_t igs_for_each(int32_t count, igs_visitor visit, void* user);

/* Registration: igs_register_callback keeps the pointer (NULL unregisters) and igs_fire_callback calls it later,
 * returning what it returned, or IGS_E_INVALID when none is registered. The library never sees whether the
 * managed delegate behind the pointer is still alive. */
typedef int32_t (*igs_callback)(int32_t value);
IGS_API void igs_register_callback(igs_callback callback);
IGS_API int32_t igs_fire_callback(int32_t value);

/* Pinning. The GC hook runs in the middle of igs_fill_after_gc, with a frame of this library on the stack, and lets a
 * sample force a full compacting collection at the moment native code holds a pointer into the managed heap.
 * NULL removes the hook. */
typedef void (*igs_gc_hook)(void);
IGS_API void igs_set_gc_hook(igs_gc_hook hook);

/* Non-retaining: calls the GC hook (if any), then writes value into the size bytes at buffer, and returns the
 * number of bytes written. The pointer is only used during the call, as most native functions use their buffers:
 * a buffer pinned for the whole call receives the bytes; one that the collection moved does not, and the bytes
 * land wherever the GC put something else. */
IGS_API int32_t igs_fill_after_gc(void* buffer, size_t size, uint8_t value);

/* Retaining: igs_keep_buffer keeps (buffer, size) after it returns, as asynchronous I/O keeps its buffer;
 * igs_write_kept later writes value into the kept bytes and returns how many it wrote (IGS_E_INVALID when nothing
 * is kept); igs_release_kept forgets the buffer. Between igs_keep_buffer and igs_release_kept the memory must
 * neither move nor be freed. */
IGS_API void igs_keep_buffer(void* buffer, size_t size);
IGS_API int32_t igs_write_kept(uint8_t value);
IGS_API void igs_release_kept(void);

/* Copies up to IGS_COPY_CAPACITY bytes from data into the library's own storage, as a library keeps a copy of a
 * caller's options struct, and returns how many it copied; the pointer itself is not kept. igs_copied_word
 * returns the pointer-sized word at that index of the copy (0 beyond it), so a sample can compare what the library
 * holds with what managed code holds now. A managed reference copied this way is invisible to the GC: it neither
 * keeps its object alive nor is updated when the object moves. */
#define IGS_COPY_CAPACITY 64
IGS_API int32_t igs_keep_copy(const void* data, size_t size);
IGS_API intptr_t igs_copied_word(size_t index);

/* Marshalling. igs_fail_errno stands in for a POSIX call that fails: it sets errno to error and returns -1
 * (IGS_E_INVALID), as open() and mkdir() do. igs_log_line stands in for a logging sink that succeeds: it counts the line
 * (igs_logged_lines) and leaves errno alone, so a P/Invoke of it declared with SetLastError = true saves errno as the
 * marshaller cleared it before the call (0). */
IGS_API int32_t igs_fail_errno(int32_t error);
IGS_API int32_t igs_log_line(const char* line);
IGS_API int32_t igs_logged_lines(void);

/* Returns the C bool false, in the lowest byte of the return register as the C ABIs do, and leaves non-zero upper
 * bytes in the rest of the register, which the ABI leaves unspecified: eax is 0x7fffff00 on x86-64 (and the register
 * is meant to hold the same on arm64). Marshalled as a 1-byte bool it is false; read as a 4-byte BOOL it is true. */
IGS_API bool igs_flag_false(void);

/* Releases every block (quarantined ones included), forgets every handle, removes the read and GC hooks and the registered
 * callback, forgets the kept buffer and the copy, and zeroes all counters. */
IGS_API void igs_reset(void);

#ifdef __cplusplus
}
#endif

#endif
