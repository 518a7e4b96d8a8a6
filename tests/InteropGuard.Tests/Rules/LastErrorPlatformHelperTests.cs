using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// A loader picks its native functions by platform and builds its error in one helper: on Windows from the last error,
    /// elsewhere from the loader's own error text (<c>dlerror</c>). The platform is a fixed condition (a static readonly
    /// flag, or the runtime's platform test), so a POSIX call the loader made where the condition is false is never what
    /// the helper reads: no IG4001 for it. A flag that can change, a helper that reads on both sides, another flag, or a
    /// call on the reading side keep the finding.
    /// </summary>
    public class LastErrorPlatformHelperTests
    {
        private const string Prelude = @"using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

static class Win
{
    [DllImport(""kernel32.dll"", SetLastError = true)] public static extern IntPtr LoadLibraryW(string name);
    [DllImport(""kernel32.dll"")] public static extern IntPtr GetModuleHandleW(string name);
}

static class Posix
{
    [DllImport(""libdl.so.2"")] public static extern IntPtr dlopen(string name, int mode);
    [DllImport(""libdl.so.2"")] public static extern IntPtr dlerror();
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<LastErrorAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private const string Message =
            "'Failure()' reads the last error of '{0}', which is declared without SetLastError = true: the marshaller does not save the error it sets, so the value read is whatever an earlier call left";

        [Fact]
        public Task ThePosixCallIsOnTheSideWhereTheHelperReadsNothing() => Check(@"
static class Plugins
{
    private static readonly bool OnWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

    public static IntPtr Open(string path)
    {
        IntPtr module;
        if (OnWindows)
        {
            module = Win.LoadLibraryW(path);
        }
        else
        {
            module = Posix.dlopen(path, 2);
        }

        if (module == IntPtr.Zero)
        {
            throw Failure();
        }

        return module;
    }

    private static Exception Failure()
    {
        if (OnWindows)
        {
            return new Win32Exception(Marshal.GetLastWin32Error());
        }

        return new InvalidOperationException(Marshal.PtrToStringAnsi(Posix.dlerror()));
    }
}");

        [Fact]
        public Task TheRuntimesPlatformTestNegatedAroundTheCall() => Check(@"
static class Plugins
{
    public static IntPtr Open(string path)
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            var module = Posix.dlopen(path, 2);
            if (module == IntPtr.Zero)
            {
                throw Failure();
            }

            return module;
        }

        return Win.LoadLibraryW(path);
    }

    private static Exception Failure()
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            return new Win32Exception(Marshal.GetLastWin32Error());
        }
        else
        {
            return new InvalidOperationException(Marshal.PtrToStringAnsi(Posix.dlerror()));
        }
    }
}");

        [Fact]
        public Task TheOperatingSystemsTestAroundBothSides() => Check(@"
static class Plugins
{
    public static IntPtr Open(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return Win.LoadLibraryW(path);
        }
        else
        {
            var module = Posix.dlopen(path, 2);
            if (module == IntPtr.Zero)
            {
                throw Failure();
            }

            return module;
        }
    }

    private static Exception Failure()
        => OperatingSystem.IsWindows()
            ? new Win32Exception(Marshal.GetLastWin32Error())
            : new InvalidOperationException(Marshal.PtrToStringAnsi(Posix.dlerror()));
}");

        // The caller every look-alike below shares: the Windows call on the flag's true side, dlopen on its false side.
        private static string Opener(int marker) => @"
    public static IntPtr Open(string path)
    {
        IntPtr module;
        if (OnWindows)
        {
            module = Win.LoadLibraryW(path);
        }
        else
        {
            module = Posix.dlopen(path, 2);
        }

        if (module == IntPtr.Zero)
        {
            throw {|#" + marker + @":Failure()|};
        }

        return module;
    }
";

        [Fact]
        public Task LookAlikesStillReported() => Check(@"
static class Settable
{
    // Not readonly: anything may flip it between the call and the helper.
    private static bool OnWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

" + Opener(0) + @"
    private static Exception Failure()
    {
        if (OnWindows)
        {
            return new Win32Exception(Marshal.GetLastWin32Error());
        }

        return new InvalidOperationException();
    }
}

static class BothSides
{
    private static readonly bool OnWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

" + Opener(1) + @"
    // Reads the last error on every platform.
    private static Exception Failure()
    {
        if (OnWindows)
        {
            return new Win32Exception(Marshal.GetLastWin32Error());
        }

        return new InvalidOperationException(Marshal.GetLastWin32Error().ToString());
    }
}

static class OtherFlag
{
    private static readonly bool OnWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
    private static readonly bool UseLastError = Environment.GetEnvironmentVariable(""PLUGIN_ERRNO"") != null;

" + Opener(2) + @"
    // Tests another flag than the one around the call.
    private static Exception Failure()
    {
        if (UseLastError)
        {
            return new Win32Exception(Marshal.GetLastWin32Error());
        }

        return new InvalidOperationException();
    }
}

static class SameSide
{
    private static readonly bool OnWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

    public static IntPtr Find(string name)
    {
        if (OnWindows)
        {
            // On the side where the helper reads: its error is what is read.
            var module = Win.GetModuleHandleW(name);
            if (module == IntPtr.Zero)
            {
                throw {|#3:Failure()|};
            }

            return module;
        }

        return IntPtr.Zero;
    }

    private static Exception Failure()
    {
        if (OnWindows)
        {
            return new Win32Exception(Marshal.GetLastWin32Error());
        }

        return new InvalidOperationException();
    }
}",
            Verify.Diagnostic("IG4001").WithLocation(0).WithMessage(string.Format(Message, "Posix.dlopen")),
            Verify.Diagnostic("IG4001").WithLocation(1).WithMessage(string.Format(Message, "Posix.dlopen")),
            Verify.Diagnostic("IG4001").WithLocation(2).WithMessage(string.Format(Message, "Posix.dlopen")),
            Verify.Diagnostic("IG4001").WithLocation(3).WithMessage(string.Format(Message, "Win.GetModuleHandleW")));
    }
}
