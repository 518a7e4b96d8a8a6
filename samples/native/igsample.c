#include "igsample.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every block ever handed out stays in this list until igs_reset, so a pointer can be classified
 * without dereferencing it: a released or foreign pointer is never read. */
struct igs_block {
    struct igs_block* next;
    void* payload;
    int family; /* which allocator handed it out: 'a' (igs_alloc) or 'b' (igs_alloc_b) */
    int released;
};

static pthread_mutex_t igs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct igs_block* igs_blocks;
static int32_t igs_live;
static int32_t igs_double_free_count;
static int32_t igs_invalid_free_count;
static int32_t igs_use_after_free_count;
static int32_t igs_mismatched_free_count;

static struct igs_block* igs_find(const void* payload)
{
    for (struct igs_block* b = igs_blocks; b != NULL; b = b->next) {
        if (b->payload == payload) {
            return b;
        }
    }
    return NULL;
}

static void* igs_alloc_family(size_t size, int family)
{
    struct igs_block* block = malloc(sizeof *block);
    /* A zero-size request still yields a distinct pointer so it can be tracked like any other. */
    void* payload = calloc(1, size == 0 ? 1 : size);
    if (block == NULL || payload == NULL) {
        free(block);
        free(payload);
        return NULL;
    }
    block->payload = payload;
    block->family = family;
    block->released = 0;

    pthread_mutex_lock(&igs_lock);
    block->next = igs_blocks;
    igs_blocks = block;
    igs_live++;
    pthread_mutex_unlock(&igs_lock);
    return payload;
}

static void igs_free_family(void* payload, int family)
{
    if (payload == NULL) {
        return; /* like free(NULL) */
    }
    pthread_mutex_lock(&igs_lock);
    struct igs_block* block = igs_find(payload);
    if (block == NULL) {
        igs_invalid_free_count++;
    } else if (block->released) {
        igs_double_free_count++;
    } else {
        if (block->family != family) {
            igs_mismatched_free_count++;
        }
        block->released = 1;
        igs_live--;
    }
    pthread_mutex_unlock(&igs_lock);
}

void* igs_alloc(size_t size) { return igs_alloc_family(size, 'a'); }
void igs_free(void* payload) { igs_free_family(payload, 'a'); }
void* igs_alloc_b(size_t size) { return igs_alloc_family(size, 'b'); }
void igs_free_b(void* payload) { igs_free_family(payload, 'b'); }

int32_t igs_check(const void* payload)
{
    int32_t state;
    pthread_mutex_lock(&igs_lock);
    struct igs_block* block = igs_find(payload);
    if (block == NULL) {
        state = IGS_BLOCK_UNKNOWN;
    } else if (block->released) {
        igs_use_after_free_count++;
        state = IGS_BLOCK_RELEASED;
    } else {
        state = IGS_BLOCK_LIVE;
    }
    pthread_mutex_unlock(&igs_lock);
    return state;
}

static int32_t igs_read(const int32_t* counter)
{
    pthread_mutex_lock(&igs_lock);
    int32_t value = *counter;
    pthread_mutex_unlock(&igs_lock);
    return value;
}

int32_t igs_live_blocks(void) { return igs_read(&igs_live); }
int32_t igs_double_frees(void) { return igs_read(&igs_double_free_count); }
int32_t igs_invalid_frees(void) { return igs_read(&igs_invalid_free_count); }
int32_t igs_uses_after_free(void) { return igs_read(&igs_use_after_free_count); }
int32_t igs_mismatched_frees(void) { return igs_read(&igs_mismatched_free_count); }

/* Handle table: slot i holds the state of handle i + 1. Slots are never reused before igs_reset. */
#define IGS_HANDLE_CAPACITY 4096
enum { IGS_SLOT_UNUSED = 0, IGS_SLOT_OPEN = 1, IGS_SLOT_CLOSED = 2 };
static unsigned char igs_handle_slots[IGS_HANDLE_CAPACITY];
static int32_t igs_handles_issued;
static int32_t igs_handles_open_count;
static int32_t igs_handle_double_close_count;
static int32_t igs_handle_use_after_close_count;
static int32_t igs_handle_invalid_use_count;
static igs_read_hook igs_current_read_hook;

/* The slot of a handle, or NULL for a value igs_handle_open never returned. Called with igs_lock held. */
static unsigned char* igs_handle_slot(intptr_t handle)
{
    if (handle < 1 || handle > igs_handles_issued) {
        return NULL;
    }
    return &igs_handle_slots[handle - 1];
}

intptr_t igs_handle_open(void)
{
    intptr_t handle = 0;
    pthread_mutex_lock(&igs_lock);
    if (igs_handles_issued < IGS_HANDLE_CAPACITY) {
        igs_handle_slots[igs_handles_issued] = IGS_SLOT_OPEN;
        igs_handles_issued++;
        igs_handles_open_count++;
        handle = igs_handles_issued;
    }
    pthread_mutex_unlock(&igs_lock);
    return handle;
}

