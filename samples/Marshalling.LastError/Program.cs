using System;
using System.Runtime.InteropServices;

namespace Marshalling.LastError
{
    internal static class Native
    {
        // int32_t igs_fail_errno(int32_t error): sets errno to error and returns -1, as a failing POSIX call does.
        // Bound three times, as a binding would bind three such functions.
        [DllImport("igsample", EntryPoint = "igs_fail_errno", SetLastError = true)]
        internal static extern int probe_cache(int error);

        [DllImport("igsample", EntryPoint = "igs_fail_errno")]
        internal static extern int open_config(int error);

        [DllImport("igsample", EntryPoint = "igs_fail_errno", SetLastError = true)]
        internal static extern int open_data(int error);

        [DllImport("igsample", SetLastError = true)]
        internal static extern int igs_log_line(string line);
    }

    internal static class Program
    {
        private const int ENOENT = 2;
        private const int EACCES = 13;
        private const int ExitWrongError = 16;

        private static void Log(string line) => Native.igs_log_line(line);

        // The cache probe's failure is expected and ignored; its EACCES stays behind in the saved last error.
        private static int OpenConfig()
        {
            _ = Native.probe_cache(EACCES);
            if (Native.open_config(ENOENT) < 0)
            {
                return Marshal.GetLastPInvokeError(); // IG4001 'open_config'
            }

            return 0;
        }

        private static int OpenData()
        {
            if (Native.open_data(ENOENT) < 0)
            {
                Log("open_data failed");
                return Marshal.GetLastPInvokeError(); // IG4002 'open_data'
            }

            return 0;
        }

        // "config" or "data" runs one part; no argument runs both.
        private static int Main(string[] args)
        {
            string part = args.Length > 0 ? args[0] : "all";
            bool wrong = false;
            if (part != "data")
            {
                int error = OpenConfig();
                Console.WriteLine($"open_config errno={error}");
                wrong |= error != ENOENT;
            }

            if (part != "config")
            {
                int error = OpenData();
                Console.WriteLine($"open_data errno={error}");
                wrong |= error != ENOENT;
            }

            Console.WriteLine(wrong ? $"WRONG_ERROR part={part} expected={ENOENT}" : $"OK part={part} errno={ENOENT}");
            return wrong ? ExitWrongError : 0;
        }
    }
}
