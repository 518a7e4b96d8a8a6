using System.Threading.Tasks;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG2001 on a marshalling struct read back after the call. A mixer fills a native-layout struct with a pinned
    /// array's address, calls native code inside the <c>fixed</c> block, and after the block copies the results the call
    /// wrote into other fields back to its managed object through a helper of its own. The helper touches only those
    /// other fields, so the address left in the struct is never read. A helper that reads the pointer field, or hands the
    /// struct on whole, does read it.
    /// </summary>
    public class EscapingPinnedPointerReadBackTests
    {
        private const string Types = @"
unsafe struct MixNative
{
    public IntPtr Levels;
    public int Channels;
    public float Peak;
    public float Average;
}

static unsafe class Mixer
{
    [DllImport(""mixer"")] public static extern void mixer_measure(MixNative* mix);
    [DllImport(""mixer"")] public static extern void mixer_measure_ref(ref MixNative mix);
}

class MixResult
{
    public float[] Levels = new float[8];
    public float Peak;
    public float Average;
    public IntPtr LastLevels;

    internal void ReadBack(ref MixNative native)
    {
        Peak = native.Peak;
        Average = native.Average;
    }

    internal void ReadBackWithAddress(ref MixNative native)
    {
        Peak = native.Peak;
        LastLevels = native.Levels;
    }

    internal void Remeasure(ref MixNative native)
    {
        Mixer.mixer_measure_ref(ref native);
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
            => EscapingPinnedPointerTests.Check(Types + source, expected);

        [Fact]
        public Task ReadBackOfOtherFields() => Check(@"
unsafe class Meter
{
    public void Measure(MixResult result)
    {
        MixNative native;
        native.Channels = result.Levels.Length;
        native.Peak = 0;
        native.Average = 0;
        fixed (float* levels = result.Levels)
        {
            native.Levels = (IntPtr)levels;
            Mixer.mixer_measure(&native);
        }

        result.ReadBack(ref native);
    }
}");

        [Fact]
        public Task AHelperThatReadsThePointerFieldOrPassesTheStructOn() => Check(@"
unsafe class Meter
{
    public void MeasureKeepingAddress(MixResult result)
    {
        MixNative native = default;
        fixed (float* levels = result.Levels)
        {
            native.Levels = (IntPtr)levels;
            Mixer.mixer_measure(&native);
        }

        result.ReadBackWithAddress(ref {|#0:native|});
    }

    public void MeasureTwice(MixResult result)
    {
        var native = new MixNative { Channels = result.Levels.Length };
        fixed (float* levels = result.Levels)
        {
            native.Levels = (IntPtr)levels;
            Mixer.mixer_measure_ref(ref native);
        }
        result.Remeasure(ref {|#1:native|});
    }
}",
            EscapingPinnedPointerTests.Finding(0, "native", "into 'result.Levels' pinned by the fixed statement", "is read after the fixed statement ends", "the GC may move 'result.Levels' once it is unpinned"),
            EscapingPinnedPointerTests.Finding(1, "native", "into 'result.Levels' pinned by the fixed statement", "is read after the fixed statement ends", "the GC may move 'result.Levels' once it is unpinned"));
    }
}
