using System;
using System.Diagnostics;
using System.Threading;

namespace InteropGuard.Performance
{
    /// <summary>
    /// The processor time one analyzer's callbacks took (see <see cref="ThreadCpuClock"/>), the managed memory they
    /// allocated, and how many callbacks ran. Every action the analyzer registers, at any depth of start contexts, is run through <see cref="Run{T}"/> of the
    /// same charge.
    /// </summary>
    internal sealed class AnalyzerCharge
    {
        // Time spent in callbacks nested inside the running one on this thread, so that a callback that (through the
        // driver) runs another charged callback is not charged for it too: each analyzer pays only for its own code.
        [ThreadStatic]
        private static long t_nestedNanoseconds;

        [ThreadStatic]
        private static long t_nestedBytes;

        [ThreadStatic]
        private static long t_nestedPauseNanoseconds;

        private long _nanoseconds;
        private long _allocatedBytes;
        private long _callbacks;
        private long _pauseNanoseconds;

        /// <summary>
        /// What an empty callback is charged: the part of the two clock reads that falls between them, and the wrapper's
        /// own code. Reading the thread clock is a system call (about 0.4 µs on this machine) and NetAnalyzers run
        /// millions of callbacks, so it is measured once (<see cref="Calibrate"/>) and subtracted per callback.
        /// </summary>
        public static double FloorNanoseconds { get; private set; }

        /// <summary>The callbacks' processor time, less <see cref="FloorNanoseconds"/> per callback.</summary>
        public double Milliseconds => (Interlocked.Read(ref _nanoseconds) - (Callbacks * FloorNanoseconds)) / 1_000_000.0;

        /// <summary>The callbacks' processor time as read, the clock's own cost included.</summary>
        public double RawMilliseconds => Interlocked.Read(ref _nanoseconds) / 1_000_000.0;

        public long Callbacks => Interlocked.Read(ref _callbacks);

        /// <summary>
        /// Managed bytes the callbacks allocated on their own thread. Exact with sequential analysis; a callback that
        /// makes the compiler build something it caches (an operation tree, a bound body) is charged for it when it is
        /// the first to ask, as with the processor time.
        /// </summary>
        public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

        /// <summary>
        /// The garbage collections' pauses that fell inside the callbacks (each callback's share capped at its own time).
        /// A blocking collection runs on the thread whose allocation filled the heap, so whichever callback allocates at
        /// that moment is charged for the whole process's garbage: one collection can be longer than an analyzer's
        /// whole pass. See <see cref="AnalysisRun.SharedCollectionsMilliseconds"/> for the figure that shares it out.
        /// </summary>
        public double PauseMilliseconds => Interlocked.Read(ref _pauseNanoseconds) / 1_000_000.0;

        /// <summary>Sets <see cref="FloorNanoseconds"/> from the median of a few loops of empty callbacks.</summary>
        public static double Calibrate()
        {
            const int Callbacks = 200_000;
            Action<int> empty = _ => { };
            var perCallback = new double[7];
            for (int loop = 0; loop < perCallback.Length; loop++)
            {
                var charge = new AnalyzerCharge();
                for (int i = 0; i < Callbacks; i++)
                {
                    charge.Run(empty, i);
                }

                perCallback[loop] = (double)charge._nanoseconds / Callbacks;
            }

            Array.Sort(perCallback);
            FloorNanoseconds = perCallback[perCallback.Length / 2];
            return FloorNanoseconds;
        }

        /// <summary>
        /// The processor time a collection's pause inside one callback stands for. The pause is wall time: on a loaded
        /// machine the collecting thread waits for a core for part of it, so it is scaled by the share of the
        /// callback's wall time the thread had a core, and never more than the callback's processor time.
        /// </summary>
        private static long PauseProcessorNanoseconds(long pauseNanoseconds, long elapsedNanoseconds, long wallTicks)
        {
            if (pauseNanoseconds <= 0)
            {
                return 0;
            }

            double wallNanoseconds = wallTicks * (1_000_000_000.0 / Stopwatch.Frequency);
            double onCore = wallNanoseconds <= 0 ? 1 : Math.Min(1, elapsedNanoseconds / wallNanoseconds);
            return Math.Min((long)(pauseNanoseconds * onCore), elapsedNanoseconds);
        }

        public Action<T> Wrap<T>(Action<T> action) => context => Run(action, context);

        public void Run<T>(Action<T> action, T context)
        {
            long outerNested = t_nestedNanoseconds;
            long outerNestedBytes = t_nestedBytes;
            long outerNestedPause = t_nestedPauseNanoseconds;
            t_nestedNanoseconds = 0;
            t_nestedBytes = 0;
            t_nestedPauseNanoseconds = 0;
            long startPause = GC.GetTotalPauseDuration().Ticks;
            long startWall = Stopwatch.GetTimestamp();
            long startBytes = GC.GetAllocatedBytesForCurrentThread();
            long start = ThreadCpuClock.NowNanoseconds();
            try
            {
                action(context);
            }
            finally
            {
                long elapsed = ThreadCpuClock.NowNanoseconds() - start;
                long allocated = GC.GetAllocatedBytesForCurrentThread() - startBytes;
                long pause = PauseProcessorNanoseconds((GC.GetTotalPauseDuration().Ticks - startPause) * 100, elapsed, Stopwatch.GetTimestamp() - startWall);
                Interlocked.Add(ref _nanoseconds, elapsed - t_nestedNanoseconds);
                Interlocked.Add(ref _allocatedBytes, allocated - t_nestedBytes);
                Interlocked.Add(ref _pauseNanoseconds, Math.Max(0, pause - t_nestedPauseNanoseconds));
                Interlocked.Increment(ref _callbacks);
                t_nestedNanoseconds = outerNested + elapsed;
                t_nestedBytes = outerNestedBytes + allocated;
                t_nestedPauseNanoseconds = outerNestedPause + pause;
            }
        }
    }
}
