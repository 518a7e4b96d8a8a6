using System;
using System.Runtime.InteropServices;

namespace Lifetime.CollectedCallback
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int Callback(int value);

    internal static class Native
    {
        [DllImport("igsample")]
        internal static extern void igs_register_callback(Callback callback);

        [DllImport("igsample")]
        internal static extern int igs_fire_callback(int value);
    }

    internal sealed class Meter
    {
        private int total;

        public Meter(int start)
        {
            total = start;
        }

        // igsample keeps only the thunk's address: nothing managed references the delegate once Start returns.
        public void Start()
        {
            Native.igs_register_callback(new Callback(OnValue)); // IG1002 'OnValue'
        }

        private int OnValue(int value)
        {
            total += value;
            return total;
        }
    }

    internal static class Program
    {
        private const int Start = 40;
        private const int Fired = 2;

        // The meter lives as long as the process: the registration's owner is reachable, only its delegate is not.
        private static Meter? s_meter;

        private static int Main()
        {
            s_meter = new Meter(Start);
            s_meter.Start();

            // A full, blocking, compacting collection: whatever is unreachable now is gone, finalizers included.
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect();

            Console.WriteLine("FIRE");
            int result = Native.igs_fire_callback(Fired);
            Console.WriteLine($"OK result={result}");
            return result == Start + Fired ? 0 : 1;
        }
    }
}
