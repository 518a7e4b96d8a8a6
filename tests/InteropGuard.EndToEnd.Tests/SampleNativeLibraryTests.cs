using System;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace InteropGuard.EndToEnd.Tests
{
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class SampleNativeLibraryCollection
    {
        public const string Name = "Sample native library";
    }

    /// <summary>
    /// The runtime proofs rely on igsample reporting misuse deterministically instead of crashing; these tests pin
    /// that contract down in-process (the library's counters are process-global, hence the own collection and reset).
    /// </summary>
    [Collection(SampleNativeLibraryCollection.Name)]
    public sealed unsafe class SampleNativeLibraryTests : IDisposable
    {
        private const int BlockLive = 0;
        private const int BlockReleased = 1;
        private const int BlockUnknown = 2;
        private const int HandleOpen = 0;
        private const int HandleClosed = 1;
        private const int HandleInvalid = 2;
        private const int StatusInvalid = -1;
        private const int StatusClosed = -3;
        private const int StatusBadHandle = -4;

        // The handle the read hook closes; one test at a time runs in this collection.
        private static IntPtr s_closeDuringRead;
        private static int s_hookCalls;
        private static int s_visits;
        private static byte* s_fillTarget;
        private static int s_bytesSeenByHook;

        public SampleNativeLibraryTests()
        {
            igs_reset();
        }

        public void Dispose() => igs_reset();

        [Fact]
        public void Counts_live_blocks_and_releases()
        {
            IntPtr first = igs_alloc(16);
            IntPtr second = igs_alloc(0);
            Assert.NotEqual(IntPtr.Zero, first);
            Assert.NotEqual(first, second);
            Assert.Equal(2, igs_live_blocks());

            igs_free(first);
            Assert.Equal(1, igs_live_blocks());
            igs_free(second);
            igs_free(IntPtr.Zero);
            Assert.Equal(0, igs_live_blocks());
            Assert.Equal("live_blocks=0 double_frees=0 invalid_frees=0 uses_after_free=0", Report());
        }

        [Fact]
        public void Reports_double_release_use_after_release_and_foreign_pointers_without_crashing()
        {
            IntPtr block = igs_alloc(8);
            Assert.Equal(BlockLive, igs_check(block));
            igs_free(block);
            igs_free(block);
            Assert.Equal(BlockReleased, igs_check(block));

            int local = 0;
            var foreign = (IntPtr)(&local);
            igs_free(foreign);
            Assert.Equal(BlockUnknown, igs_check(foreign));

            Assert.Equal(1, igs_double_frees());
            Assert.Equal(1, igs_invalid_frees());
            Assert.Equal(1, igs_uses_after_free());
            Assert.Equal("live_blocks=0 double_frees=1 invalid_frees=1 uses_after_free=1", Report());
        }

        [Fact]
        public void Validate_returns_an_error_code_for_negative_values()
        {
            Assert.Equal(0, igs_validate(5));
            Assert.Equal(-1, igs_validate(-1));
        }

        [Fact]
        public void Report_truncates_like_snprintf_and_returns_the_full_length()
        {
            byte* buffer = stackalloc byte[8];
            int length = igs_report(buffer, 8);
            Assert.Equal("live_blocks=0 double_frees=0 invalid_frees=0 uses_after_free=0".Length, length);
            Assert.Equal("live_bl", Encoding.ASCII.GetString(buffer, 7));
            Assert.Equal(0, buffer[7]);
        }

        [Fact]
        public void Releasing_a_block_with_the_other_familys_function_is_a_mismatched_release()
        {
            IntPtr a = igs_alloc(8);
            IntPtr b = igs_alloc_b(8);
            IntPtr matched = igs_alloc_b(8);
            Assert.Equal(3, igs_live_blocks());

            igs_free_b(a);
            igs_free(b);
            igs_free_b(matched);
            Assert.Equal(2, igs_mismatched_frees());
            Assert.Equal(0, igs_live_blocks());

            // A mismatched release still quarantines the block: what follows is a use after release and a double release.
            Assert.Equal(BlockReleased, igs_check(b));
            igs_free(a);
            Assert.Equal(1, igs_uses_after_free());
            Assert.Equal(1, igs_double_frees());
            Assert.Equal(2, igs_mismatched_frees());
        }

        [Fact]
        public void Handles_are_distinct_never_reused_and_counted_while_open()
        {
            IntPtr first = igs_handle_open();
            IntPtr second = igs_handle_open();
            Assert.NotEqual(IntPtr.Zero, first);
            Assert.NotEqual(new IntPtr(-1), first);
            Assert.NotEqual(first, second);
            Assert.Equal(2, igs_handles_open());

            Assert.Equal(0, igs_handle_close(first));
            IntPtr third = igs_handle_open();
            Assert.NotEqual(first, third);
            Assert.Equal(2, igs_handles_open());
            Assert.Equal(HandleOpen, igs_handle_read(second));
            Assert.Equal(0, igs_handle_uses_after_close());
        }

        [Fact]
        public void Reports_double_close_use_after_close_and_foreign_handles_without_crashing()
        {
            IntPtr handle = igs_handle_open();
            Assert.Equal(0, igs_handle_close(handle));
            Assert.Equal(StatusClosed, igs_handle_close(handle));
            Assert.Equal(HandleClosed, igs_handle_read(handle));
            Assert.Equal(HandleInvalid, igs_handle_read(new IntPtr(12345)));
            Assert.Equal(StatusBadHandle, igs_handle_close(IntPtr.Zero));

            Assert.Equal(1, igs_handle_double_closes());
            Assert.Equal(1, igs_handle_uses_after_close());
            Assert.Equal(2, igs_handle_invalid_uses());
            Assert.Equal(0, igs_handles_open());

            igs_reset();
            Assert.Equal(0, igs_handle_double_closes());
            Assert.Equal(0, igs_handle_uses_after_close());
            Assert.Equal(0, igs_handle_invalid_uses());
            Assert.Equal(HandleInvalid, igs_handle_read(handle));
        }

        [Fact]
        public void A_close_from_the_read_hook_is_seen_as_a_use_after_close_by_the_read_in_progress()
        {
            IntPtr handle = igs_handle_open();
            s_closeDuringRead = handle;
            s_hookCalls = 0;
            igs_set_read_hook(&CloseDuringRead);

            Assert.Equal(HandleClosed, igs_handle_read(handle));
            Assert.Equal(1, s_hookCalls);
            Assert.Equal(1, igs_handle_uses_after_close());
            Assert.Equal(0, igs_handles_open());

            // An already closed handle is reported on entry; the hook does not run for it.
            Assert.Equal(HandleClosed, igs_handle_read(handle));
            Assert.Equal(1, s_hookCalls);

            igs_set_read_hook(null);
            IntPtr other = igs_handle_open();
            Assert.Equal(HandleOpen, igs_handle_read(other));
            Assert.Equal(1, s_hookCalls);
        }

        [Fact]
        public void For_each_calls_the_visitor_for_every_index_and_sums_what_it_returned()
        {
            s_visits = 0;
            Assert.Equal(0 + 10 + 20 + 30, igs_for_each(4, &TimesTen, (IntPtr)7));
            Assert.Equal(4, s_visits);
            Assert.Equal(0, igs_for_each(0, &TimesTen, IntPtr.Zero));
            Assert.Equal(4, s_visits);
        }

        [Fact]
        public void A_registered_callback_is_fired_later_until_it_is_unregistered_or_reset()
        {
            Assert.Equal(StatusInvalid, igs_fire_callback(1));
            igs_register_callback(&PlusOne);
            Assert.Equal(42, igs_fire_callback(41));
            igs_register_callback(null);
            Assert.Equal(StatusInvalid, igs_fire_callback(41));

            igs_register_callback(&PlusOne);
            igs_reset();
            Assert.Equal(StatusInvalid, igs_fire_callback(41));
        }

        [Fact]
        public void Fill_after_gc_runs_the_gc_hook_before_it_writes_and_returns_the_bytes_written()
        {
            byte* buffer = stackalloc byte[16];
            new Span<byte>(buffer, 16).Clear();
            Assert.Equal(16, igs_fill_after_gc(buffer, 16, 0x5A));
            Assert.Equal(16, new Span<byte>(buffer, 16).Count((byte)0x5A));

            // The hook sees the buffer before the write: the library writes through its pointer only after the hook.
            new Span<byte>(buffer, 16).Clear();
            s_hookCalls = 0;
            s_fillTarget = buffer;
            s_bytesSeenByHook = -1;
            igs_set_gc_hook(&CountFilledDuringHook);
            Assert.Equal(8, igs_fill_after_gc(buffer, 8, 0x5A));
            Assert.Equal(1, s_hookCalls);
            Assert.Equal(0, s_bytesSeenByHook);
            Assert.Equal(8, new Span<byte>(buffer, 16).Count((byte)0x5A));

            Assert.Equal(0, igs_fill_after_gc(null, 0, 0x5A));
            Assert.Equal(StatusInvalid, igs_fill_after_gc(null, 4, 0x5A));
            Assert.Equal(2, s_hookCalls);

            igs_reset();
            Assert.Equal(4, igs_fill_after_gc(buffer, 4, 0x11));
            Assert.Equal(2, s_hookCalls);
        }

        [Fact]
        public void A_kept_buffer_is_written_later_until_it_is_released_or_reset()
        {
            byte* buffer = stackalloc byte[32];
            new Span<byte>(buffer, 32).Clear();
            Assert.Equal(StatusInvalid, igs_write_kept(0x5A));

            igs_keep_buffer(buffer, 24);
            Assert.Equal(0, new Span<byte>(buffer, 32).Count((byte)0x5A));
            Assert.Equal(24, igs_write_kept(0x5A));
            Assert.Equal(24, new Span<byte>(buffer, 24).Count((byte)0x5A));
            Assert.Equal(0, buffer[24]);

            igs_release_kept();
            Assert.Equal(StatusInvalid, igs_write_kept(0x11));
            Assert.Equal(24, new Span<byte>(buffer, 24).Count((byte)0x5A));

            igs_keep_buffer(buffer, 8);
            igs_reset();
            Assert.Equal(StatusInvalid, igs_write_kept(0x11));
            Assert.Equal(24, new Span<byte>(buffer, 24).Count((byte)0x5A));
        }

        [Fact]
        public void Keep_copy_copies_the_bytes_not_the_pointer_and_reads_them_back_word_by_word()
        {
            nint* words = stackalloc nint[10];
            for (int i = 0; i < 10; i++)
            {
                words[i] = 1000 + i;
            }

            Assert.Equal(3 * sizeof(nint), igs_keep_copy(words, (nuint)(3 * sizeof(nint))));
            words[0] = -1;
            Assert.Equal((nint)1000, igs_copied_word(0));
            Assert.Equal((nint)1002, igs_copied_word(2));
            Assert.Equal((nint)0, igs_copied_word(3));

            // At most 64 bytes are kept; a new copy replaces the old one.
            Assert.Equal(64, igs_keep_copy(words, (nuint)(10 * sizeof(nint))));
            Assert.Equal((nint)(-1), igs_copied_word(0));
            Assert.Equal((nint)(1000 + 64 / sizeof(nint) - 1), igs_copied_word((nuint)(64 / sizeof(nint) - 1)));
            Assert.Equal((nint)0, igs_copied_word((nuint)(64 / sizeof(nint))));

            Assert.Equal(StatusInvalid, igs_keep_copy(null, 8));
            Assert.Equal((nint)(-1), igs_copied_word(0));
            igs_reset();
            Assert.Equal((nint)0, igs_copied_word(0));
        }

        [UnmanagedCallersOnly]
        private static void CountFilledDuringHook()
        {
            Interlocked.Increment(ref s_hookCalls);
            s_bytesSeenByHook = new Span<byte>(s_fillTarget, 16).Count((byte)0x5A);
        }

        [UnmanagedCallersOnly]
        private static int TimesTen(int index, IntPtr user)
        {
            Interlocked.Increment(ref s_visits);
            return user == (IntPtr)7 ? index * 10 : -1000;
        }

        [UnmanagedCallersOnly]
        private static int PlusOne(int value) => value + 1;

        [UnmanagedCallersOnly]
        private static void CloseDuringRead(IntPtr handle)
        {
            Interlocked.Increment(ref s_hookCalls);
            if (handle == s_closeDuringRead)
            {
                igs_handle_close(handle);
            }
        }

        private static string Report()
        {
            byte* buffer = stackalloc byte[256];
            int length = igs_report(buffer, 256);
            return Encoding.ASCII.GetString(buffer, Math.Min(length, 255));
        }

        [DllImport("igsample")] private static extern IntPtr igs_alloc(nuint size);
        [DllImport("igsample")] private static extern void igs_free(IntPtr block);
        [DllImport("igsample")] private static extern int igs_check(IntPtr block);
        [DllImport("igsample")] private static extern int igs_live_blocks();
        [DllImport("igsample")] private static extern int igs_double_frees();
        [DllImport("igsample")] private static extern int igs_invalid_frees();
        [DllImport("igsample")] private static extern int igs_uses_after_free();
        [DllImport("igsample")] private static extern int igs_validate(int value);
        [DllImport("igsample")] private static extern int igs_report(byte* buffer, int capacity);
        [DllImport("igsample")] private static extern void igs_reset();
        [DllImport("igsample")] private static extern IntPtr igs_alloc_b(nuint size);
        [DllImport("igsample")] private static extern void igs_free_b(IntPtr block);
        [DllImport("igsample")] private static extern int igs_mismatched_frees();
        [DllImport("igsample")] private static extern IntPtr igs_handle_open();
        [DllImport("igsample")] private static extern int igs_handle_close(IntPtr handle);
        [DllImport("igsample")] private static extern int igs_handle_read(IntPtr handle);
        [DllImport("igsample")] private static extern void igs_set_read_hook(delegate* unmanaged<IntPtr, void> hook);
        [DllImport("igsample")] private static extern int igs_handles_open();
        [DllImport("igsample")] private static extern int igs_handle_double_closes();
        [DllImport("igsample")] private static extern int igs_handle_uses_after_close();
        [DllImport("igsample")] private static extern int igs_handle_invalid_uses();
        [DllImport("igsample")] private static extern int igs_for_each(int count, delegate* unmanaged<int, IntPtr, int> visit, IntPtr user);
        [DllImport("igsample")] private static extern void igs_register_callback(delegate* unmanaged<int, int> callback);
        [DllImport("igsample")] private static extern int igs_fire_callback(int value);
        [DllImport("igsample")] private static extern void igs_set_gc_hook(delegate* unmanaged<void> hook);
        [DllImport("igsample")] private static extern int igs_fill_after_gc(byte* buffer, nuint size, byte value);
        [DllImport("igsample")] private static extern void igs_keep_buffer(byte* buffer, nuint size);
        [DllImport("igsample")] private static extern int igs_write_kept(byte value);
        [DllImport("igsample")] private static extern void igs_release_kept();
        [DllImport("igsample")] private static extern int igs_keep_copy(void* data, nuint size);
        [DllImport("igsample")] private static extern nint igs_copied_word(nuint index);
    }
}