int32_t igs_handle_close(intptr_t handle)
{
    int32_t status;
    pthread_mutex_lock(&igs_lock);
    unsigned char* slot = igs_handle_slot(handle);
    if (slot == NULL) {
        igs_handle_invalid_use_count++;
        status = IGS_E_BADHANDLE;
    } else if (*slot == IGS_SLOT_CLOSED) {
        igs_handle_double_close_count++;
        status = IGS_E_CLOSED;
    } else {
        *slot = IGS_SLOT_CLOSED;
        igs_handles_open_count--;
        status = IGS_OK;
    }
    pthread_mutex_unlock(&igs_lock);
    return status;
}

/* Classifies a use of the handle and counts a misuse. Called with igs_lock held. */
static int32_t igs_handle_use(intptr_t handle)
{
    unsigned char* slot = igs_handle_slot(handle);
    if (slot == NULL) {
        igs_handle_invalid_use_count++;
        return IGS_HANDLE_INVALID;
    }
    if (*slot == IGS_SLOT_CLOSED) {
        igs_handle_use_after_close_count++;
        return IGS_HANDLE_CLOSED;
    }
    return IGS_HANDLE_OPEN;
}

int32_t igs_handle_read(intptr_t handle)
{
    pthread_mutex_lock(&igs_lock);
    int32_t state = igs_handle_use(handle);
    igs_read_hook hook = igs_current_read_hook;
    pthread_mutex_unlock(&igs_lock);
    if (state != IGS_HANDLE_OPEN) {
        return state;
    }

    /* Not under the lock: the hook may close handles. The use below keeps this frame alive across the hook. */
    if (hook != NULL) {
        hook(handle);
    }

    pthread_mutex_lock(&igs_lock);
    state = igs_handle_use(handle);
    pthread_mutex_unlock(&igs_lock);
    return state;
}

void igs_set_read_hook(igs_read_hook hook)
{
    pthread_mutex_lock(&igs_lock);
    igs_current_read_hook = hook;
    pthread_mutex_unlock(&igs_lock);
}

int32_t igs_handles_open(void) { return igs_read(&igs_handles_open_count); }
int32_t igs_handle_double_closes(void) { return igs_read(&igs_handle_double_close_count); }
int32_t igs_handle_uses_after_close(void) { return igs_read(&igs_handle_use_after_close_count); }
int32_t igs_handle_invalid_uses(void) { return igs_read(&igs_handle_invalid_use_count); }

int32_t igs_validate(int32_t value)
{
    return value >= 0 ? IGS_OK : IGS_E_INVALID;
}

int32_t igs_report(char* buffer, int32_t capacity)
{
    pthread_mutex_lock(&igs_lock);
    int32_t live = igs_live;
    int32_t double_frees = igs_double_free_count;
    int32_t invalid_frees = igs_invalid_free_count;
    int32_t uses_after_free = igs_use_after_free_count;
    pthread_mutex_unlock(&igs_lock);

    char scratch[1];
    char* target = (buffer != NULL && capacity > 0) ? buffer : scratch;
    size_t size = (buffer != NULL && capacity > 0) ? (size_t)capacity : sizeof scratch;
    return (int32_t)snprintf(target, size, "live_blocks=%d double_frees=%d invalid_frees=%d uses_after_free=%d",
        (int)live, (int)double_frees, (int)invalid_frees, (int)uses_after_free);
}

int32_t igs_for_each(int32_t count, igs_visitor visit, void* user)
{
    /* volatile: the sum must be updated after each call returns, so the compiler keeps this frame around it. */
    volatile int32_t sum = 0;
    for (int32_t i = 0; i < count; i++) {
        sum += visit(i, user);
    }
    return sum;
}

static igs_callback igs_registered_callback;

void igs_register_callback(igs_callback callback)
{
    pthread_mutex_lock(&igs_lock);
    igs_registered_callback = callback;
    pthread_mutex_unlock(&igs_lock);
}

int32_t igs_fire_callback(int32_t value)
{
    pthread_mutex_lock(&igs_lock);
    igs_callback callback = igs_registered_callback;
    pthread_mutex_unlock(&igs_lock);
    if (callback == NULL) {
        return IGS_E_INVALID;
    }
    volatile int32_t result = callback(value);
    return result;
}

static igs_gc_hook igs_current_gc_hook;
static void* igs_kept_buffer;
static size_t igs_kept_size;
static unsigned char igs_copy[IGS_COPY_CAPACITY];
static size_t igs_copy_size;

