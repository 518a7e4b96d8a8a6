using System;
using System.Runtime.InteropServices;
using System.Text;

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
    }
}
