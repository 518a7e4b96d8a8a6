using System;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace InteropGuard.Performance
{
    /// <summary>
    /// The processor time of the calling thread, in nanoseconds. A callback's thread processor time is its own work:
    /// it does not grow while other processes hold the cores, which the driver's wall-clock telemetry does. Linux only
    /// (<c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>); elsewhere the harness falls back to the wall clock and says so.
    /// </summary>
    internal static unsafe partial class ThreadCpuClock
    {
        private const int ClockThreadCpuTimeId = 3;

        public static bool IsProcessorTime { get; } = OperatingSystem.IsLinux() && Probe();

        public static string Description => IsProcessorTime
            ? "thread processor time (clock_gettime CLOCK_THREAD_CPUTIME_ID)"
            : "WALL-CLOCK time (no per-thread processor clock on this OS; figures swing with the machine's load)";

        public static long NowNanoseconds()
        {
            if (IsProcessorTime)
            {
                Timespec time;
                clock_gettime(ClockThreadCpuTimeId, &time);
                return (time.Seconds * 1_000_000_000L) + time.Nanoseconds;
            }

            return (long)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));
        }

        private static bool Probe()
        {
            try
            {
                Timespec time;
                return clock_gettime(ClockThreadCpuTimeId, &time) == 0;
            }
            catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
            {
                return false;
            }
        }

        // Called twice per analyzer callback, millions of times on a large code base: no GC transition for a call
        // that neither blocks nor calls back.
        [LibraryImport("libc")]
        [SuppressGCTransition]
        private static partial int clock_gettime(int clockId, Timespec* time);

        [StructLayout(LayoutKind.Sequential)]
        private struct Timespec
        {
            public long Seconds;
            public long Nanoseconds;
        }
    }
}