void igs_set_gc_hook(igs_gc_hook hook)
{
    pthread_mutex_lock(&igs_lock);
    igs_current_gc_hook = hook;
    pthread_mutex_unlock(&igs_lock);
}

/* Byte by byte through a volatile pointer: each store happens, in order, after the hook has returned. */
static int32_t igs_fill(void* buffer, size_t size, uint8_t value)
{
    volatile uint8_t* target = buffer;
    for (size_t i = 0; i < size; i++) {
        target[i] = value;
    }
    return (int32_t)size;
}

int32_t igs_fill_after_gc(void* buffer, size_t size, uint8_t value)
{
    if (buffer == NULL && size != 0) {
        return IGS_E_INVALID;
    }
    pthread_mutex_lock(&igs_lock);
    igs_gc_hook hook = igs_current_gc_hook;
    pthread_mutex_unlock(&igs_lock);
    /* Not under the lock (the hook runs managed code), and not the last act of this function: the fill below keeps
     * this frame on the stack while the hook runs. */
    if (hook != NULL) {
        hook();
    }
    return igs_fill(buffer, size, value);
}

void igs_keep_buffer(void* buffer, size_t size)
{
    pthread_mutex_lock(&igs_lock);
    igs_kept_buffer = buffer;
    igs_kept_size = buffer == NULL ? 0 : size;
    pthread_mutex_unlock(&igs_lock);
}

int32_t igs_write_kept(uint8_t value)
{
    pthread_mutex_lock(&igs_lock);
    void* buffer = igs_kept_buffer;
    size_t size = igs_kept_size;
    pthread_mutex_unlock(&igs_lock);
    if (buffer == NULL) {
        return IGS_E_INVALID;
    }
    return igs_fill(buffer, size, value);
}

void igs_release_kept(void)
{
    igs_keep_buffer(NULL, 0);
}

int32_t igs_keep_copy(const void* data, size_t size)
{
    if (data == NULL && size != 0) {
        return IGS_E_INVALID;
    }
    size_t copied = size < IGS_COPY_CAPACITY ? size : IGS_COPY_CAPACITY;
    pthread_mutex_lock(&igs_lock);
    memset(igs_copy, 0, sizeof igs_copy);
    if (copied != 0) {
        memcpy(igs_copy, data, copied);
    }
    igs_copy_size = copied;
    pthread_mutex_unlock(&igs_lock);
    return (int32_t)copied;
}

intptr_t igs_copied_word(size_t index)
{
    intptr_t word = 0;
    pthread_mutex_lock(&igs_lock);
    if (index < igs_copy_size / sizeof word) {
        memcpy(&word, igs_copy + index * sizeof word, sizeof word);
    }
    pthread_mutex_unlock(&igs_lock);
    return word;
}

static int32_t igs_logged_line_count;

int32_t igs_fail_errno(int32_t error)
{
    errno = error;
    return IGS_E_INVALID;
}

int32_t igs_log_line(const char* line)
{
    pthread_mutex_lock(&igs_lock);
    igs_logged_line_count++;
    pthread_mutex_unlock(&igs_lock);
    return line == NULL ? 0 : (int32_t)strlen(line);
}

int32_t igs_logged_lines(void)
{
    return igs_logged_line_count;
}

bool igs_flag_false(void)
{
    /* The register is set in assembly so that its upper bytes are deterministic, whatever the C compiler would
     * otherwise leave there; the compiler is told the bool result is that register (its low byte, 0: false). */
    uint32_t value = 0x7fffff00u;
    bool result;
#if defined(__x86_64__)
    __asm__ volatile("" : "=a"(result) : "0"(value));
#elif defined(__aarch64__)
    __asm__ volatile("" : "=r"(result) : "0"(value));
#else
    (void)value;
    result = false;
#endif
    return result;
}

void igs_reset(void)
{
    pthread_mutex_lock(&igs_lock);
    struct igs_block* block = igs_blocks;
    while (block != NULL) {
        struct igs_block* next = block->next;
        free(block->payload);
        free(block);
        block = next;
    }
    igs_blocks = NULL;
    igs_live = 0;
    igs_double_free_count = 0;
    igs_invalid_free_count = 0;
    igs_use_after_free_count = 0;
    igs_mismatched_free_count = 0;
    memset(igs_handle_slots, 0, sizeof igs_handle_slots);
    igs_handles_issued = 0;
    igs_handles_open_count = 0;
    igs_handle_double_close_count = 0;
    igs_handle_use_after_close_count = 0;
    igs_handle_invalid_use_count = 0;
    igs_current_read_hook = NULL;
    igs_registered_callback = NULL;
    igs_current_gc_hook = NULL;
    igs_kept_buffer = NULL;
    igs_kept_size = 0;
    memset(igs_copy, 0, sizeof igs_copy);
    igs_copy_size = 0;
    pthread_mutex_unlock(&igs_lock);
}
