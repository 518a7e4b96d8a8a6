#include "igsample.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* Every block ever handed out stays in this list until igs_reset, so a pointer can be classified
 * without dereferencing it: a released or foreign pointer is never read. */
struct igs_block {
    struct igs_block* next;
    void* payload;
    int released;
};

static pthread_mutex_t igs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct igs_block* igs_blocks;
static int32_t igs_live;
static int32_t igs_double_free_count;
static int32_t igs_invalid_free_count;
static int32_t igs_use_after_free_count;

static struct igs_block* igs_find(const void* payload)
{
    for (struct igs_block* b = igs_blocks; b != NULL; b = b->next) {
        if (b->payload == payload) {
            return b;
        }
    }
    return NULL;
}

void* igs_alloc(size_t size)
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
    block->released = 0;

    pthread_mutex_lock(&igs_lock);
    block->next = igs_blocks;
    igs_blocks = block;
    igs_live++;
    pthread_mutex_unlock(&igs_lock);
    return payload;
}

void igs_free(void* payload)
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
        block->released = 1;
        igs_live--;
    }
    pthread_mutex_unlock(&igs_lock);
}

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
    pthread_mutex_unlock(&igs_lock);
}
