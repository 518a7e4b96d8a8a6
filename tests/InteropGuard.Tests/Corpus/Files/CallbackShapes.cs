#nullable enable
using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Corpus.Callbacks
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int LogSink(int level, IntPtr message, IntPtr user);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int Compare(IntPtr left, IntPtr right);

    internal static class NativeLog
    {
        [DllImport("nativelog", CallingConvention = CallingConvention.Cdecl)]
        internal static extern int log_set_sink(LogSink sink, IntPtr user);

        [DllImport("nativelog", CallingConvention = CallingConvention.Cdecl)]
        internal static extern void log_sort(IntPtr items, int count, Compare compare);

        [DllImport("nativelog", CallingConvention = CallingConvention.Cdecl)]
        internal static extern unsafe void log_set_counter(delegate* unmanaged[Cdecl]<int, void> counter);
    }

    /// <summary>Callbacks that catch everything and hand the failure to the managed caller.</summary>
    public sealed class LogBridge
    {
        private static readonly LogSink Sink = OnMessage;

        [ThreadStatic]
        private static Exception? pending;

        private static int lastLevel;
        private static int messages;

        public event Action<int, string>? Message;

        private static LogBridge? current;

        public static void Install(LogBridge bridge)
        {
            current = bridge;
            NativeLog.log_set_sink(Sink, IntPtr.Zero);
        }

        public static unsafe void InstallCounter() => NativeLog.log_set_counter(&Count);

        public static void Sort(IntPtr items, int count)
        {
            NativeLog.log_sort(items, count, (left, right) => left == right ? 0 : (left.ToInt64() < right.ToInt64() ? -1 : 1));
            var failure = pending;
            if (failure != null)
            {
                pending = null;
                ExceptionDispatchInfo.Capture(failure).Throw();
            }
        }

        private static int OnMessage(int level, IntPtr message, IntPtr user)
        {
            try
            {
                current?.Message?.Invoke(level, Marshal.PtrToStringUTF8(message) ?? string.Empty);
                return 0;
            }
            catch (Exception e)
            {
                pending = e;
                return -1;
            }
        }

        [UnmanagedCallersOnly(CallConvs = new[] { typeof(System.Runtime.CompilerServices.CallConvCdecl) })]
        private static void Count(int level)
        {
            lastLevel = level;
            messages++;
        }
    }

    /// <summary>Delegates that look like callbacks but only managed code calls them.</summary>
    public static class ManagedOnly
    {
        public static void Run(List<string> lines)
        {
            LogSink local = (level, message, user) => int.Parse(Marshal.PtrToStringUTF8(message) ?? "0");
            local(0, IntPtr.Zero, IntPtr.Zero);
            lines.ForEach(line => Console.WriteLine(line));
            lines.Sort((a, b) => string.CompareOrdinal(a, b));
        }
    }
}
