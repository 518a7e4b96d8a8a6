using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG4002 through a helper whose one native call (declared with SetLastError) runs before every return and nothing
    /// after it can change the error (Interop/LastErrorCalls): the caller's read is that call's error, as through a
    /// wrapper whose body is the call. A helper that may return before its call (directly, or past it from a catch), calls it
    /// only on some paths, or makes a second native call after it still overwrites the error its caller wanted.
    /// </summary>
    public class LastErrorEndingCallTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

static class Sys
{
    [DllImport(""libc"", SetLastError = true)] internal static extern int open(string path, int flags);
    [DllImport(""libc"", SetLastError = true)] private static extern int control(int fd, UIntPtr request, IntPtr argument);
    [DllImport(""libc"", SetLastError = true)] internal static extern int flush(int fd);
    [DllImport(""libc"")] internal static extern int quiet(int fd);

    const int Interrupted = 4;

    // Pins the request, retries while interrupted, unpins: the last error is the last control call's.
    internal static int Control<T>(int fd, uint request, T argument)
    {
        var pin = GCHandle.Alloc(argument, GCHandleType.Pinned);
        try
        {
            while (true)
            {
                var rc = control(fd, (UIntPtr)request, pin.AddrOfPinnedObject());
                if (rc < 0 && Marshal.GetLastWin32Error() == Interrupted)
                {
                    continue;
                }

                return rc;
            }
        }
        finally
        {
            pin.Free();
        }
    }

    // Returns before the call when the descriptor is closed: the caller then reads an older error.
    internal static int ControlIfOpen(int fd, uint request)
    {
        if (fd < 0)
        {
            return -1;
        }

        return control(fd, (UIntPtr)request, IntPtr.Zero);
    }

    // Calls only on some paths.
    internal static int ControlWhen(bool wanted, int fd, uint request)
    {
        var rc = 0;
        if (wanted)
        {
            rc = control(fd, (UIntPtr)request, IntPtr.Zero);
        }

        return rc;
    }

    // A second native call after the one whose result it returns.
    internal static int ControlThenFlush(int fd, uint request)
    {
        var rc = control(fd, (UIntPtr)request, IntPtr.Zero);
        flush(fd);
        return rc;
    }

    [DllImport(""libc"", EntryPoint = ""map"", SetLastError = true)] private static extern IntPtr map_narrow(IntPtr address, uint length);
    [DllImport(""libc"", EntryPoint = ""map"", SetLastError = true)] private static extern IntPtr map_wide(IntPtr address, ulong length);

    // Picks the declaration that fits the platform: every return is the native call.
    internal static IntPtr Map(IntPtr address, ulong length)
    {
        if (IntPtr.Size == 4)
        {
            return map_narrow(address, (uint)length);
        }

        return map_wide(address, length);
    }

    // One return is not a native call: on that path the caller reads an older error.
    internal static IntPtr MapOrCached(IntPtr address, ulong length, bool cached)
    {
        if (cached)
        {
            return Cached(address);
        }

        return map_wide(address, length);
    }

    private static IntPtr Cached(IntPtr address) => address;

    // A caught exception before the call returns past it: the caller then reads an older error.
    internal static int ControlGuarded(int fd, uint request)
    {
        var rc = -1;
        try
        {
            Validate(fd);
            rc = control(fd, (UIntPtr)request, IntPtr.Zero);
        }
        catch (ArgumentException)
        {
        }

        return rc;
    }

    private static void Validate(int fd)
    {
        if (fd < 0)
        {
            throw new ArgumentException(""closed"");
        }
    }

    // The ending call does not save the error.
    internal static int ControlQuietly(int fd, uint request)
    {
        var rc = control(fd, (UIntPtr)request, IntPtr.Zero);
        quiet(fd);
        return rc;
    }
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<LastErrorAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Overwritten(int location, string helper)
            => Verify.Diagnostic("IG4002").WithLocation(location).WithMessage(
                "'Marshal.GetLastWin32Error()' reads the last error of 'Sys.open' after 'Sys." + helper
                + "', which may make a native call that sets the last error: capture the error right after 'Sys.open'");

        [Fact]
        public Task AHelperEndingInItsNativeCallHandsOverThatCallsError() => Check(@"
class Device
{
    int Start(string path)
    {
        var fd = Sys.open(path, 2);
        if (fd < 0)
        {
            return Marshal.GetLastWin32Error();
        }

        if (Sys.Control(fd, 7u, 1) < 0)
        {
            return Marshal.GetLastWin32Error();
        }

        if (Sys.Map(IntPtr.Zero, 4096) == new IntPtr(-1))
        {
            return Marshal.GetLastWin32Error();
        }

        return 0;
    }
}");

        [Fact]
        public Task AHelperThatMayNotEndInItsNativeCallStillOverwrites() => Check(@"
class Device
{
    int Early(string path)
    {
        var fd = Sys.open(path, 2);
        if (Sys.ControlIfOpen(fd, 7u) < 0)
        {
            return {|#0:Marshal.GetLastWin32Error()|};
        }

        return 0;
    }

    int Sometimes(string path, bool wanted)
    {
        var fd = Sys.open(path, 2);
        if (Sys.ControlWhen(wanted, fd, 7u) < 0)
        {
            return {|#1:Marshal.GetLastWin32Error()|};
        }

        return 0;
    }

    int Twice(string path)
    {
        var fd = Sys.open(path, 2);
        if (Sys.ControlThenFlush(fd, 7u) < 0)
        {
            return {|#2:Marshal.GetLastWin32Error()|};
        }

        return 0;
    }

    int Cached(string path, bool cached)
    {
        var fd = Sys.open(path, 2);
        if (Sys.MapOrCached(IntPtr.Zero, 4096, cached) == new IntPtr(-1))
        {
            return {|#4:Marshal.GetLastWin32Error()|};
        }

        return fd;
    }

    int Guarded(string path)
    {
        var fd = Sys.open(path, 2);
        if (Sys.ControlGuarded(fd, 7u) < 0)
        {
            return {|#5:Marshal.GetLastWin32Error()|};
        }

        return 0;
    }

    int Quietly(string path)
    {
        var fd = Sys.open(path, 2);
        if (Sys.ControlQuietly(fd, 7u) < 0)
        {
            return {|#3:Marshal.GetLastWin32Error()|};
        }

        return 0;
    }
}", Overwritten(0, "ControlIfOpen"), Overwritten(1, "ControlWhen"), Overwritten(2, "ControlThenFlush"), Overwritten(3, "ControlQuietly"), Overwritten(4, "MapOrCached"), Overwritten(5, "ControlGuarded"));
    }
}
